# Seed 002's (MetaDock) Python example, as the seed writes it; only the URL is changed, by the test
# (tests/dialects_metadock.rs), which replaces ws://127.0.0.1:8080/ws with the connector's /ws.
import asyncio
import websockets
import json

async def connect():
    async with websockets.connect("ws://127.0.0.1:8080/ws") as ws:
        # Receive welcome
        welcome = await ws.recv()
        print(f"Server: {welcome}")

        # Authenticate
        await ws.send(json.dumps({
            "type": "auth",
            "api_key": "your-api-key",
            "id": 1
        }))
        auth_response = await ws.recv()
        print(f"Auth response: {auth_response}")

        # Now ready to send commands
        await ws.send(json.dumps({
            "type": "browser",
            "action": "get_all_browsers",
            "id": 2
        }))
        response = await ws.recv()
        print(f"Browsers: {response}")

asyncio.run(connect())
