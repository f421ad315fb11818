// Seed 004 (MCP-RS) "JavaScript/Web" client, as written in ../shared/seeds/004_e878449bbb5e9705.txt.
// Changed: only the URL (the seed's `ws://localhost:3000` is read from SEED_BASE). Run in Node
// with the npm `ws` package as its WebSocket (the two lines below the class's end start it with a
// session id the test made with POST /api/sessions). Driven by tests/seed_clients.rs.
const WebSocket = require('ws');
class MCPWebSocketClient {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.ws = null;
    this.isConnected = false;
  }

  async connect() {
    const wsUrl = `${process.env.SEED_BASE}/ws?session_id=${this.sessionId}`;
    this.ws = new WebSocket(wsUrl);
    
    this.ws.onopen = () => {
      this.isConnected = true;
      console.log('Connected to MCP-RS WebSocket');
      this.startHeartbeat();
    };
    
    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.handleMessage(message);
    };
    
    this.ws.onclose = () => {
      this.isConnected = false;
      console.log('Disconnected from MCP-RS WebSocket');
    };
  }

  sendEdit(content, cursorPosition) {
    if (!this.isConnected) return;
    
    const message = {
      id: crypto.randomUUID(),
      type: 'realtime_edit',
      payload: {
        content: content,
        cursor_position: cursorPosition,
        user_id: this.userId
      },
      timestamp: new Date().toISOString()
    };
    
    this.ws.send(JSON.stringify(message));
  }

  handleMessage(message) {
    switch (message.type) {
      case 'realtime_edit':
        this.onEdit(message.payload);
        break;
      case 'heartbeat_ack':
        console.log('Heartbeat acknowledged');
        break;
      case 'error':
        console.error('WebSocket error:', message.payload);
        break;
    }
  }

  startHeartbeat() {
    setInterval(() => {
      if (this.isConnected) {
        const heartbeat = {
          id: crypto.randomUUID(),
          type: 'heartbeat',
          payload: {},
          timestamp: new Date().toISOString()
        };
        this.ws.send(JSON.stringify(heartbeat));
      }
    }, 30000); // Every 30 seconds
  }

  onEdit(payload) {
    // Override this method to handle incoming edits
    console.log('Received edit:', payload);
  }
}
const client = new MCPWebSocketClient(process.env.SEED_SESSION_ID);
client.connect();
