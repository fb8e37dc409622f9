"""``/dumps/`` streams the file: a dump much larger than the answers of the endpoint is sent a
chunk at a time, whole, by range and gzipped, without the server's memory growing by its size.

A :class:`Server` in this process on the test fixture, whose ``kg/dataset.trig`` (a dump the
store does not read) is replaced by 50 MB of synthetic TriG; the resident memory of this process
(server and client) is sampled from /proc while the dump is downloaded in 64 KiB reads.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
import zlib
from pathlib import Path

import pytest

from servers import make_fixture_project
from stikg.sparql.store import open_store
from stikg.web.server import Server

DUMP_MB = 50
GROWTH_BOUND_MB = 20  # well under the dump's 50 MB: a copy of it in memory would fail this


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class Sampler:
    """The peak resident memory of this process while the ``with`` block runs (every 5 ms)."""

    def __enter__(self) -> Sampler:
        self.start = rss_mb()
        self.peak = self.start
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("dumps") / "project")
    open_store(data.paths)
    dump = data.root / "kg" / "dataset.trig"
    digest = hashlib.sha256()
    line = '<urn:stikg:s{:09d}> <urn:stikg:label> "合成のラベル {:09d}"@ja .\n'
    with open(dump, "w", encoding="utf-8") as out:
        out.write("<urn:stikg:graph> {\n")
        digest.update(b"<urn:stikg:graph> {\n")
        i = 0
        while out.tell() < DUMP_MB << 20:
            block = "".join(line.format(n, n) for n in range(i, i + 10_000))
            out.write(block)
            digest.update(block.encode("utf-8"))
            i += 10_000
        out.write("}\n")
        digest.update(b"}\n")
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, workers=1, fast_workers=0, threads=4,
                 queries_dir=data.paths.queries, access_log=False, cache_mb=0).start()
    yield srv, dump, digest.hexdigest()
    srv.close()


def download(server: Server, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, str, int]:
    """GET /dumps/dataset.trig read 64 KiB at a time: status, headers, sha256 of the (decompressed)
    body and the bytes on the wire; the client never holds the body."""
    conn = http.client.HTTPConnection(*server.address, timeout=120)
    try:
        conn.putrequest("GET", "/dumps/dataset.trig", skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        resp = conn.getresponse()
        digest = hashlib.sha256()
        unpack = zlib.decompressobj(wbits=31) if resp.headers.get("Content-Encoding") == "gzip" else None
        wire = 0
        while chunk := resp.read(64 << 10):
            wire += len(chunk)
            digest.update(unpack.decompress(chunk) if unpack else chunk)
        if unpack:
            digest.update(unpack.flush())
        return resp.status, resp.headers, digest.hexdigest(), wire
    finally:
        conn.close()


def test_a_large_dump_is_streamed_without_holding_it_in_memory(big):
    server, dump, expected = big
    size = dump.stat().st_size
    assert size >= DUMP_MB << 20
    download(server, {"Range": "bytes=0-9"})  # threads and connections exist before the baseline
    time.sleep(0.2)
    with Sampler() as whole:
        status, headers, digest, wire = download(server)
    assert status == 200 and digest == expected and wire == size == int(headers["Content-Length"])
    assert headers["Accept-Ranges"] == "bytes" and headers["ETag"].startswith('"') and headers["Last-Modified"]
    assert whole.growth < GROWTH_BOUND_MB, f"RSS {whole.start:.1f} -> {whole.peak:.1f} MB for a {size >> 20} MB dump"

    with Sampler() as ranged:
        status, headers, _, wire = download(server, {"Range": f"bytes={10 << 20}-{40 << 20}"})
    assert status == 206 and wire == (30 << 20) + 1 and headers["Content-Range"] == f"bytes {10 << 20}-{40 << 20}/{size}"
    with open(dump, "rb") as handle:
        handle.seek(size - 100)
        tail = handle.read()
    conn = http.client.HTTPConnection(*server.address, timeout=30)
    conn.request("GET", "/dumps/dataset.trig", headers={"Range": "bytes=-100"})
    assert conn.getresponse().read() == tail
    conn.close()
    assert ranged.growth < GROWTH_BOUND_MB, f"RSS {ranged.start:.1f} -> {ranged.peak:.1f} MB for a 30 MB range"

    with Sampler() as packed:  # compressed once into a temporary file, a chunk at a time, then streamed
        status, headers, digest, wire = download(server, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and digest == expected
    assert wire == int(headers["Content-Length"]) < size // 3 and headers["ETag"].endswith('-gzip"')
    assert packed.growth < GROWTH_BOUND_MB, f"RSS {packed.start:.1f} -> {packed.peak:.1f} MB gzipping the dump"
    # the compressed copy is kept: the second request streams it at once, and it validates
    started = time.monotonic()
    status, again, digest, _ = download(server, {"Accept-Encoding": "gzip"})
    assert status == 200 and digest == expected and time.monotonic() - started < 5
    conn = http.client.HTTPConnection(*server.address, timeout=30)
    conn.request("GET", "/dumps/dataset.trig", headers={"If-None-Match": again["ETag"], "Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    assert resp.status == 304 and resp.read() == b""
    conn.close()
    print(f"\ndump {size / 2**20:.1f} MB: RSS growth whole {whole.growth:.1f} MB, range {ranged.growth:.1f} MB, "
          f"gzip {packed.growth:.1f} MB (bound {GROWTH_BOUND_MB} MB)")


def test_head_and_ranges_of_a_streamed_file(big):
    server, _, _ = big
    conn = http.client.HTTPConnection(*server.address, timeout=120)
    conn.request("HEAD", "/dumps/dataset.trig", headers={"Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b"" and resp.headers["Content-Encoding"] == "gzip"
    conn.close()
    status, headers, _, wire = download(server, {"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert status == 206 and wire == 100 and headers.get("Content-Encoding") is None  # ranges are of the file
