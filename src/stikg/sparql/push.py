"""Upload the built graph to an external triple store with the SPARQL 1.1 Graph Store Protocol.

Each named graph of ``kg/dataset.nq`` is sent with a ``PUT`` (which replaces the graph on the
store, so pushing twice changes nothing), with retries and exponential backoff on connection
errors and 5xx answers. A graph larger than ``chunk_bytes`` of N-Triples is sent in parts: the
first part by ``PUT``, the others by ``POST`` (which adds to the graph), because stores limit the
size of one request body (Virtuoso resets the connection on a ~70 MB ``PUT``). Every triple with
a blank node goes in the first part: a blank node label means the same node only within one
request, and re-sending a ``POST`` part after a failed attempt must not add a second copy of a
node. Afterwards each graph's triple count is checked with a SPARQL ``COUNT`` on the query endpoint.

Known stores: Oxigraph (``/query`` → Graph Store at ``/store``, parameter ``graph``), Virtuoso
(``/sparql`` → ``/sparql-graph-crud-auth`` with digest authentication, parameter ``graph-uri``),
Fuseki (give ``--graph-store http://host/ds/data``).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from stikg.core.config import base_iri
from stikg.core.errors import StikgError

DEFAULT_GRAPH = ""
# One request body at most this large (N-Triples bytes), except a first part of blank-node triples.
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024


class PushError(StikgError):
    """The store cannot be reached, refuses us, or ends up with different data."""


@dataclass(frozen=True)
class GraphReport:
    graph: str
    triples: int
    remote: int
    attempts: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.triples == self.remote


def graph_store_url(endpoint: str, authenticated: bool) -> str:
    """The Graph Store Protocol URL of a known store, from its query endpoint URL."""
    split = urllib.parse.urlsplit(endpoint)
    path = split.path.rstrip("/")
    if path.endswith("/query"):
        new = path[: -len("/query")] + "/store"
    elif path.endswith("/sparql"):
        new = path + ("-graph-crud-auth" if authenticated else "-graph-crud")
    else:
        raise PushError(f"cannot guess the Graph Store Protocol URL of {endpoint}; give --graph-store URL")
    return urllib.parse.urlunsplit((split.scheme, split.netloc, new, "", ""))


def read_graphs(dataset: Path) -> dict[str, list[ox.Triple]]:
    """The dataset's triples per graph IRI (``""`` for the default graph), duplicates removed."""
    graphs: dict[str, set[ox.Triple]] = {}
    try:
        for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
            name = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            graphs.setdefault(name, set()).add(quad.triple)
    except FileNotFoundError:
        raise PushError("no built graph: run `stikg build` first", dataset) from None
    except SyntaxError as exc:
        raise PushError(f"cannot parse the dataset: {exc}", dataset) from None
    return {name: sorted(triples, key=str) for name, triples in sorted(graphs.items())}


class Client:
    """HTTP with optional basic/digest authentication, retries and clear errors."""

    def __init__(self, user: str | None = None, password: str | None = None, *, retries: int = 4,
                 backoff: float = 0.5, timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep):
        self.user = user
        self.password = password
        self.opener = urllib.request.build_opener()
        self.scheme: str | None = None
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.authenticated = user is not None

    def _authenticate(self, challenge: str, url: str) -> bool:
        """Switch to the scheme the server asked for (urllib's handlers cannot be chained)."""
        if self.user is None or self.scheme is not None:
            return False
        scheme = challenge.strip().split(" ", 1)[0].lower()
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        split = urllib.parse.urlsplit(url)
        manager.add_password(None, f"{split.scheme}://{split.netloc}/", self.user, self.password or "")
        if scheme == "digest":
            handler: urllib.request.BaseHandler = urllib.request.HTTPDigestAuthHandler(manager)
        elif scheme == "basic":
            handler = urllib.request.HTTPBasicAuthHandler(manager)
        else:
            raise PushError(f"the store asks for unsupported HTTP authentication {scheme!r}")
        self.opener = urllib.request.build_opener(handler)
        self.scheme = scheme
        return True

    def _preauthorize(self, req: urllib.request.Request) -> bool:
        """Give ``req`` its Authorization header up front, from a fresh challenge (a HEAD request).

        A server answers 401 before it reads a request body and then closes the connection, so
        a large body sent without credentials ends in "connection reset" instead of the 401
        that urllib's handlers would answer. Digest needs a fresh nonce for every request.
        False when the server asks for no authentication (or an unknown scheme) on a HEAD.
        """
        try:
            with urllib.request.build_opener().open(
                urllib.request.Request(req.full_url, method="HEAD"), timeout=self.timeout
            ):
                return False
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "") if exc.code == 401 else ""
        scheme, _, params = challenge.strip().partition(" ")
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, req.full_url, self.user or "", self.password or "")
        if scheme.lower() == "digest":
            fields = urllib.request.parse_keqv_list([f for f in urllib.request.parse_http_list(params) if f])
            answer = urllib.request.HTTPDigestAuthHandler(manager).get_authorization(req, fields)
            if answer is None:
                return False
            req.add_unredirected_header("Authorization", f"Digest {answer}")
        elif scheme.lower() == "basic":
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode("ascii")
            req.add_unredirected_header("Authorization", f"Basic {token}")
        else:
            return False
        return True

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, int]:
        """Send, retrying connection errors, 5xx and 429; returns (status, body, attempts)."""
        last = ""
        for attempt in range(1, self.retries + 2):
            req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
            try:
                opener, preauthorized = self.opener, False
                if body and self.user is not None and self._preauthorize(req):
                    opener, preauthorized = urllib.request.build_opener(), True
                with opener.open(req, timeout=self.timeout) as resp:
                    return resp.status, resp.read(), attempt
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode("utf-8", "replace").strip()
                if exc.code == 401 and not preauthorized and self._authenticate(exc.headers.get("WWW-Authenticate", ""), url):
                    try:
                        with self.opener.open(
                            urllib.request.Request(url, data=body, method=method, headers=headers or {}),
                            timeout=self.timeout,
                        ) as resp:
                            return resp.status, resp.read(), attempt
                    except urllib.error.HTTPError as again:
                        exc = again
                if exc.code in (401, 403):
                    who = "the credentials given were refused" if self.authenticated else "give --user and --password"
                    raise PushError(f"{url}: HTTP {exc.code} {exc.reason}: authentication failed ({who})") from None
                if exc.code == 404:
                    raise PushError(f"{url}: HTTP 404: no such endpoint (check the URL)") from None
                if exc.code < 500 and exc.code != 429:
                    raise PushError(f"{url}: HTTP {exc.code} {exc.reason}: {detail}") from None
                last = f"HTTP {exc.code} {exc.reason} {detail}".strip()
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if attempt <= self.retries:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise PushError(f"cannot reach {url} after {self.retries + 1} attempts: {last}")


def count_triples(client: Client, endpoint: str, graph: str) -> int:
    """Triples in ``graph`` on the store, by a SPARQL COUNT on its query endpoint."""
    if graph:
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        form = {"query": text}
    else:
        form = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
    body = urllib.parse.urlencode(form).encode("ascii")
    status, data, _ = client.request(
        "POST", endpoint, body,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
    )
    try:
        bindings = json.loads(data.decode("utf-8"))["results"]["bindings"]
        return int(bindings[0]["n"]["value"]) if bindings else 0
    except (ValueError, KeyError, IndexError, TypeError):
        raise PushError(f"{endpoint}: unexpected answer to a COUNT query: {data[:200]!r}") from None


def chunks(triples: list[ox.Triple], limit: int = DEFAULT_CHUNK_BYTES) -> list[bytes]:
    """N-Triples request bodies of at most ``limit`` bytes for ``triples``, in order (at least one body).

    Triples with a blank node all go in the first body, whatever its size (see the module docstring).
    """
    def has_blank(t: ox.Triple) -> bool:
        return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

    blank = [t for t in triples if has_blank(t)]
    ordered = blank + [t for t in triples if not has_blank(t)]
    first_free = len(blank)
    bodies: list[bytes] = []
    current: list[bytes] = []
    size = 0
    # N-Triples escapes line breaks inside literals: one line per triple
    lines = (ox.serialize(ordered, format=ox.RdfFormat.N_TRIPLES) or b"").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if current and size + len(line) > limit and i >= first_free:
            bodies.append(b"".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
    bodies.append(b"".join(current))
    return bodies


def _graph_url(store: str, graph: str) -> str:
    if not graph:
        return store + ("&" if "?" in store else "?") + "default"
    param = "graph-uri" if "sparql-graph-crud" in store else "graph"
    return store + ("&" if "?" in store else "?") + urllib.parse.urlencode({param: graph})


def push(
    dataset: Path, endpoint: str, graph_store: str | None = None, *, user: str | None = None,
    password: str | None = None, client: Client | None = None, prune: bool = False,
    progress: Callable[[str], None] | None = None, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> list[GraphReport]:
    """PUT (then POST, for a large graph) every graph of ``dataset`` to the store and verify the
    counts; raises PushError on failure."""
    client = client or Client(user, password)
    store = graph_store or graph_store_url(endpoint, user is not None)
    graphs = read_graphs(dataset)
    reports: list[GraphReport] = []
    for graph, triples in graphs.items():
        started = time.monotonic()
        attempts = 0
        bodies = chunks(triples, chunk_bytes)
        for part, data in enumerate(bodies):
            # N-Triples is Turtle: every Graph Store implementation accepts text/turtle
            _, _, tries = client.request(
                "PUT" if part == 0 else "POST", _graph_url(store, graph), data,
                {"Content-Type": "text/turtle; charset=utf-8"},
            )
            attempts += tries
        remote = count_triples(client, endpoint, graph)
        report = GraphReport(graph or "(default graph)", len(triples), remote, attempts, time.monotonic() - started)
        reports.append(report)
        if progress:
            mark = "ok" if report.ok else f"MISMATCH: the store has {remote}"
            parts = f" in {len(bodies)} requests" if len(bodies) > 1 else ""
            progress(f"PUT {report.graph}: {len(triples)} triples{parts} ({mark})")
    if prune:
        for graph in stale_graphs(client, endpoint, set(graphs)):
            client.request("DELETE", _graph_url(store, graph))
            if progress:
                progress(f"DELETE {graph}: not in the dataset")
    bad = [r for r in reports if not r.ok]
    if bad:
        names = ", ".join(f"{r.graph} ({r.triples} sent, {r.remote} stored)" for r in bad)
        raise PushError(f"triple counts differ after the push: {names}")
    return reports


def stale_graphs(client: Client, endpoint: str, keep: set[str]) -> list[str]:
    """Graphs under ``{BASE}graph/`` on the store that the dataset does not have."""
    prefix = base_iri() + "graph/"
    text = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    body = urllib.parse.urlencode({"query": text}).encode("ascii")
    _, data, _ = client.request(
        "POST", endpoint, body,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
    )
    try:
        rows = json.loads(data.decode("utf-8"))["results"]["bindings"]
    except (ValueError, KeyError, TypeError):
        raise PushError(f"{endpoint}: unexpected answer listing graphs") from None
    names = {row["g"]["value"] for row in rows if "g" in row}
    return sorted(g for g in names if g.startswith(prefix) and g not in keep)
