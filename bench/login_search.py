"""Login → search flow over HTTP: what a person (or script) waits for, end to end.

    .venv/bin/python -m bench.login_search [--rounds 20]

Starts `vault-mcp serve` on the embedded database with the real model, creates an account and a
few notes, then times: POST /api/v1/auth/login (argon2id check, token issue) and the first
GET /api/v1/notes?q=… with the new token (query embedding + HNSW search), and also a full
MCP session: initialize + search_notes with the token.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench.core import machine
from tests.e2e.conftest import add_user, running_serve, server_env

PASSWORD = "bench passphrase"
NOTES = [
    ("Dentist", "Appointment on Tuesday at 9:30 for a cleaning."),
    ("Sourdough", "Feed the starter twice a day with flour and water."),
    ("Mortgage", "Fixed rate of 3.1% for ten years; the bank wants three payslips."),
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vault-bench-") as tmp:
        env = server_env(Path(tmp), None, embedder="auto")
        await add_user(env, "bench", PASSWORD)
        async with (
            running_serve(env, startup_seconds=180) as base,
            httpx.AsyncClient(timeout=120) as http,
        ):
            body = {"username": "bench", "password": PASSWORD}
            token = (await http.post(f"{base}/api/v1/auth/login", json=body)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for title, content in NOTES:
                await http.post(
                    f"{base}/api/v1/notes",
                    json={"title": title, "content": content},
                    headers=headers,
                )

            logins, searches, flows, mcp_flows = [], [], [], []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                token = (await http.post(f"{base}/api/v1/auth/login", json=body)).json()[
                    "access_token"
                ]
                t1 = time.perf_counter()
                found = await http.get(
                    f"{base}/api/v1/notes",
                    params={"q": "when do I see the tooth doctor"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                t2 = time.perf_counter()
                assert found.json()["results"][0]["title"] == "Dentist"
                logins.append(t1 - t0)
                searches.append(t2 - t1)
                flows.append(t2 - t0)

                t3 = time.perf_counter()
                async with (
                    httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as authed,
                    streamable_http_client(f"{base}/mcp", http_client=authed) as (read, write),
                    ClientSession(read, write) as session,
                ):
                    await session.initialize()
                    result = await session.call_tool(
                        "search_notes", {"query": "home loan interest"}
                    )
                    assert result.structured_content["results"][0]["title"] == "Mortgage"
                mcp_flows.append(time.perf_counter() - t3)

    def ms(values: list[float]) -> str:
        return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    info = machine()
    print(
        f"\nlogin → search over HTTP — {info['cpu']}, {info['cores']} cores, {args.rounds} rounds"
    )
    print(f"  POST /api/v1/auth/login             {ms(logins)}")
    print(f"  GET /api/v1/notes?q= (new token)    {ms(searches)}")
    print(f"  login + first search                {ms(flows)}")
    print(f"  MCP session: initialize + search    {ms(mcp_flows)}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
