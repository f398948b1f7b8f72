"""Request deadlines for uvicorn: a request must arrive whole (headers and body) in time.

uvicorn closes idle keep-alive connections, but it has no timeout for a request that is
being sent: a client that sends half its headers, or a body a byte a minute, holds a
connection (and, for the body, a handler) for as long as it likes. This is uvicorn's own
h11 protocol with one deadline per request, from its first byte to its last.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_SECONDS = 30.0
_RECEIVED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)


def timed_h11(seconds: float = REQUEST_SECONDS) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request is not in after `seconds`
    (a response being streamed is not limited: the deadline ends when the request is in)."""

    class TimedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._disarm_once_received()

        def on_response_complete(self) -> None:
            self._arm()  # for the next request on this connection
            super().on_response_complete()
            if self.transport.is_closing():
                self._disarm()
            else:
                self._disarm_once_received()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _disarm_once_received(self) -> None:
            if self.conn.their_state in _RECEIVED:
                self._disarm()

        def _expired(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.logger.info("closing a connection whose request took over %ss", seconds)
                self.transport.close()

    return TimedH11Protocol
