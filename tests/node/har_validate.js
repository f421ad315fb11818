// Validates a HAR file against the HAR 1.2 JSON schema with the npm `har-validator` package
// (installed by scripts/test into .test-deps/node). Prints "valid" or the schema errors; exit 1.
const path = require('path');
const fs = require('fs');
const root = process.env.HAR_VALIDATOR_DIR || path.join(__dirname, '..', '..', '.test-deps', 'node', 'node_modules');
const validate = require(path.join(root, 'har-validator'));
const har = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
validate.har(har).then(
  () => { console.log('valid'); },
  (e) => { console.log(JSON.stringify(e.errors || String(e), null, 1)); process.exit(1); },
);
