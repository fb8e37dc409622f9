"""The lineage graph (stikg.lineage): records from SPARQL, graph, filters, ranking, paths, export,
the `stikg lineage` / `stikg viz` commands and the /lineage route — on the SPARQL fixture."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import networkx as nx
import pytest

from servers import make_fixture_project
from stikg import lineage as L
from stikg.cli import main
from stikg.sparql import embedded_backend, library
from stikg.sparql.store import open_store
from stikg.web.server import Server

BASE = "https://w3id.org/stikg/"
S2020, S2023, S2024 = (BASE + f"strategy/integrated-innovation-strategy-{y}" for y in (2020, 2023, 2024))
HONEBUTO = BASE + "strategy/keizai-zaisei-kihon-hoshin-2024"
BRAIN = BASE + "program/brain-neuroscience-integrated-program"


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("lineage") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def data(fixture) -> L.LineageData:
    return L.fetch_embedded(fixture.paths)


def test_records_from_sparql(data):
    kinds = {e.kind for e in data.entities.values()}
    assert kinds == {"strategy", "program", "organization", "hub"}
    assert data.entities[BASE + "organization/amed"].type == "funding_agency"
    assert data.entities[BASE + "program/q-leap"].aliases == ("Q-LEAP",)
    assert (S2023, "next_edition", S2024) in data.links
    assert (BASE + "program/brain-minds", "successor", BRAIN) in data.links
    assert (BASE + "program/q-leap", "subprogram", BASE + "program/q-leap-quantum-ai") in data.links
    assert all(c.strategy in data.entities for c in data.citations)
    assert all((a.doc, a.line) in data.quotes for a in data.amounts)  # every fact has its quote
    assert data.fiscal_years() == [2021, 2023, 2024, 2025] and data.latest_fiscal_year() == 2025


def test_amounts_query_answers_as_the_contract_query(fixture):
    backend = embedded_backend(fixture.paths)
    contract = backend.run(library(fixture.paths.queries)["program_amounts"].text)
    ours = backend.run(L.AMOUNTS_QUERY)
    assert ours.variables == contract.variables
    assert set(ours.rows) == set(contract.rows)  # the union graph may repeat a row; fetch() deduplicates


def test_graph_edges_point_left_to_right(data):
    g = L.build_graph(data)
    assert isinstance(g, nx.MultiDiGraph)
    kinds = {a["kind"] for _, _, a in g.edges(data=True)}
    assert {"cites", "next_edition", "successor", "subprogram", "role", "flow", "hub_of", "hosts"} <= kinds
    for u, v, a in g.edges(data=True):
        if a["kind"] == "cites":
            assert g.nodes[u]["kind"] == "strategy" and g.nodes[v]["kind"] == "program"
        if a["kind"] in ("role", "hub_of"):
            assert g.nodes[u]["kind"] == "program"
        if a["kind"] not in ("next_edition", "successor", "flow", "hosts"):
            assert g.nodes[u]["column"] < g.nodes[v]["column"], (u, v, a)
    assert g.nodes[BASE + "program/q-leap-quantum-ai"]["type"] == "subprogram"
    year, stage = g.graph["fiscal_year"], g.graph["stage"]
    assert stage == L.default_stage(data, year) and stage in L.STAGES  # one stage for every programme, stated
    for node, attrs in g.nodes(data=True):
        if attrs["kind"] == "program" and "budget_yen" in attrs:
            figures = [b.amount_yen for b in L.budget_rows(data) if b.program == node and b.fiscal_year == year
                       and b.stage == stage and b.selected and not b.partial]
            assert attrs["budget_yen"] == sum(figures), node
    wpi = L.build_graph(data, 2025, "budget_draft").nodes[BASE + "program/wpi"]
    draft = [a.amount_yen for a in data.amounts
             if a.program == BASE + "program/wpi" and a.fiscal_year == 2025 and a.stage == "budget_draft"]
    assert draft and wpi["budget_yen"] == max(draft)


def test_budget_of_one_stage_only():
    assert L.pick_budget({"request": 3, "budget_draft": 2}, "request") == 3
    assert L.pick_budget({"request": 3}, "budget") is None
    assert L.pick_budget({"request": 3, "budget": 1}, None) is None  # no stage, no figure: never a mix


def test_default_stage_is_the_stage_most_programmes_have(data):
    for year in data.fiscal_years():
        stage = L.default_stage(data, year)
        counts = {s: len({b.program for b in data.budgets if b.fiscal_year == year and b.stage == s
                          and b.selected and not b.partial}) for s in L.STAGES}
        assert stage is None or counts[stage] == max(counts.values())


def test_filters_resolve_names_and_leave_exactly_the_citing_programs(data):
    g = L.build_graph(data)
    r = L.resolve_filters(data, L.Filters(strategy="統合イノベーション戦略2024"))
    assert r.strategies == (S2024,) and not r.errors
    citing = {c.program for c in data.citations if c.strategy == S2024}
    shown = L.visible_nodes(g, data, r)
    assert {n for n in shown if g.nodes[n]["kind"] == "program"} == citing
    assert {n for n in shown if g.nodes[n]["kind"] == "strategy"} == {S2024}
    assert L.resolve_filters(data, L.Filters(strategy="骨太2024")).strategies == (HONEBUTO,)  # alias
    assert set(L.resolve_filters(data, L.Filters(strategy="統合イノベーション戦略")).strategies) == {S2020, S2023, S2024}
    assert L.resolve_filters(data, L.Filters(strategy=S2020)).strategies == (S2020,)
    bad = L.resolve_filters(data, L.Filters(strategy="no such strategy"))
    assert bad.errors and bad.errors[0].startswith("no strategy matches 'no such strategy'; known strategies: ")
    assert "統合イノベーション戦略2024" in bad.errors[0]
    amed = L.resolve_filters(data, L.Filters(agency="AMED"))
    assert amed.agencies == (BASE + "organization/amed",)
    programs = L.visible_programs(data, amed)
    assert programs and all(any(r.organization == BASE + "organization/amed" for r in data.roles if r.program == p)
                            or any(BASE + "organization/amed" in (f.from_org, f.to_org) for f in data.flows if f.program == p)
                            for p in programs)
    year = L.resolve_filters(data, L.Filters(fiscal_year=2021))
    assert L.visible_programs(data, year) == {a.program for a in data.amounts if a.fiscal_year == 2021}
    assert L.resolve_filters(data, L.Filters(fiscal_year=1999)).errors


def test_agency_filter_includes_sub_organisations(data):
    mext = L.resolve_filters(data, L.Filters(agency="文部科学省"))
    bureau_programs = {r.program for r in data.roles if "mext-" in r.organization}
    assert bureau_programs and bureau_programs <= L.visible_programs(data, mext)


def test_strategy_ranking(data):
    rows = L.strategy_ranking(data)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows == sorted(rows, key=lambda r: (-r["yen"], -r["programs"], r["label"], r["strategy"]))
    top = rows[0]
    assert top["strategy"] == S2024 and top["fiscal_year"] == 2025
    money = L.budgets(data)
    citing = {c.program for c in data.citations if c.strategy == S2024}
    stage = top["stage"]
    assert stage == L.default_stage(data, 2025)
    parents = data.parents("subprogram")
    expected = sum(v for p in citing if (v := L.pick_budget(money.get(p, {}).get(2025), stage)) is not None
                   and not (parents.get(p, set()) & citing))
    assert top["yen"] == expected and top["programs"] == len(citing)
    assert {r["strategy"] for r in rows} == {c.strategy for c in data.citations}
    assert all(r["fiscal_year"] == 2021 for r in L.strategy_ranking(data, 2021))


def test_ranking_does_not_add_a_sub_program_twice():
    d = L.LineageData()
    for iri, kind in (("s", "strategy"), ("p", "program"), ("c", "program")):
        d.entities[iri] = L.Entity(iri, kind, iri)
    d.links = [("p", "subprogram", "c")]
    d.citations = [L.CitationRow("p", "s", "d", 1), L.CitationRow("c", "s", "d", 2)]
    d.amounts = [L.Amount("p", 2025, "request", 100, False, "d", 3), L.Amount("c", 2025, "request", 40, False, "d", 4),
                 L.Amount("p", 2025, "budget", 999, True, "d", 5)]
    [row] = L.strategy_ranking(d)
    assert row["yen"] == 100 and row["programs"] == 2 and row["funded_programs"] == 2


def test_lineage_paths_through_predecessors_and_parents(data):
    paths = L.lineage_paths(data, BRAIN)
    ends = [(tuple(s.relation for s in p), p[-1].node) for p in paths]
    assert (("cites",), S2024) in ends
    assert (("successor of", "cites"), S2020) in ends  # via 革新脳, which cites the 2020 edition
    assert all(p[-1].evidence for p in paths)
    d = L.LineageData()
    for iri, kind in (("s", "strategy"), ("p", "program"), ("c", "program"), ("old", "program")):
        d.entities[iri] = L.Entity(iri, kind, iri)
    d.links = [("p", "subprogram", "c"), ("old", "successor", "p"), ("c", "successor", "old")]  # a cycle
    d.citations = [L.CitationRow("old", "s", "d", 1)]
    paths = L.lineage_paths(d, "c")  # c is part of p, p succeeds old (which c precedes: a cycle), old cites s
    assert [[s.node for s in p] for p in paths] == [["p", "old", "s"]]
    assert [s.relation for s in paths[0]] == ["subprogram of", "successor of", "cites"]
    assert L.resolve_program(data, "革新脳") == BASE + "program/brain-minds"
    with pytest.raises(L.LineageError, match="no program matches"):
        L.resolve_program(data, "nothing like this")
    with pytest.raises(L.LineageError, match="matches 2 programs|matches [0-9]+ programs"):
        L.resolve_program(data, "脳")


def test_layout_places_every_node_without_overlap(data):
    g = L.build_graph(data)
    pos = L.layered_layout(g)
    assert set(pos) == set(g.nodes)
    sizes = L.node_sizes(g)
    by_x: dict[float, list[str]] = {}
    for n, (x, _) in pos.items():
        by_x.setdefault(x, []).append(n)
    for nodes in by_x.values():
        nodes.sort(key=lambda n: pos[n][1])
        for a, b in zip(nodes, nodes[1:], strict=False):
            assert pos[b][1] - pos[a][1] >= (sizes[a] + sizes[b]) / 2, (a, b)
    strategies = [x for n, (x, _) in pos.items() if g.nodes[n]["kind"] == "strategy"]
    programs = [x for n, (x, _) in pos.items() if g.nodes[n]["kind"] == "program"]
    assert max(strategies) < min(programs)


def test_synthetic_5000_nodes_layout_is_fast():
    import time

    d = L.synthetic_lineage(5000)
    start = time.monotonic()
    g = L.build_graph(d)
    pos = L.layered_layout(g)
    assert g.number_of_nodes() == 5000 and len(pos) == 5000
    assert time.monotonic() - start < 10
    xs = sorted({x for x, _ in pos.values()})
    ys = [y for _, y in pos.values()]
    assert (max(xs) - min(xs)) > 0.3 * (max(ys) - min(ys))  # tall columns wrap: not a thin line


def test_export_is_deterministic_and_readable(fixture, tmp_path):
    graphml = L.export_network(fixture.paths, "graphml")
    gexf = L.export_network(fixture.paths, "gexf")
    assert graphml == L.export_network(fixture.paths, "graphml") and gexf == L.export_network(fixture.paths, "gexf")
    assert "lastmodifieddate" not in gexf
    (tmp_path / "g.graphml").write_text(graphml, encoding="utf-8")
    (tmp_path / "g.gexf").write_text(gexf, encoding="utf-8")
    g1 = nx.read_graphml(tmp_path / "g.graphml")
    g2 = nx.read_gexf(tmp_path / "g.gexf")
    ref = L.build_graph(L.fetch_embedded(fixture.paths))
    assert g1.number_of_nodes() == g2.number_of_nodes() == ref.number_of_nodes()
    assert g1.number_of_edges() == ref.number_of_edges()
    assert g1.nodes[BASE + "program/wpi"]["label_ja"] == "世界トップレベル研究拠点プログラム"
    with pytest.raises(L.LineageError):
        L.network_text(ref, "dot")


def test_export_is_byte_identical_across_hash_seeds(fixture):
    code = ("import sys; from pathlib import Path; from stikg.core.config import Paths; "
            "from stikg.lineage import export_network; sys.stdout.write(export_network(Paths(Path(sys.argv[1])), sys.argv[2]))")
    for fmt in ("graphml", "gexf"):
        outs = {subprocess.run([sys.executable, "-c", code, str(fixture.root), fmt], capture_output=True, check=True,
                               env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout for seed in ("1", "2")}
        assert len(outs) == 1


def test_cli_lineage_and_viz(fixture, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STIKG_ROOT", str(fixture.root))
    assert main(["lineage"]) == 0
    out = capsys.readouterr().out
    assert "統合イノベーション戦略2024" in out and "FY2025" in out
    assert main(["lineage", "--format", "json", "--fiscal-year", "2021"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and rows[0]["fiscal_year"] == 2021
    assert main(["lineage", "--program", BRAIN]) == 0
    out = capsys.readouterr().out
    assert "統合イノベーション戦略2020 → 革新的技術による脳機能ネットワークの全容解明プロジェクト → 脳神経科学統合プログラム" in out
    assert main(["lineage", "--program", "nothing like this"]) == 2
    assert "no program matches 'nothing like this'" in capsys.readouterr().err
    page = tmp_path / "lineage.html"
    assert main(["viz", "--strategy", "統合イノベーション戦略2024", "--out", str(page)]) == 0
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    capsys.readouterr()
    assert main(["viz", "--strategy", "XYZ", "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "no strategy matches 'XYZ'; known strategies: " in err and "統合イノベーション戦略2024" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "x.html").exists()
    assert main(["viz", "--fiscal-year", "2021", "--stage", "fund", "--out", str(tmp_path / "y.html")]) == 2
    assert "no program matches the filters" in capsys.readouterr().err
    assert main(["export", "--format", "graphml", "--out", str(tmp_path / "g.graphml")]) == 0


@pytest.fixture(scope="module")
def server(fixture):
    srv = Server(store_dir=fixture.paths.store, port=0, workers=1, queries_dir=fixture.paths.queries).start()
    yield srv
    srv.close()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode("utf-8")


def test_served_lineage(server, data):
    status, ctype, body = get(server.url + "/lineage")
    assert status == 200 and ctype.startswith("text/html") and 'id="lineage-data"' in body
    q = urllib.parse.urlencode({"strategy": "統合イノベーション戦略2024", "fiscal_year": "2025"})
    status, ctype, body = get(server.url + "/lineage/data.json?" + q)
    payload = json.loads(body)
    assert status == 200 and payload["meta"]["mode"] == "serve"
    assert payload["initial"]["strategies"] == ["strategy/integrated-innovation-strategy-2024"]
    assert payload["initial"]["fiscal_year"] == 2025
    assert len(payload["nodes"]) == L.build_graph(data).number_of_nodes()
    status, _, body = get(server.url + "/lineage?strategy=nosuch")
    assert status == 404 and "no strategy matches &#x27;nosuch&#x27;" not in body  # message is data, not markup
    assert "no strategy matches 'nosuch'" in json.loads(body.split('id="lineage-data">')[1].split("</script>")[0]
                                                        )["initial"]["errors"][0]
    status, _, body = get(server.url + "/lineage?fiscal_year=abc")
    assert status == 400 and "fiscal_year" in body
