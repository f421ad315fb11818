// Seed 001 (Semantest) client flow, from ../shared/seeds/001_cfb9ea17342218a4.txt: API-key auth,
// "Pub/Sub Channels" (subscribe, channel:NAME, publish) and "Event Correlation" (a command with a
// correlationId, its result matched by it). The seed's client is socket.io; triage-tui speaks plain
// WebSocket, so the small shim below maps socket.emit(name, payload) to a message
// {type: name, ...payload} and socket.on(name) to messages of that type ('command' is our
// browser-action and 'result' our command-result). The URL comes from SEED_URL, the key
// (the seed's `auth: { apiKey }`, sent as its X-API-Key header) from SEED_API_KEY.
// Driven by tests/seed_clients.rs.
const WebSocket = require('ws');

function io(url, { auth }) {
  const ws = new WebSocket(url, { headers: { 'X-API-Key': auth.apiKey } });
  const handlers = {};
  const queued = [];
  const wire = { command: 'browser-action' };
  const socket = {
    on(name, fn) { handlers[name] = fn; },
    emit(name, payload = {}) {
      const text = JSON.stringify({ type: wire[name] || name, ...payload });
      if (ws.readyState === WebSocket.OPEN) ws.send(text); else queued.push(text);
    },
  };
  ws.on('open', () => { queued.splice(0).forEach((t) => ws.send(t)); handlers.connect && handlers.connect(); });
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const name = m.type === 'command-result' ? 'result' : m.type;
    if (handlers[name]) handlers[name](name === 'result' ? m : (m.type.startsWith('channel:') ? m.data : m));
  });
  ws.on('error', (e) => console.error('Server error:', e.message));
  return socket;
}

const socket = io(process.env.SEED_URL, {
  auth: {
    apiKey: process.env.SEED_API_KEY
  }
});

socket.on('connect', () => {
  console.log('Connected to Semantest server');
});

// Subscribe to channels
socket.emit('subscribe', {
  channels: ['downloads', 'errors']
});

// Receive channel messages
socket.on('channel:downloads', (message) => {
  console.log('Download event:', JSON.stringify(message));
});

socket.on('subscribe', () => {
  // Publish to channel
  socket.emit('publish', {
    channel: 'downloads',
    message: { type: 'info', data: 'test' }
  });

  // Send correlated commands
  const correlationId = 'corr-' + Date.now();
  socket.emit('command', {
    id: 'nav-1',
    data: { action: 'navigate', params: { url: 'https://example.com' } },
    correlationId
  });

  // Receive correlated results
  socket.on('result', (result) => {
    if (result.correlationId === correlationId) {
      console.log('Correlated result:', JSON.stringify(result));
    }
  });
});
