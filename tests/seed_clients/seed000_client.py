# Seed 000 (RapidTriageME) "Python Client", as written in ../shared/seeds/000_33073759d496cec6.txt
# (indentation restored: the seed's text lost it). Changed: only the URL (the seed's
# 'ws://localhost:3025/mcp-ws' is read from SEED_URL). Runs with websockets 12 (`extra_headers`
# is that era's API), from .test-deps/seed-py. Driven by tests/seed_clients.rs.
import asyncio
import json
import os
import websockets
import time
from typing import Dict, Any, Callable, Optional


class RapidTriageWebSocketClient:
    def __init__(self, url: str, token: Optional[str] = None):
        self.url = url
        self.token = token
        self.websocket = None
        self.handlers = {}
        self.session_id = None

    async def connect(self):
        headers = {}
        if self.token:
            headers['Authorization'] = f'Bearer {self.token}'
        try:
            self.websocket = await websockets.connect(
                self.url,
                extra_headers=headers,
                subprotocols=['rapidtriage-client-v1']
            )
            print("WebSocket connected")
            # Start message handler
            asyncio.create_task(self._message_handler())
            # Send connection init
            await self._send_connection_init()
        except Exception as e:
            print(f"Connection failed: {e}")
            raise

    async def _message_handler(self):
        try:
            async for message in self.websocket:
                try:
                    data = json.loads(message)
                    await self._handle_message(data)
                except json.JSONDecodeError as e:
                    print(f"Failed to parse message: {e}")
        except websockets.exceptions.ConnectionClosed:
            print("WebSocket connection closed")
        except Exception as e:
            print(f"Message handler error: {e}")

    async def _send_connection_init(self):
        await self.send({
            'type': 'connection-init',
            'data': {
                'clientType': 'python-client',
                'version': '1.0.0',
                'capabilities': [
                    'console-capture',
                    'network-capture',
                    'screenshot-capture'
                ]
            }
        })

    async def _handle_message(self, message: Dict[str, Any]):
        message_type = message.get('type')
        if message_type == 'connection-ack':
            self.session_id = message['data'].get('sessionId')
            print(f"Session established: {self.session_id}")
        handler = self.handlers.get(message_type)
        if handler:
            await handler(message)
        else:
            print(f"Unhandled message: {message_type}")

    def on(self, message_type: str, handler: Callable):
        """Register message handler"""
        self.handlers[message_type] = handler

    async def send(self, message: Dict[str, Any]):
        if self.websocket:
            full_message = {
                'id': f"py_{int(time.time() * 1000)}_{id(message)}",
                'timestamp': int(time.time() * 1000),
                **message
            }
            await self.websocket.send(json.dumps(full_message))

    async def request_screenshot(self, **options):
        """Request a screenshot"""
        await self.send({
            'type': 'screenshot-request',
            'data': {
                'format': 'png',
                'quality': 90,
                'fullPage': False,
                **options
            }
        })

    async def clear_logs(self):
        """Clear all captured logs"""
        await self.send({
            'type': 'clear-logs'
        })

    async def close(self):
        if self.websocket:
            await self.websocket.close()


# Usage example
async def main():
    client = RapidTriageWebSocketClient(os.environ['SEED_URL'])

    # Register handlers
    async def handle_console_log(message):
        data = message['data']
        print(f"[{data['level'].upper()}] {data['message']}")

    async def handle_network_request(message):
        data = message['data']
        print(f"{data['method']} {data['url']} -> {data['status']}")

    async def handle_screenshot(message):
        data = message['data']
        if data['success']:
            print(f"Screenshot saved: {data['path']}")
        else:
            print(f"Screenshot failed: {data.get('error')}")

    client.on('console-log', handle_console_log)
    client.on('network-request', handle_network_request)
    client.on('screenshot-response', handle_screenshot)

    # Connect and run
    await client.connect()

    # Request screenshot after 5 seconds
    await asyncio.sleep(5)
    await client.request_screenshot(fullPage=True)

    # Keep connection alive
    await asyncio.sleep(60)
    await client.close()

if __name__ == "__main__":
    asyncio.run(main())
