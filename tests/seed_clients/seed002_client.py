# Seed 002 (MetaDock) Python connection flow, as written in ../shared/seeds/002_09b5f15828c1e23e.txt
# (indentation restored). Changed: only the URL (the seed's "ws://127.0.0.1:8080/ws" is read from
# SEED_URL). The test's connector accepts the seed's "your-api-key" (api_keys). Driven by
# tests/seed_clients.rs.
import asyncio
import os
import websockets
import json


async def connect():
    async with websockets.connect(os.environ["SEED_URL"]) as ws:
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
