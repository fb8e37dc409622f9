"""uvicorn's httptools protocol with the limits it lacks: a deadline and a size cap on the head.

uvicorn closes a keep-alive connection that stays idle (``timeout_keep_alive``) but gives a
request head that arrives a byte at a time all the time it wants (slowloris), and neither of
its parsers caps the head's size on httptools. :class:`GuardedProtocol` adds both:

* from the moment a connection opens, or a new request's first byte arrives on a kept-alive
  one, the request line and headers must be complete within ``head_timeout`` seconds, else the
  client gets ``408`` and the connection is closed;
* a request line plus headers longer than ``max_head`` bytes get ``431`` and the connection is
  closed; malformed requests get ``400`` with the parser's reason (not a generic one).
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("stikg.web.server")

HEAD_TIMEOUT_S = 10.0
MAX_HEAD_BYTES = 64 << 10


class HeadTooLarge(Exception):
    """Raised inside the parser's callbacks when the head outgrows the cap."""


class GuardedProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with a head deadline (408) and a head size cap (431)."""

    head_timeout: float = HEAD_TIMEOUT_S
    max_head: int = MAX_HEAD_BYTES

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.refuse(408, f"the request line and headers did not arrive within {self.head_timeout:g} s")

    def refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` with ``reason`` and close the connection (nothing was dispatched)."""
        body = f"{status} {HTTPStatus(status).phrase}: {reason}\n".encode()
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n")
        self._disarm()
        self._in_head = False
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except HeadTooLarge:
            self.refuse(431, f"the request line and headers are over {self.max_head} bytes")
        except httptools.HttpParserUpgrade:
            self.refuse(400, "protocol upgrades (WebSocket, h2c) are not supported")
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, HeadTooLarge):
                self.refuse(431, f"the request line and headers are over {self.max_head} bytes")
            else:
                reason = str(exc) or "malformed request"
                self.refuse(400, f"malformed HTTP request: {reason}")

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._arm()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head:
            raise HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()


def guarded(head_timeout: float = HEAD_TIMEOUT_S, max_head: int = MAX_HEAD_BYTES) -> type[GuardedProtocol]:
    """A :class:`GuardedProtocol` class with these limits (uvicorn instantiates it per connection)."""
    return type("GuardedProtocol", (GuardedProtocol,), {"head_timeout": head_timeout, "max_head": max_head})
