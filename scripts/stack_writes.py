"""Writes through the deployed stack while its backend is killed; then every acknowledged
write is read back. Part of scripts/stack-test.sh (any deployment will do, though).

    python scripts/stack_writes.py --url https://localhost:18443 --ca-file cert.pem \
        --kill "kill -9 1234" --healthy-within 120
    (the account from VAULT_SMOKE_USERNAME and VAULT_SMOKE_PASSWORD, as `vault-mcp smoke`)

Exit status 0 only if the server came back by itself within the bound and no acknowledged
write was lost or changed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import ssl
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable

import httpx

BEFORE_KILL = 20  # acknowledged writes before the kill
AFTER_RECOVERY = 20  # and after /health is 200 again
BOUND_SECONDS = 300  # the whole run, whatever happens
# nginx.conf allows /api/ 10 requests a second per address (burst 20): stay under it.
PACE_SECONDS = 0.12


class Writer:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.acknowledged: dict[str, tuple[str, str]] = {}  # id -> (title, content)
        self.outcomes: Counter[str] = Counter()
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            title = f"stack write {uuid.uuid4().hex[:12]}"
            content = f"Written while the backend may be killed. {uuid.uuid4()}"
            try:
                response = await self.http.post(
                    "/api/v1/notes",
                    json={"title": title, "content": content},
                    headers=self.headers,
                )
            except httpx.TransportError as exc:
                self.outcomes[type(exc).__name__] += 1
                await asyncio.sleep(0.2)
                continue
            self.outcomes[str(response.status_code)] += 1
            if response.status_code == 201:
                self.acknowledged[response.json()["id"]] = (title, content)
            await asyncio.sleep(PACE_SECONDS if response.status_code == 201 else 0.5)

    async def until(self, what: str, condition: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"FAIL: not {what} within {seconds:.0f} s")
            await asyncio.sleep(0.1)


async def healthy(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/health", timeout=5)).status_code == 200
    except httpx.TransportError:
        return False


async def read_back(
    http: httpx.AsyncClient, note_id: str, headers: dict[str, str]
) -> httpx.Response:
    for _ in range(30):
        await asyncio.sleep(PACE_SECONDS)
        response = await http.get(f"/api/v1/notes/{note_id}", headers=headers)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", 1)))
    raise SystemExit(f"FAIL: reading {note_id} was rate-limited 30 times")


async def main(args: argparse.Namespace) -> int:
    trust = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else True
    async with httpx.AsyncClient(base_url=args.url, verify=trust, timeout=30) as http:
        login = await http.post(
            "/api/v1/auth/login",
            json={
                "username": os.environ["VAULT_SMOKE_USERNAME"],
                "password": os.environ["VAULT_SMOKE_PASSWORD"],
            },
        )
        login.raise_for_status()
        writer = Writer(http, login.json()["access_token"])
        writing = asyncio.create_task(writer.run())
        await writer.until(
            f"{BEFORE_KILL} writes", lambda: len(writer.acknowledged) >= BEFORE_KILL, 60
        )

        killed = await asyncio.create_subprocess_exec(*shlex.split(args.kill))
        if await killed.wait() != 0:
            raise SystemExit(f"FAIL: `{args.kill}` exited {killed.returncode}")
        killed_at = time.monotonic()
        before = len(writer.acknowledged)
        refused_before = sum(writer.outcomes.values()) - writer.outcomes["201"]
        print(f"killed the backend after {before} acknowledged writes")

        deadline = killed_at + args.healthy_within
        unhealthy_seen = False
        while not await healthy(http):
            unhealthy_seen = True
            if time.monotonic() > deadline:
                raise SystemExit(f"FAIL: not healthy within {args.healthy_within} s of the kill")
            await asyncio.sleep(0.5)
        print(f"/health 200 again {time.monotonic() - killed_at:.1f} s after the kill")
        await writer.until(
            f"{AFTER_RECOVERY} writes after recovery",
            lambda: len(writer.acknowledged) >= before + AFTER_RECOVERY,
            60,
        )
        writer.stop.set()
        await writing
        refused = sum(writer.outcomes.values()) - writer.outcomes["201"] - refused_before
        if not (refused or unhealthy_seen):
            raise SystemExit("FAIL: no write was refused and /health never failed: no outage")

        lost, changed = [], []
        for note_id, (title, content) in writer.acknowledged.items():
            response = await read_back(http, note_id, writer.headers)
            if response.status_code == 404:
                lost.append(note_id)
            elif response.status_code != 200:
                raise SystemExit(f"FAIL: reading {note_id} answered {response.status_code}")
            elif (response.json()["title"], response.json()["content"]) != (title, content):
                changed.append(note_id)
    print(
        f"{len(writer.acknowledged)} acknowledged writes read back: {len(lost)} lost, "
        f"{len(changed)} changed; every answer seen: {dict(sorted(writer.outcomes.items()))}"
    )
    return 1 if lost or changed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca-file")
    parser.add_argument("--kill", required=True, help="the command that kills the backend")
    parser.add_argument("--healthy-within", type=float, default=120)
    arguments = parser.parse_args()

    async def bounded() -> int:
        return await asyncio.wait_for(main(arguments), BOUND_SECONDS)

    sys.exit(asyncio.run(bounded()))
