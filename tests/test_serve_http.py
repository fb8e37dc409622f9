"""The HTTP layer of ``stikg serve`` on uvicorn: gzip, validators, ranges, bodies, lanes.

A :class:`Server` in this process on the test fixture (127.0.0.1, a free port), and unit tests of
the pieces that need no server (percent-decoding, ranges, the cost model, the worker lanes).
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import urllib.parse

import pytest

from servers import make_fixture_project
from stikg.sparql.store import open_store
from stikg.web.asgi import accepts_gzip, byte_range, decode_path, decode_query
from stikg.web.http import HTTPError
from stikg.web.server import Server
from stikg.web.workers import CostModel, Job, looks_cheap, query_shape

PROGRAMS = "SELECT ?p WHERE { ?p a <https://w3id.org/stikg/ontology#Program> } ORDER BY ?p"
EVERYTHING = "SELECT * WHERE { ?s ?p ?o } LIMIT 200"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("http") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def server(data):
    srv = Server(store_dir=data.paths.store, port=0, timeout=2.0, workers=1, fast_workers=1, queue_wait=0.5,
                 threads=8, queries_dir=data.paths.queries, access_log=False).start()
    yield srv
    srv.close()


def request(server, method: str, target: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(*server.address, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None and "Transfer-Encoding" not in (headers or {}):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def sparql(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def test_large_answers_and_dumps_are_gzipped_when_asked(server, data):
    status, headers, plain = request(server, "GET", "/dumps/dataset.nq")
    assert status == 200 and headers.get("Content-Encoding") is None and "Accept-Encoding" in headers["Vary"]
    assert plain == (data.root / "kg" / "dataset.nq").read_bytes()
    status, headers, packed = request(server, "GET", "/dumps/dataset.nq", {"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and gzip.decompress(packed) == plain
    assert len(packed) < len(plain) // 3 and int(headers["Content-Length"]) == len(packed)
    status, headers, body = request(server, "GET", sparql(EVERYTHING), {"Accept-Encoding": "gzip",
                                                                       "Accept": "application/sparql-results+json"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(body))["results"]["bindings"]) == 200
    assert headers["Vary"] == "Accept, Accept-Encoding"
    # small answers and refusals of gzip stay as they are
    status, headers, body = request(server, "GET", sparql("ASK {}"), {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") is None and json.loads(body)["boolean"] is True
    status, headers, _ = request(server, "GET", "/dumps/dataset.nq", {"Accept-Encoding": "gzip;q=0, *"})
    assert headers.get("Content-Encoding") is None


def test_etag_and_conditional_requests(server):
    status, headers, body = request(server, "GET", "/dumps/dataset.nq")
    etag = headers["ETag"]
    assert status == 200 and etag.startswith('"') and headers["Accept-Ranges"] == "bytes"
    status, headers, body = request(server, "GET", "/dumps/dataset.nq", {"If-None-Match": etag})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    # the gzip representation has its own tag; either validates
    _, zipped, _ = request(server, "GET", "/dumps/dataset.nq", {"Accept-Encoding": "gzip"})
    assert zipped["ETag"] != etag
    assert request(server, "GET", "/dumps/dataset.nq", {"If-None-Match": zipped["ETag"]})[0] == 304
    assert request(server, "GET", "/dumps/dataset.nq", {"If-None-Match": '"other"'})[0] == 200
    # a dump says when it was written; If-Modified-Since that date gives 304, an older one 200
    modified = request(server, "GET", "/dumps/dataset.nq")[1]["Last-Modified"]
    assert modified.endswith(" GMT")
    assert request(server, "GET", "/dumps/dataset.nq", {"If-Modified-Since": modified})[0] == 304
    assert request(server, "GET", "/dumps/dataset.nq", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    # query answers carry a tag too
    _, headers, _ = request(server, "GET", sparql(PROGRAMS))
    assert request(server, "GET", sparql(PROGRAMS), {"If-None-Match": headers["ETag"]})[0] == 304


def test_byte_ranges_on_dumps(server, data):
    whole = (data.root / "kg" / "dataset.nq").read_bytes()
    status, headers, body = request(server, "GET", "/dumps/dataset.nq", {"Range": "bytes=10-109"})
    assert status == 206 and body == whole[10:110] and headers["Content-Range"] == f"bytes 10-109/{len(whole)}"
    status, _, body = request(server, "GET", "/dumps/dataset.nq", {"Range": "bytes=-50"})
    assert status == 206 and body == whole[-50:]
    status, headers, _ = request(server, "GET", "/dumps/dataset.nq", {"Range": f"bytes={len(whole) + 5}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"
    # If-Range with a stale tag: the whole file
    status, _, body = request(server, "GET", "/dumps/dataset.nq", {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert status == 200 and body == whole
    status, headers, body = request(server, "HEAD", "/dumps/dataset.nq")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(whole)


def test_request_bodies_by_length_or_chunked(server):
    query = PROGRAMS.encode()
    headers = {"Content-Type": "application/sparql-query", "Accept": "text/csv"}
    status, _, body = request(server, "POST", "/sparql", headers, query)
    assert status == 200 and body.splitlines()[0] == b"p"
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (query[:10], query[10:])) + b"0\r\n\r\n"
    status, _, body = request(server, "POST", "/sparql", {**headers, "Transfer-Encoding": "chunked"}, chunked)
    assert status == 200 and body.splitlines()[0] == b"p"
    status, _, body = request(server, "POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"},
                              b"query=%ff")
    assert status == 400 and b"not UTF-8" in body
    status, headers, body = request(server, "DELETE", "/sparql")
    assert status == 405 and "GET" in headers["Allow"] and b"read-only" in body


def test_a_busy_general_lane_answers_503_with_retry_after_at_once(server):
    """One general worker, busy with a slow query: the next slow one waits at most --queue-wait
    (0.5 s here) and gets 503 with Retry-After, while a cheap query answers on the fast lane."""
    results: list[tuple[int, float, str | None]] = []

    def slow() -> None:
        started = time.monotonic()
        status, headers, _ = request(server, "GET", sparql(CARTESIAN))
        results.append((status, time.monotonic() - started, headers.get("Retry-After")))

    first = threading.Thread(target=slow)
    first.start()
    time.sleep(0.3)
    started = time.monotonic()
    status, headers, _ = request(server, "GET", sparql(CARTESIAN + " # another"))
    waited = time.monotonic() - started
    assert status == 503 and waited < 1.5 and int(headers["Retry-After"]) >= 1, (status, waited)
    started = time.monotonic()
    assert request(server, "GET", sparql("ASK { ?s ?p ?o }"))[0] == 200
    assert time.monotonic() - started < 1.0
    first.join(30)
    assert results[0][0] == 503 and results[0][2] is None  # the first ran into the 2 s timeout


def test_strict_decoding_of_paths_and_query_strings():
    assert decode_path(b"/program/%E6%9D%B1") == "/program/東"
    assert decode_path(b"/static/stikg.js%00.png") == "/static/stikg.js\x00.png"
    for raw, reason in ((b"/a%zz", "percent-encoding"), (b"/a%f", "percent-encoding"), (b"/a%ff", "UTF-8")):
        with pytest.raises(HTTPError, match=reason) as caught:
            decode_path(raw)
        assert caught.value.status == 400
    assert decode_query(b"query=ASK%20%7B%7D&x=") == {"query": ["ASK {}"], "x": [""]}
    with pytest.raises(HTTPError, match="UTF-8"):
        decode_query(b"query=%C3")


def test_ranges_and_accept_encoding_parsing():
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=0-1000", 100) == (0, 99)
    assert byte_range("bytes=0-1,5-6", 100) is None and byte_range("lines=1-2", 100) is None
    with pytest.raises(HTTPError):
        byte_range("bytes=100-", 100)
    assert accepts_gzip("gzip, deflate") and accepts_gzip("*") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip(None) and not accepts_gzip("br") and not accepts_gzip("identity")


def test_cost_model_sends_cheap_shapes_to_the_fast_lane():
    assert query_shape('SELECT ?x WHERE { <http://a/1> ?p "x" ; ?q 12 }') == \
        query_shape('SELECT ?x WHERE { <http://b/2> ?p "y" ; ?q 3.5 }')
    assert looks_cheap(query_shape("ASK {}")) and looks_cheap(query_shape(PROGRAMS))
    assert looks_cheap(query_shape("SELECT * WHERE { ?s ?p ?o }"))
    assert not looks_cheap(query_shape(CARTESIAN))
    assert not looks_cheap(query_shape("SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:p>|^<urn:p>)* ?b }"))
    model = CostModel(size=2)
    job = Job(CARTESIAN, "json", 10)
    assert model.lane(job) == "general"
    model.record(job, 0.01)
    assert model.lane(job) == "fast"
    cheap = Job("ASK { <urn:a> ?p ?o }", "json", 10)
    model.record(cheap, 5.0)
    assert model.lane(Job("ASK { <urn:b> ?p ?o }", "json", 10)) == "general"  # same shape, known slow
    model.record(Job("ASK { ?a ?b ?c . ?d ?e ?f }", "json", 10), 0.0)
    assert len(model.seconds) == 2  # bounded
