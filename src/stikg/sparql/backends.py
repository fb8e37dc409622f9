"""Where queries run: the embedded pyoxigraph store (:class:`EmbeddedBackend`) or any SPARQL 1.1
endpoint (:class:`EndpointBackend`, through SPARQLWrapper). Both take the same query text and
bindings and answer the same :data:`~stikg.sparql.results.Result`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from stikg.core.config import Paths, base_iri
from stikg.sparql.library import syntax_error_message
from stikg.sparql.results import Result, SelectResult, result_from_json, result_from_ox, triples_from_rdf
from stikg.sparql.syntax import (
    has_dataset_clause,
    in_query_order,
    inject_values,
    query_form,
    read_only_refusal,
    with_values,
)
from stikg.sparql.terms import QueryError, Term


class Backend(Protocol):
    """Runs a query text with variable bindings."""

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result: ...


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def values_first(text: str, bindings: Mapping[str, Term] | None) -> str:
    """``text`` with ``VALUES ?name { term }`` for each binding at the start of its WHERE group
    (and of the sub-selects where that gives the same answer, :func:`~stikg.sparql.syntax.with_values`).

    Oxigraph applies ``substitutions`` as an initial binding that its planner does not see, so a
    bound entity still had every candidate row scanned (entity_evidence at 1.1M quads on disk:
    1.5 s; with the value in the text: 4 ms). A query with no WHERE group (``DESCRIBE <x>``) is
    left as it is (the backend passes substitutions then). No parse here
    (Oxigraph parses the result; the terms come from :meth:`Term.n3`, which escapes everything).
    """
    if not bindings or not all(_VARIABLE_NAME.fullmatch(name) for name in bindings):
        return text
    try:
        return with_values(text, bindings)
    except QueryError:
        return text


@dataclass
class EmbeddedBackend:
    """The local pyoxigraph store; parameters as ``VALUES`` blocks (:func:`values_first`), or as
    ``substitutions`` for a query with no WHERE group to write them in."""

    store: ox.Store
    union_default_graph: bool = True

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        bound = values_first(text, bindings)
        # substitutions only where no VALUES could be written: pyoxigraph gives a substituted
        # variable its value in every row, also where a sub-select bound it otherwise
        # (program_amounts with fiscal_year=2025 listed all 409 amounts as FY2025, not the 140)
        subs = {ox.Variable(k): v.to_ox() for k, v in (bindings or {}).items()} if bound == text else {}
        try:
            union = self.union_default_graph and not has_dataset_clause(text)
            raw = self.store.query(bound, use_default_graph_as_union=union, substitutions=subs or None)
            return in_query_order(result_from_ox(raw), text)
        except SyntaxError as exc:
            refusal = read_only_refusal(text)
            raise QueryError(refusal or syntax_error_message(text, exc)) from None
        except RuntimeError as exc:
            message = str(exc)
            if "projection" in message:
                names = ", ".join("?" + k for k in sorted(bindings or {}))
                raise QueryError(
                    f"cannot bind {names}: a parameter of a SELECT query must be one of its columns "
                    f"({message})"
                ) from None
            raise QueryError(f"query failed: {message}") from None
        except OSError as exc:
            raise QueryError(f"cannot read the store: {exc}") from None


def endpoint_reason(exc: Exception, limit: int = 300) -> str:
    """The server's own words from a SPARQLWrapper error, without the echoed query.

    SPARQLWrapper formats the response body as a Python bytes repr after ``Response:``; a store's
    error code (Virtuoso ``SR171: Transaction timed out``, Fuseki's parse error …) is in it.
    """
    import ast

    head, sep, body = str(exc).partition("Response:")
    if not sep:
        return " ".join(head.split())[:limit]
    try:
        raw = ast.literal_eval(body.strip())
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    except (ValueError, SyntaxError):
        text = body
    text = re.split(r"\n\s*SPARQL query:", text, maxsplit=1)[0]
    return " ".join(text.split())[:limit] or " ".join(head.split())[:limit]


@dataclass
class EndpointBackend:
    """Any SPARQL 1.1 endpoint through SPARQLWrapper; parameters via an injected VALUES clause.

    With ``union=True`` (default) the dataset is the store's graphs under ``{BASE}graph/``, sent
    as ``default-graph-uri`` and ``named-graph-uri`` so that queries see the union of the named
    graphs as their default graph on any endpoint; with ``union=False`` the endpoint's own
    default graph is used.
    """

    url: str
    union: bool = True
    timeout: float = 60.0
    user: str | None = None
    password: str | None = None
    _graphs: list[str] | None = field(default=None, repr=False)

    def _wrapper(self, text: str, graphs: Iterable[str] = ()) -> Any:
        from SPARQLWrapper import POST, SPARQLWrapper

        sw = SPARQLWrapper(self.url)
        sw.setMethod(POST)
        sw.setOnlyConneg(True)  # Accept header only: no format=/output= parameters (Virtuoso → 406)
        sw.setTimeout(int(max(1, self.timeout)))
        if self.user is not None:
            sw.setCredentials(self.user, self.password or "")
        for graph in graphs:
            sw.addDefaultGraph(graph)
            sw.addNamedGraph(graph)
        sw.setQuery(text)
        return sw

    def _request(self, sw: Any, accept: str) -> bytes:
        import http.client
        from urllib.error import HTTPError, URLError

        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        sw.addCustomHttpHeader("Accept", accept)
        # Virtuoso answers with one X-SPARQL-default-graph header per default-graph-uri, and
        # http.client refuses a response with more than 100 headers (http.client._MAXHEADERS, a
        # guard for servers we do not choose). Allow ours: two per graph and some room.
        wanted = 2 * len(self._graphs or ()) + 100
        if getattr(http.client, "_MAXHEADERS", wanted) < wanted:
            http.client._MAXHEADERS = wanted  # type: ignore[attr-defined]  # private, not in typeshed
        try:
            return sw.query().response.read()
        except http.client.HTTPException as exc:  # a malformed answer (not an OSError)
            raise QueryError(f"endpoint {self.url} sent a malformed HTTP answer: {exc}") from None
        except SPARQLWrapperException as exc:
            raise QueryError(
                f"endpoint {self.url} refused the query ({type(exc).__name__}): {endpoint_reason(exc)}"
            ) from None
        except HTTPError as exc:
            raise QueryError(f"endpoint {self.url} answered HTTP {exc.code} {exc.reason}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise QueryError(f"cannot reach endpoint {self.url}: {reason}") from None

    def graphs(self) -> list[str]:
        """The store's graphs under ``{BASE}graph/`` (listed once)."""
        if self._graphs is None:
            prefix = base_iri() + "graph/"
            text = (
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), {Term.literal(prefix).n3()})) }}"
            )
            result = result_from_json(self._json(self._wrapper(text)))
            assert isinstance(result, SelectResult)
            self._graphs = sorted(r[0].value for r in result.rows if r[0] is not None)
        return self._graphs

    def _json(self, sw: Any) -> dict[str, Any]:
        body = self._request(sw, "application/sparql-results+json")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise QueryError(
                f"endpoint {self.url} did not answer with SPARQL JSON results: {body[:200]!r}"
            ) from None

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        try:
            form = query_form(text)
        except QueryError:
            raise QueryError(read_only_refusal(text) or "not a SPARQL query (no SELECT, CONSTRUCT, DESCRIBE or ASK)") from None
        text = inject_values(text, bindings or {}) if bindings else text
        # the query's own FROM / FROM NAMED choose its dataset; the protocol's would override them
        graphs = self.graphs() if self.union and not has_dataset_clause(text) else []
        sw = self._wrapper(text, graphs)
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self._request(sw, "application/n-triples, text/turtle;q=0.9")
            if body.lstrip()[:1] in (b"{", b"["):
                raise QueryError(f"endpoint {self.url} answered a graph query with JSON")
            return triples_from_rdf(body, ox.RdfFormat.TURTLE)
        return result_from_json(self._json(sw))




def embedded_backend(paths: Paths, dataset: Path | None = None) -> EmbeddedBackend:
    from stikg.sparql.store import open_store

    return EmbeddedBackend(open_store(paths, dataset=dataset))
