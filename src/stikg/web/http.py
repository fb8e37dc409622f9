"""The HTTP toolkit of ``stikg serve``: requests, responses, errors, content negotiation.

Shared by the SPARQL app and the route modules (linked data, lineage); it imports none of them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any


class HTTPError(Exception):
    """An error answered to the client with ``status``, a one-line ``message`` and ``headers``
    (e.g. ``Retry-After`` on a 503)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# ---------------------------------------------------------------------------------- app


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    match: re.Match[str] | None = None

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """An answer; with ``file`` the body is that file, streamed from disk in chunks (``body`` is
    then empty): the transport opens it once, and its validators, ranges and gzip never read it
    into memory."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None


Handler = Callable[[Request], Response]


def negotiate(accept: str | None, offers: Mapping[str, str], default: str) -> str:
    """The format for an Accept header (q-values honoured); ``default`` for */* or nothing."""
    if not accept:
        return default
    best: tuple[float, int, str] | None = None
    for index, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(b[2:])
        if q <= 0:
            continue
        if media in offers:
            fmt = offers[media]
        elif media in ("*/*", "application/*", "text/*"):
            fmt = default
        else:
            continue
        candidate = (q, -index, fmt)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        raise HTTPError(406, f"cannot answer with any of: {accept}; offered: {', '.join(offers)}")
    return best[2]


@functools.lru_cache(maxsize=8)
def static_text(name: str) -> str:
    return resources.files("stikg.web").joinpath("static", name).read_text(encoding="utf-8")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = f"{status} {HTTPStatus(status).phrase}: {message}\n".encode()
    return Response(status, body, "text/plain; charset=utf-8", headers or {})


def positive_param(value: str | None, name: str, default: int) -> int:
    """A whole-number parameter from 1 (``default`` when absent or blank); 400 otherwise."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise HTTPError(400, f"{name} must be a whole number from 1, got {value[:40]!r}")
    return int(text)
