"""The ASGI side of ``stikg serve``: uvicorn parses HTTP, this module adapts it to :class:`App`.

Why no framework: :class:`App` already routes, negotiates and answers; Starlette would add a
second router and its own request objects to translate. A pure ASGI callable of ~300 lines does
what the transport needs and nothing else:

* **the request** — the path percent-decoded strictly (invalid ``%`` escapes or UTF-8 → 400 with
  the reason), the query string the same way, headers as a case-insensitive mapping, the body
  read in the event loop against a cap (``Content-Length`` over the cap → 413 before a byte is
  read; a chunked body is cut off at the cap with 413) and a deadline (408), so a slow or
  hostile client holds a socket, never a thread;
* **the answer** — ``App.dispatch`` runs on a bounded thread pool (``--threads``) because it
  blocks on the query worker processes; the same thread adds the headers every answer carries
  (CORS, ``nosniff``, CSP for HTML), the validators and the encoding: a strong ``ETag`` on every
  200 answer to GET (304 for ``If-None-Match``, and ``If-Modified-Since`` where the handler gave
  ``Last-Modified``), byte ``Range`` on file-like answers (those with ``Content-Disposition``,
  ``Last-Modified`` or ``Accept-Ranges``; ``If-Range`` honoured) and gzip for compressible
  answers of 1 KiB and more when ``Accept-Encoding`` allows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gzip
import hashlib
import html
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote_to_bytes

from stikg.web.http import HTTPError, Request, Response, error_response
from stikg.web.sparql_app import App

log = logging.getLogger("stikg.web.server")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
_META_CSP = re.compile(rb'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"', re.IGNORECASE)
METHODS = ("GET", "HEAD", "POST", "OPTIONS")
GZIP_MIN = 1024
GZIP_LEVEL = 5
GZIP_CACHE_BYTES = 64 << 20  # compressed copies of large answers (dumps), least recently used first
GZIP_CACHE_MIN = 256 << 10
GZIP_FILES_BYTES = 1 << 30  # compressed copies of streamed files (dumps) on disk
SEND_CHUNK = 256 << 10
_COMPRESSIBLE = re.compile(r"^(text/|application/(.*[+/])?(json|xml|javascript|n-triples|n-quads|trig|turtle|"
                           r"ld\+json|sparql-results\+(json|xml)|rdf\+xml)\b)")
_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    """What a client may send: body bytes at most, and seconds to send the body in."""

    max_body: int
    body_timeout: float = 10.0
    send_timeout: float = 60.0


def page_csp(body: bytes) -> str:
    """The Content-Security-Policy header for an HTML page: the policy the page declares in its
    ``<meta http-equiv>`` (e.g. script hashes of the self-contained lineage view), else the default."""
    match = _META_CSP.search(body[:8192])
    if match:
        return html.unescape(match.group(1).decode("utf-8", "replace"))
    return DEFAULT_CSP


class Headers(Mapping[str, str]):
    """Request headers, case-insensitive; repeated headers joined with ``", "``."""

    def __init__(self, raw: list[tuple[bytes, bytes]]):
        self._items: dict[str, str] = {}
        for name, value in raw:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            self._items[key] = f"{self._items[key]}, {text}" if key in self._items else text

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def decode_path(raw: bytes) -> str:
    """The request path, percent-decoded; HTTPError 400 for a bad escape or bytes not UTF-8."""
    if _PERCENT.search(raw):
        raise HTTPError(400, "invalid percent-encoding in the path (a '%' not followed by two hex digits)")
    try:
        return unquote_to_bytes(raw).decode("utf-8") or "/"
    except UnicodeDecodeError:
        raise HTTPError(400, "the path is not UTF-8 once percent-decoded") from None


def decode_query(raw: bytes) -> dict[str, list[str]]:
    """The query-string parameters; HTTPError 400 for a bad escape or text not UTF-8."""
    if not raw:
        return {}
    if _PERCENT.search(raw):
        raise HTTPError(400, "invalid percent-encoding in the query string (a '%' not followed by two hex digits)")
    try:
        return parse_qs(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise HTTPError(400, "the query string is not UTF-8 once percent-decoded") from None
    except ValueError as exc:
        raise HTTPError(400, f"bad query string: {exc}") from None


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (q-values honoured)."""
    if not header:
        return False
    allowed: dict[str, float] = {}
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for bit in bits[1:]:
            if bit.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(bit[2:])
        allowed[bits[0].lower()] = q
    if "gzip" in allowed:
        return allowed["gzip"] > 0
    return allowed.get("*", 0) > 0


def _etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` / ``If-Range`` against our tag (weak comparison; either encoding)."""
    bare = etag.removeprefix("W/").strip('"').removesuffix("-gzip")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.removeprefix("W/").strip('"').removesuffix("-gzip") == bare:
            return True
    return False


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(header)
        modified = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return False
    return modified <= since


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one ``bytes=a-b`` range of a ``Range`` header as (first, last); None to ignore it
    (another unit, several ranges); HTTPError 416 when it lies beyond the end."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            length = int(last_text)
            if length <= 0:
                raise HTTPError(416, f"empty suffix range; the body has {size} bytes")
            return max(0, size - length), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first >= size:
        raise HTTPError(416, f"range starts at byte {first} but the body has {size} bytes")
    if first < 0 or last < first:
        return None
    return first, min(last, size - 1)


class GzipCache:
    """Compressed copies of large answers by ETag, bounded in bytes (least recently used)."""

    def __init__(self, limit: int = GZIP_CACHE_BYTES):
        self.limit = limit
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def compress(self, etag: str, body: bytes) -> bytes:
        if len(body) < GZIP_CACHE_MIN:
            return gzip.compress(body, GZIP_LEVEL, mtime=0)
        with self.lock:
            hit = self.items.get(etag)
            if hit is not None:
                self.items.move_to_end(etag)
                return hit
        packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
        with self.lock:
            if etag not in self.items and len(packed) <= self.limit:
                self.items[etag] = packed
                self.size += len(packed)
                while self.size > self.limit:
                    _, old = self.items.popitem(last=False)
                    self.size -= len(old)
        return packed


@dataclass
class Answer:
    """A response ready for the wire: status, header pairs, body (or ``length`` bytes of the open
    ``file`` from ``offset``, read and sent a chunk at a time)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    close: bool = False
    file: BinaryIO | None = None
    offset: int = 0
    length: int = 0

    @property
    def size(self) -> int:
        return self.length if self.file is not None else len(self.body)

    def release(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()


class GzipFiles:
    """Compressed copies of streamed files (dumps) on disk, by ETag, bounded in bytes (least
    recently used first out), in a temporary directory removed by :meth:`close`. The file is
    compressed once, a chunk at a time (bounded memory), by the first request that wants it;
    others asking for the same copy meanwhile wait for it."""

    def __init__(self, limit: int = GZIP_FILES_BYTES):
        self.limit = limit
        self.directory: Path | None = None
        self.items: OrderedDict[str, tuple[Path, int]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.making: dict[str, threading.Lock] = {}

    def open(self, etag: str, source: BinaryIO) -> BinaryIO:
        """The compressed copy of ``source`` (tagged ``etag``), opened for reading."""
        with self.lock:
            key_lock = self.making.setdefault(etag, threading.Lock())
        with key_lock:
            with self.lock:
                hit = self.items.get(etag)
                if hit is not None:
                    self.items.move_to_end(etag)
                    return open(hit[0], "rb")  # noqa: SIM115 -- closed by Answer.release
                if self.directory is None:
                    self.directory = Path(tempfile.mkdtemp(prefix="stikg-gzip-"))
                target = self.directory / (hashlib.blake2b(etag.encode(), digest_size=12).hexdigest() + ".gz")
            partial = target.with_suffix(".part")
            try:
                source.seek(0)
                with open(partial, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                              compresslevel=GZIP_LEVEL, mtime=0) as packed:
                    shutil.copyfileobj(source, packed, SEND_CHUNK)
                os.replace(partial, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                with self.lock:
                    self.making.pop(etag, None)
                raise
            size = target.stat().st_size
            handle = open(target, "rb")  # noqa: SIM115 -- closed by Answer.release
            with self.lock:
                self.making.pop(etag, None)
                self.items[etag] = (target, size)
                self.size += size
                while self.size > self.limit and len(self.items) > 1:
                    _, (old, old_size) = self.items.popitem(last=False)
                    self.size -= old_size
                    with contextlib.suppress(OSError):
                        old.unlink()  # an answer still sending it keeps its open file
            return handle

    def close(self) -> None:
        with self.lock:
            directory, self.directory = self.directory, None
            self.items.clear()
            self.size = 0
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _vary(headers: dict[str, str], name: str) -> None:
    key = next((k for k in headers if k.lower() == "vary"), None)
    if key is None:
        headers["Vary"] = name
    elif name.lower() not in [v.strip().lower() for v in headers[key].split(",")]:
        headers[key] = f"{headers[key]}, {name}"


def _get(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def finish(request: Request, response: Response, gzip_cache: GzipCache,
           gzip_files: GzipFiles | None = None) -> Answer:
    """The answer to send for ``response``: common headers, validators, range and encoding."""
    headers = {
        "Content-Type": response.content_type,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Expose-Headers": "X-Stikg-Truncated",
        "X-Content-Type-Options": "nosniff",
    }
    for key, value in response.headers.items():
        existing = next((k for k in headers if k.lower() == key.lower()), None)
        headers[existing or key] = value
    body = response.body
    status = response.status
    if response.content_type.startswith("text/html") and _get(headers, "Content-Security-Policy") is None:
        headers["Content-Security-Policy"] = page_csp(body)
        headers.setdefault("Referrer-Policy", "no-referrer")
    if response.file is not None:
        return _finish_file(request, status, headers, response.file, gzip_files)
    if status == 200 and request.method in ("GET", "HEAD"):
        status, body = _validate(request, headers, body, gzip_cache)
    pairs = [(k, _CONTROL.sub(" ", v)) for k, v in headers.items() if k.lower() != "content-length"]
    pairs.append(("Content-Length", str(len(body))))
    return Answer(status, pairs, body)


def _finish_file(request: Request, status: int, headers: dict[str, str], path: Path,
                 gzip_files: GzipFiles | None) -> Answer:
    """A streamed file: the same validators, ranges and encoding as :func:`_validate` gives a
    body in memory, worked out from the open file's size and times (the file is read only while
    it is sent). The ETag and Last-Modified are those of the file opened, so a dump swapped in
    meanwhile is never sent under the old one's tag."""
    try:
        handle: BinaryIO = open(path, "rb")  # noqa: SIM115 -- closed by Answer.release
    except OSError:
        return finish(request, error_response(404, "no such file"), GzipCache(0))
    answer = Answer(status, [], b"", file=handle)
    try:
        info = os.fstat(handle.fileno())
        size = info.st_size
        if _get(headers, "ETag") is None:
            stamp = f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}".encode()
            headers["ETag"] = '"' + hashlib.blake2b(stamp, digest_size=12).hexdigest() + '"'
        if _get(headers, "Last-Modified") is None:
            headers["Last-Modified"] = email.utils.formatdate(info.st_mtime, usegmt=True)
        etag = headers["ETag"]
        last_modified = headers["Last-Modified"]
        headers["Accept-Ranges"] = "bytes"
        answer.length = size
        if status == 200 and request.method in ("GET", "HEAD"):
            if_none_match = request.headers.get("If-None-Match")
            since = request.headers.get("If-Modified-Since")
            if (if_none_match is not None and _etag_matches(if_none_match, etag)) or (
                    if_none_match is None and since and _not_modified_since(since, last_modified)):
                for key in [k for k in headers if k.lower() in ("content-type", "content-disposition")]:
                    del headers[key]
                answer.release()
                answer.file, answer.status = None, 304
            elif not _file_range(request, headers, etag, last_modified, size, answer):
                compressible = size >= GZIP_MIN and bool(_COMPRESSIBLE.match(_get(headers, "Content-Type") or "")) \
                    and _get(headers, "Content-Encoding") is None
                if compressible:
                    _vary(headers, "Accept-Encoding")
                    if gzip_files is not None and accepts_gzip(request.headers.get("Accept-Encoding")):
                        packed = gzip_files.open(etag, handle)
                        answer.release()
                        answer.file, answer.length = packed, os.fstat(packed.fileno()).st_size
                        headers["Content-Encoding"] = "gzip"
                        headers["ETag"] = etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"
    except BaseException:
        answer.release()
        raise
    answer.headers = [(k, _CONTROL.sub(" ", v)) for k, v in headers.items() if k.lower() != "content-length"]
    answer.headers.append(("Content-Length", str(answer.size)))
    return answer


def _file_range(request: Request, headers: dict[str, str], etag: str, last_modified: str, size: int,
                answer: Answer) -> bool:
    """Apply a ``Range`` request to a streamed file answer (206 or 416); False when none applies."""
    wanted = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if not wanted or not (if_range is None or _etag_matches(if_range, etag) or if_range == last_modified):
        return False
    try:
        span = byte_range(wanted, size)
    except HTTPError as exc:
        headers["Content-Range"] = f"bytes */{size}"
        headers["Content-Type"] = "text/plain; charset=utf-8"
        answer.release()
        answer.file, answer.status = None, 416
        answer.body = f"416 Range Not Satisfiable: {exc.message}\n".encode()
        return True
    if span is None:
        return False
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    answer.status, answer.offset, answer.length = 206, first, last - first + 1
    return True


def _validate(request: Request, headers: dict[str, str], body: bytes, gzip_cache: GzipCache) -> tuple[int, bytes]:
    """ETag / Last-Modified → 304, Range → 206/416, Accept-Encoding → gzip; the status and body."""
    etag = _get(headers, "ETag")
    if etag is None:
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers["ETag"] = etag
    last_modified = _get(headers, "Last-Modified")
    file_like = (last_modified is not None or _get(headers, "Content-Disposition") is not None
                 or (_get(headers, "Accept-Ranges") or "").lower() == "bytes")
    if_none_match = request.headers.get("If-None-Match")
    since = request.headers.get("If-Modified-Since")
    if (if_none_match is not None and _etag_matches(if_none_match, etag)) or (
            if_none_match is None and since and last_modified and _not_modified_since(since, last_modified)):
        for key in [k for k in headers if k.lower() in ("content-type", "content-disposition")]:
            del headers[key]
        return 304, b""
    compressible = len(body) >= GZIP_MIN and bool(_COMPRESSIBLE.match(_get(headers, "Content-Type") or "")) \
        and _get(headers, "Content-Encoding") is None
    if file_like:
        headers["Accept-Ranges"] = "bytes"
        wanted = request.headers.get("Range")
        if_range = request.headers.get("If-Range")
        if wanted and (if_range is None or _etag_matches(if_range, etag) or if_range == last_modified):
            try:
                span = byte_range(wanted, len(body))
            except HTTPError as exc:
                headers["Content-Range"] = f"bytes */{len(body)}"
                headers["Content-Type"] = "text/plain; charset=utf-8"
                return 416, f"416 Range Not Satisfiable: {exc.message}\n".encode()
            if span is not None:
                first, last = span
                headers["Content-Range"] = f"bytes {first}-{last}/{len(body)}"
                return 206, body[first:last + 1]
    if compressible:
        _vary(headers, "Accept-Encoding")
        if accepts_gzip(request.headers.get("Accept-Encoding")):
            headers["Content-Encoding"] = "gzip"
            headers["ETag"] = etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"
            return 200, gzip_cache.compress(etag, body)
    return 200, body


def plain(status: int, message: str, headers: dict[str, str] | None = None, close: bool = False) -> Answer:
    """An error answer built here, in the event loop (no request object needed)."""
    response = error_response(status, message, headers)
    pairs = [("Content-Type", response.content_type), ("X-Content-Type-Options", "nosniff"),
             ("Access-Control-Allow-Origin", "*"), *response.headers.items(),
             ("Content-Length", str(len(response.body)))]
    if close:
        pairs.append(("Connection", "close"))
    return Answer(status, pairs, response.body, close)


class AsgiApp:
    """The ASGI callable uvicorn runs: requests become :class:`Request`, answers go out in chunks."""

    def __init__(self, app: App, executor: Executor, limits: Limits, access_log: bool = True):
        self.app = app
        self.executor = executor
        self.limits = limits
        self.access_log = access_log
        self.gzip_cache = GzipCache()
        self.gzip_files = GzipFiles()

    def close(self) -> None:
        self.gzip_files.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.monotonic()
        try:
            answer = await self._answer(scope, receive)
        except Exception:  # never a traceback to the client; the log has it
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            answer = plain(500, "internal server error", close=True)
        if answer is None:  # the client went away before its request was complete
            return
        try:
            await self._send(send, answer, head=scope["method"] == "HEAD")
        finally:
            answer.release()
        if self.access_log:
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %d %d %.1f ms', client[0], scope["method"], scope.get("path"), answer.status,
                     answer.size, 1000 * (time.monotonic() - started))

    async def _answer(self, scope: Scope, receive: Receive) -> Answer | None:
        method = scope["method"]
        if method not in METHODS:
            return plain(405, "this endpoint is read-only", {"Allow": ", ".join(m for m in METHODS if m != "HEAD")})
        headers = Headers(scope["headers"])
        try:
            path = decode_path(scope.get("raw_path") or scope["path"].encode("utf-8"))
            params = decode_query(scope.get("query_string", b""))
        except HTTPError as exc:
            return plain(exc.status, exc.message)
        body = await self._body(headers, receive)
        if body is None or isinstance(body, Answer):
            return body
        request = Request(method, path, params, headers, body)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._dispatch, request)

    def _dispatch(self, request: Request) -> Answer:
        return finish(request, self.app.dispatch(request), self.gzip_cache, self.gzip_files)

    async def _body(self, headers: Headers, receive: Receive) -> bytes | Answer | None:
        """The request body within the cap and the deadline, else the answer refusing it."""
        cap = self.limits.max_body
        length = headers.get("Content-Length")
        chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        expected: int | None = None
        if length is not None and not chunked:
            if not length.strip().isdigit():
                return plain(400, f"bad Content-Length: {length[:40]!r}", close=True)
            expected = int(length)
            if expected > cap:
                return plain(413, f"request body of {expected} bytes is over the limit of {cap} bytes "
                                  "(stikg serve --max-body)", close=True)
            if expected == 0:
                return b""
        elif not chunked:
            return b""
        parts: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.limits.body_timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                what = f"{size} of {expected}" if expected is not None else f"{size}"
                return plain(408, f"request body incomplete: {what} bytes arrived within "
                                  f"{self.limits.body_timeout:g} s", close=True)
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                return plain(413, f"request body over the limit of {cap} bytes (stikg serve --max-body)", close=True)
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _send(self, send: Send, answer: Answer, head: bool) -> None:
        """Send ``answer`` in chunks (flow control between them), each within the send timeout."""
        timeout = self.limits.send_timeout
        start = {"type": "http.response.start", "status": answer.status,
                 "headers": [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in answer.headers]}
        try:
            await asyncio.wait_for(send(start), timeout)
            if answer.file is not None:
                await self._send_file(send, answer, head, timeout)
                return
            body = b"" if head or answer.status in (204, 304) else answer.body
            if len(body) <= SEND_CHUNK:  # most answers: one message, no copy
                await asyncio.wait_for(send({"type": "http.response.body", "body": body}), timeout)
                return
            view = memoryview(body)
            for offset in range(0, len(body), SEND_CHUNK):
                piece = bytes(view[offset:offset + SEND_CHUNK])
                more = offset + SEND_CHUNK < len(body)
                await asyncio.wait_for(send({"type": "http.response.body", "body": piece, "more_body": more}), timeout)
        except TimeoutError:
            log.warning("a client read no answer for %g s; connection dropped", timeout)

    @staticmethod
    async def _send_file(send: Send, answer: Answer, head: bool, timeout: float) -> None:
        """``answer.length`` bytes of its file, a chunk at a time: read on a thread (the event loop
        never waits on the disk), each sent once the previous one left (uvicorn's flow control),
        so a dump of any size takes a chunk of memory, not its size."""
        assert answer.file is not None
        remaining = 0 if head or answer.status in (204, 304) else answer.length
        if remaining == 0:
            await asyncio.wait_for(send({"type": "http.response.body", "body": b""}), timeout)
            return
        loop = asyncio.get_running_loop()
        handle = answer.file
        await loop.run_in_executor(None, handle.seek, answer.offset)
        while remaining > 0:
            piece = await loop.run_in_executor(None, handle.read, min(SEND_CHUNK, remaining))
            if not piece:  # shorter than it was when opened: uvicorn closes the connection
                break
            remaining -= len(piece)
            await asyncio.wait_for(send({"type": "http.response.body", "body": piece, "more_body": remaining > 0}),
                                   timeout)
        if remaining > 0:
            await asyncio.wait_for(send({"type": "http.response.body", "body": b""}), timeout)
