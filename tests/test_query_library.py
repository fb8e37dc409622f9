"""Every library query (queries/*.rq): a valid header, real answers, and the same answers on the
embedded store, `stikg serve`, a real Oxigraph server and Virtuoso (after `stikg push`).

Answers are checked on the hand-written fixture (tests/fixtures/sparql/dataset.trig) and, once
the build has produced it, on the real kg/dataset.nq.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from servers import (
    REAL_KG,
    Dataset,
    make_fixture_project,
    make_real_project,
    oxigraph_process,
    virtuoso_process,
)
from stikg.sparql import (
    XSD,
    AskResult,
    EmbeddedBackend,
    EndpointBackend,
    GraphResult,
    Query,
    QueryError,
    Result,
    SelectResult,
    Term,
    library,
    query_form,
    run_query,
)
from stikg.sparql.push import push
from stikg.sparql.store import open_store
from stikg.web.server import Server

ROOT = Path(__file__).resolve().parents[1]
QUERIES = library(ROOT / "queries")
NAMES = sorted(QUERIES)
CONTRACT = {"program_amounts", "program_citations", "program_organizations", "funding_flows"}
BASE = "https://w3id.org/stikg/"


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory) -> Dataset:
    data = make_fixture_project(tmp_path_factory.mktemp("library") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def embedded(fixture_data) -> EmbeddedBackend:
    return EmbeddedBackend(open_store(fixture_data.paths))


@pytest.fixture(scope="module")
def real_embedded(tmp_path_factory) -> EmbeddedBackend:
    assert REAL_KG.is_file(), "kg/dataset.nq is committed: run `stikg build` and commit kg/"
    data = make_real_project(tmp_path_factory.mktemp("library-kg") / "project")
    return EmbeddedBackend(open_store(data.paths))


@pytest.fixture(scope="module")
def oxigraph_backend(fixture_data, tmp_path_factory):
    location = tmp_path_factory.mktemp("oxigraph") / "store"
    with oxigraph_process(location) as server:
        push(fixture_data.nq, server.query, server.graph_store)
        yield EndpointBackend(server.query)


@pytest.fixture(scope="module")
def serve_backend(fixture_data):
    srv = Server(store_dir=fixture_data.paths.store, port=0, workers=2, queries_dir=fixture_data.paths.queries)
    srv.start()
    yield EndpointBackend(srv.url + "/sparql")
    srv.close()


@pytest.fixture(scope="module")
def virtuoso_backend(fixture_data, tmp_path_factory):
    with virtuoso_process(tmp_path_factory.mktemp("virtuoso")) as server:
        push(fixture_data.nq, server.query, server.graph_store, user=server.user, password=server.password)
        yield EndpointBackend(server.query)


# ------------------------------------------------------------------------------ normalise


def _number(term: Term) -> Decimal | None:
    if term.type == "literal" and term.datatype and term.datatype.startswith(XSD):
        kind = term.datatype[len(XSD):]
        if kind in ("integer", "decimal", "int", "long", "double", "float"):
            try:
                return Decimal(term.value).normalize()
            except InvalidOperation:
                return None
        if kind == "boolean":
            return Decimal(1 if term.value in ("true", "1") else 0)
    return None


def key(term: Term | None, loose: bool) -> tuple:
    if term is None:
        return ("",)
    if term.type == "bnode":
        return ("bnode",)
    if loose and (n := _number(term)) is not None:
        return ("number", str(n))
    return (term.type, term.value, term.datatype or "", term.lang or "")


# GROUP_CONCAT columns of the library: their parts come in no set order (it differs between stores)
CONCATENATED = {"lines": ",", "included_in": " "}


def _concat_key(term: Term | None, separator: str, loose: bool) -> tuple:
    if term is None:
        return key(term, loose)
    return key(Term(term.type, separator.join(sorted(term.value.split(separator))), term.datatype, term.lang), loose)


def normalise(result: Result, loose: bool = False) -> tuple:
    """A comparable form: variables and the sorted rows (numbers by value when ``loose``; the parts of
    a GROUP_CONCAT column, :data:`CONCATENATED`, sorted)."""
    if isinstance(result, AskResult):
        return ("ask", result.value)
    if isinstance(result, GraphResult):
        return ("graph", sorted(tuple(key(t, loose) for t in triple) for triple in result.triples))
    seps = [CONCATENATED.get(v) for v in result.variables]
    return ("select", tuple(result.variables),
            sorted(tuple(key(t, loose) if sep is None else _concat_key(t, sep, loose) for t, sep in zip(row, seps, strict=True))
                   for row in result.rows))


def rows(result: Result) -> list[dict[str, str]]:
    assert isinstance(result, SelectResult)
    return [{k: v.value for k, v in row.items()} for row in result.dicts()]


# ---------------------------------------------------------------------- expected answers


def _has(**expected: str) -> Callable[[list[dict[str, str]]], bool]:
    return lambda found: any(all(row.get(k) == v for k, v in expected.items()) for row in found)


# Checks that hold on the fixture AND on the real kg (the figures are the corpus's; the fixture
# copies them): (library query, parameters, predicate over the rows).
CORE: list[tuple[str, dict[str, str], Callable[[list[dict[str, str]]], bool]]] = [
    ("strategy_programs", {"strategy": "統合イノベーション戦略2024"},
     _has(label_ja="世界トップレベル研究拠点プログラム")),
    ("program_timeline", {"program": "Q-LEAP"}, _has(fiscal_year="2025", stage="request", amount_yen="5100000000")),
    ("program_timeline", {"program": "Q-LEAP"}, _has(fiscal_year="2024", stage="budget", amount_yen="4500000000")),
    ("programs_by_agency", {"agency": "AMED"}, _has(label_ja="脳神経科学統合プログラム")),
    ("program_citations", {}, _has(label_ja="世界トップレベル研究拠点プログラム", strategy_label_ja="統合イノベーション戦略2024")),
    ("program_amounts", {}, _has(label_ja="光・量子飛躍フラッグシッププログラム", fiscal_year="2025", stage="request",
                                 amount_yen="5100000000")),
]

# On the real graph the example "AMED's programs include 脳神経科学統合プログラム" is answered
# the way the documents print it: the corpus pages of that program never name AMED (its AMED link is
# only its section's うちAMED予算額); they print AMED funding its predecessor 脳とこころの研究推進プログラム
# (004, 事業スキーム 国→AMED) and the registry holds the lineage from that predecessor to it.
REAL = [c for c in CORE if c[0] != "programs_by_agency"] + [
    ("programs_by_agency", {"agency": "AMED"}, _has(label_ja="脳とこころの研究推進プログラム")),
    ("program_lineage", {"program": "脳神経科学統合プログラム"},
     _has(direction="predecessor", related_label_ja="脳とこころの研究推進プログラム")),
]

# Checks on the fixture only (tests/fixtures/sparql/dataset.trig documents the figures).
FIXTURE: dict[str, tuple[dict[str, str], Callable[[list[dict[str, str]]], bool]]] = {
    "strategy_programs": ({"fiscal_year": "2025"}, lambda r: {x["label_ja"] for x in r} == {
        "世界トップレベル研究拠点プログラム", "光・量子飛躍フラッグシッププログラム", "脳神経科学統合プログラム"}),
    "strategy_request_totals": ({}, _has(strategy=BASE + "strategy/integrated-innovation-strategy-2024",
                                         programs="3", total_yen="21200000000", fiscal_year="2025")),
    "request_growth": ({}, _has(program=BASE + "program/q-leap", request_yen="5100000000",
                                previous_budget_yen="4500000000", change_yen="600000000", change_pct="13.3")),
    "request_vs_draft": ({}, _has(program=BASE + "program/wpi", request_yen="7100000000", draft_yen="6900000000",
                                  difference_yen="-200000000")),
    "supplementary_by_year": ({"fiscal_year": "2024"}, lambda r: {x["program"].rsplit("/", 1)[1] for x in r}
                              == {"wpi", "brain-neuroscience-integrated-program"}),
    "supplementary_totals": ({}, _has(fiscal_year="2024", round="1", programs="2", total_yen="1300000000")),
    "programs_by_agency": ({}, _has(agency=BASE + "organization/jst", program=BASE + "program/q-leap")),
    "programs_by_bureau": ({}, _has(bureau=BASE + "organization/mext-research-promotion-bureau",
                                    unit=BASE + "organization/mext-life-science-division",
                                    program=BASE + "program/brain-neuroscience-integrated-program")),
    "hubs": ({"program": "wpi"}, _has(hub=BASE + "hub/wpi-kavli-ipmu", host_label_ja="東京大学")),
    "funding_chains": ({}, _has(source_label_ja="文部科学省", instrument_1="subsidy", via_label_ja="日本医療研究開発機構",
                                instrument_2="commission", recipient_label_ja="大学等")),
    "funding_reach": ({"source": "文部科学省"}, lambda r: {(x["recipient_label_ja"], x["direct"]) for x in r}
                      == {("日本医療研究開発機構", "true"), ("大学等", "false")}),
    "funding_sources": ({"recipient": "大学等"}, lambda r: {x["source_label_ja"] for x in r} == {"国", "文部科学省", "日本医療研究開発機構"}),
    "program_lineage": ({}, lambda r: {x["related"].rsplit("/", 1)[1] for x in r if x["direction"] == "predecessor"}
                        == {"brain-minds", "brain-science-strategic"}),
    "strategy_editions": ({"strategy": "統合イノベーション戦略2020"}, lambda r: [x["edition_year"] for x in r]
                          == ["2020", "2023", "2024"]),
    "citation_moves": ({}, lambda r: {x["program"].rsplit("/", 1)[1] for x in r} == {"wpi", "q-leap"}),
    "programs_without_citation": ({}, lambda r: {"kakenhi", "x-3f2a9c1d0b7e"} <= {x["program"].rsplit("/", 1)[1] for x in r}
                                  and not any(x["program"].endswith("/wpi") for x in r)),
    "entity_evidence": ({"entity": "program:q-leap"}, _has(doc="000_fixture_request_fy2025.txt", line="30")),
    "subprograms": ({}, _has(program=BASE + "program/q-leap", subprogram=BASE + "program/q-leap-quantum-ai", direct="true")),
    "new_programs": ({}, _has(program=BASE + "program/brain-neuroscience-integrated-program", amount_yen="9000000000")),
    "partial_amounts": ({}, _has(amount_text="75億円の内数", fiscal_year="2024")),
    "fund_allocations": ({}, _has(fund_years="5", yen_per_year="2000000000")),
    "program_periods": ({"fiscal_year": "2030"}, _has(start_fiscal_year="2024", end_fiscal_year="2033")),
    "documents": ({}, _has(doc="000_fixture_request_fy2025.txt", allocations="9", citations="5", flows="3")),
    "strategy_citation_counts": ({}, _has(strategy=BASE + "strategy/integrated-innovation-strategy-2024", programs="3")),
    "agency_request_totals": ({}, _has(agency=BASE + "organization/jsps", total_yen="256100000000")),
    "unregistered_programs": ({}, lambda r: [x["program"].rsplit("/", 1)[1] for x in r] == ["x-3f2a9c1d0b7e"]),
    "program_timeline": ({"program": "q-leap"}, lambda r: len(r) == 5),
    "instrument_summary": ({}, lambda r: {x["instrument"] for x in r} == {"subsidy", "commission", "operating_grant"}),
    "program_amounts": ({"program": "wpi"}, _has(stage="budget", amount_yen="6100000000", doc="001_fixture_draft_fy2025.txt")),
    # WPI's FY2024 budget: 60億円 in one document, 61億円 in another — two rows, the larger selected
    "program_budget": ({"program": "wpi", "stage": "budget"}, lambda r: sorted(
        (x["amount_yen"], x["selected"]) for x in r if x["fiscal_year"] == "2024")
        == [("6000000000", "false"), ("6100000000", "true")]),
    "program_citations": ({}, _has(program=BASE + "program/q-leap", strategy=BASE + "strategy/keizai-zaisei-kihon-hoshin-2024")),
    "program_basis": ({"kind": "law"}, lambda r: [(x["basis"], x["kind"], x.get("article"), x["line"]) for x in r]
                      == [(BASE + "strategy/sti-activation-act", "law", "第34条の5", "15")]),
    "program_organizations": ({}, _has(organization=BASE + "organization/jsps", role="implementer")),
    "funding_flows": ({}, _has(from_label_ja="文部科学省", to_label_ja="日本医療研究開発機構", instrument="補助金")),
    "document_disagreements": ({}, _has(program=BASE + "program/wpi", amount_yen_a="6000000000", amount_yen_b="6100000000")),
}


# ----------------------------------------------------------------------------------- tests


def test_the_library_is_big_enough():
    ours = [n for n in NAMES if n not in CONTRACT]
    assert len(ours) >= 20, ours


@pytest.mark.parametrize("name", NAMES)
def test_header(name):
    query: Query = QUERIES[name]
    assert query.title and query.question_ja and query.question_en, name
    assert query.columns or query_form(query.text) in ("CONSTRUCT", "DESCRIBE")
    for param in query.parameters:
        assert f"?{param.name}" in query.text, (name, param.name)


@pytest.mark.parametrize("name", NAMES)
def test_columns_match_and_answers_on_the_fixture(name, embedded):
    query = QUERIES[name]
    result = run_query(query, embedded)
    if isinstance(result, SelectResult):
        assert tuple(result.variables) == query.columns, name
        assert result.rows, f"{name}: no answer on the fixture"
    elif isinstance(result, GraphResult):
        assert result.triples
    params, check = FIXTURE.get(name, ({}, None)) if name != "program_card" else ({}, None)
    if name == "program_card":
        graph = run_query(query, embedded, {"program": "Q-LEAP"})
        assert isinstance(graph, GraphResult)
        assert any(o.value == "光・量子飛躍フラッグシッププログラム" for _, _, o in graph.triples)
        return
    assert check is not None, f"{name}: add a fixture expectation to FIXTURE"
    found = rows(run_query(query, embedded, params))
    assert check(found), (name, params, found)


@pytest.mark.parametrize(("name", "params", "check"), CORE, ids=[f"{c[0]}-{i}" for i, c in enumerate(CORE)])
def test_core_answers_on_the_fixture(name, params, check, embedded):
    found = rows(run_query(QUERIES[name], embedded, params))
    assert check(found), (name, params, found[:5])


# The facts on the real graph.
@pytest.mark.parametrize(("name", "params", "check"), REAL, ids=[f"{c[0]}-{i}" for i, c in enumerate(REAL)])
def test_core_answers_on_the_real_kg(name, params, check, real_embedded):
    found = rows(run_query(QUERIES[name], real_embedded, params))
    assert check(found), (name, params, found[:5])


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_on_the_real_kg(name, real_embedded):
    # Every library query must run on the real graph (the expectations on real answers are in CORE).
    result = run_query(QUERIES[name], real_embedded)
    assert isinstance(result, SelectResult | GraphResult | AskResult)


@pytest.mark.server
@pytest.mark.parametrize("name", NAMES)
def test_same_answers_on_oxigraph_server(name, embedded, oxigraph_backend):
    params = FIXTURE.get(name, ({}, None))[0]
    assert normalise(run_query(QUERIES[name], oxigraph_backend, params)) == normalise(
        run_query(QUERIES[name], embedded, params)
    )


@pytest.mark.server
@pytest.mark.parametrize("name", NAMES)
def test_same_answers_on_stikg_serve(name, embedded, serve_backend):
    params = FIXTURE.get(name, ({}, None))[0]
    assert normalise(run_query(QUERIES[name], serve_backend, params)) == normalise(
        run_query(QUERIES[name], embedded, params)
    )


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_same_answers_on_virtuoso(name, embedded, virtuoso_backend):
    """Virtuoso stores integers above 2^31 as xsd:decimal and booleans as 0/1, so numbers and
    booleans are compared by value; everything else must be identical."""
    params = FIXTURE.get(name, ({}, None))[0]
    assert normalise(run_query(QUERIES[name], virtuoso_backend, params), loose=True) == normalise(
        run_query(QUERIES[name], embedded, params), loose=True
    )


@pytest.mark.server
@pytest.mark.slow
def test_a_virtuoso_error_names_the_server_reason(virtuoso_backend):
    """The store's own error code reaches the user, not SPARQLWrapper's bytes repr or the echoed query."""
    with pytest.raises(QueryError) as caught:
        virtuoso_backend.run("SELECT ?s WHERE { ?s nosuchprefix:p ?o }")
    message = str(caught.value)
    assert "Virtuoso 37000 Error SP030" in message and "nosuchprefix" in message
    assert "b'" not in message and "SPARQL query:" not in message and "\\n" not in message

def test_docs_list_every_library_query():
    docs = (ROOT / "docs" / "QUERIES.md").read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"`{name}`" not in docs]
    assert not missing, f"docs/QUERIES.md does not list: {missing}"
