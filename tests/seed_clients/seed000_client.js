// Seed 000 (RapidTriageME) "Node.js Client", as written in ../shared/seeds/000_33073759d496cec6.txt.
// Changed: only the URL (the seed's 'ws://localhost:3025/mcp-ws' is read from SEED_URL, since the
// test's connector listens on a port of its own). Driven by tests/seed_clients.rs.
const WebSocket = require('ws');
class RapidTriageMCPClient {
  constructor(url, token = null) {
    this.url = url;
    this.token = token;
    this.ws = null;
    this.sessionId = null;
  }
  connect() {
    const headers = {};
    if (this.token) {
      headers.Authorization = `Bearer ${this.token}`;
    }
    this.ws = new WebSocket(this.url, {
      protocol: 'mcp-server-v1',
      headers: headers
    });
    this.ws.on('open', () => {
      console.log('MCP WebSocket connected');
      this.startHeartbeat();
    });
    this.ws.on('message', (data) => {
      try {
        const message = JSON.parse(data.toString());
        this.handleMessage(message);
      } catch (error) {
        console.error('Failed to parse message:', error);
      }
    });
    this.ws.on('close', (code, reason) => {
      console.log('MCP WebSocket closed:', code, reason.toString());
    });
    this.ws.on('error', (error) => {
      console.error('MCP WebSocket error:', error);
    });
  }
  startHeartbeat() {
    setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) {
        this.send({
          type: 'heartbeat',
          data: { status: 'alive' }
        });
      }
    }, 30000);
  }
  send(message) {
    if (this.ws.readyState === WebSocket.OPEN) {
      const fullMessage = {
        id: `mcp_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`,
        timestamp: Date.now(),
        ...message
      };
      this.ws.send(JSON.stringify(fullMessage));
    }
  }
  handleMessage(message) {
    switch (message.type) {
      case 'connection-ack':
        this.sessionId = message.data.sessionId;
        console.log('Session established:', this.sessionId);
        break;
      case 'console-log':
        this.handleConsoleLog(message);
        break;
      case 'network-request':
        this.handleNetworkRequest(message);
        break;
      case 'screenshot-response':
        this.handleScreenshot(message);
        break;
      default:
        console.log('Received message:', message.type);
    }
  }
  handleConsoleLog(message) {
    console.log(`[${message.data.level.toUpperCase()}] ${message.data.message}`);
  }
  handleNetworkRequest(message) {
    const { method, url, status } = message.data;
    console.log(`${method} ${url} -> ${status}`);
  }
  handleScreenshot(message) {
    if (message.data.success) {
      console.log('Screenshot captured:', message.data.path);
    } else {
      console.error('Screenshot failed:', message.data.error);
    }
  }
  requestScreenshot(options = {}) {
    this.send({
      type: 'screenshot-request',
      data: {
        format: 'png',
        quality: 90,
        fullPage: false,
        ...options
      }
    });
  }
  clearLogs() {
    this.send({
      type: 'clear-logs'
    });
  }
  close() {
    if (this.ws) {
      this.ws.close();
    }
  }
}
// Usage
const client = new RapidTriageMCPClient(process.env.SEED_URL);
client.connect();
// Request screenshot after 5 seconds
setTimeout(() => {
  client.requestScreenshot({ fullPage: true });
}, 5000);
