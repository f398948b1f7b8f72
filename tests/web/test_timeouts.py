"""uvicorn with the request deadline: half-sent headers and trickled bodies are cut off."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from vault_mcp.web.timeouts import timed_h11


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def _server(seconds: float) -> AsyncIterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        _echo_length, http=timed_h11(seconds), lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(200):  # 10 s at most
            if server.started:
                break
            await asyncio.sleep(0.05)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        listener.close()


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True when the server hangs up within 15 s (the deadline under test is 0.5 s)."""
    try:
        await asyncio.wait_for(reader.read(), 15)
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize(
    "partial",
    [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # the headers never end
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789",
    ],
)
async def test_a_request_that_never_finishes_arriving_is_cut_off(partial: bytes) -> None:
    async with _server(0.5) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(partial)
        await writer.drain()
        assert await _closed_by_server(reader)
        writer.close()


async def test_a_whole_request_is_answered_and_the_connection_kept_alive() -> None:
    async with _server(0.5) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(2):
            writer.write(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabc")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
            assert head.startswith(b"HTTP/1.1 200")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            assert await asyncio.wait_for(reader.readexactly(length), 15) == b"3"
        writer.close()
