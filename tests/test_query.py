"""stikg query: parameters as RDF terms (injection-safe), formats, the cached store, CLI errors."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers import Dataset, make_fixture_project
from stikg.core.config import Paths
from stikg.sparql import (
    EmbeddedBackend,
    Parameter,
    QueryError,
    SelectResult,
    Term,
    bind_parameters,
    char_width,
    format_csv,
    format_json,
    format_table,
    format_tsv,
    inject_values,
    load_query,
    parse_header,
    query_variables,
    render,
    run_query,
    term_for,
    where_group_start,
)
from stikg.sparql import store as store_mod
from stikg.sparql.store import STAMP_NAME, open_store

INJECTION = 'x" } ; DROP ALL ; #'


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Dataset:
    return make_fixture_project(tmp_path_factory.mktemp("query") / "project")


@pytest.fixture(scope="module")
def backend(data) -> EmbeddedBackend:
    return EmbeddedBackend(open_store(data.paths))


def cli(data: Dataset, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "STIKG_ROOT": str(data.root)}
    return subprocess.run(
        [sys.executable, "-m", "stikg.cli", "query", *args], capture_output=True, text=True,
        env=env, timeout=timeout,
    )


# ------------------------------------------------------------------------ parameters


def test_injection_value_is_one_string_literal_and_changes_nothing(backend):
    text = "SELECT ?name ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(STR(?l) = ?name) }"
    injected = inject_values(text, {"name": Term.literal(INJECTION)})
    assert 'VALUES ?name { "x\\" } ; DROP ALL ; #" }' in injected
    # the structure is unchanged: same variables, still one SELECT, and it runs returning nothing
    assert query_variables(injected) == query_variables(text)
    result = backend.run(injected)
    assert isinstance(result, SelectResult) and result.rows == []
    result = backend.run(text, {"name": Term.literal(INJECTION)})
    assert isinstance(result, SelectResult) and result.rows == []
    # the store still holds everything
    count = backend.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(count.rows[0][0].value) > 600


def test_injection_through_the_cli(data):
    done = cli(data, "program_timeline", "--param", f"program={INJECTION}")
    assert done.returncode == 2
    assert "no program is named" in done.stderr and "Traceback" not in done.stderr
    done = cli(data, str(data.root / "queries" / "hubs.rq"), "--param", f"program=<{INJECTION}>")
    assert done.returncode == 2 and "not a valid absolute IRI" in done.stderr
    # a string parameter carrying the payload is bound as one literal and matches nothing
    q = data.root / "adhoc.rq"
    q.write_text("SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }\n")
    done = cli(data, str(q), "--param", f"label={INJECTION}", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["bindings"] == []


@pytest.mark.parametrize(
    "value", ['a>b', "x y", '<http://e/x> } DROP ALL {', "http://e/\"x"]
)
def test_bad_iris_are_refused(value):
    with pytest.raises(QueryError):
        Term.iri(value).n3()


def test_literal_escaping_round_trips_through_sparql(backend):
    for value in [INJECTION, 'a\\b', "line\nbreak", "tab\tand\r", "日本語「引用」", "\x01ctl", "'''", '"""']:
        result = backend.run(inject_values("SELECT ?v WHERE { }", {"v": Term.literal(value)}))
        assert result.rows[0][0].value == value


def test_parameter_typing():
    prefixes = {"stikg": "https://w3id.org/stikg/ontology#", "program": "https://w3id.org/stikg/program/"}
    assert term_for(Parameter("y", "integer"), "2025", prefixes, None) == Term.literal("2025", Term.literal("1", "http://www.w3.org/2001/XMLSchema#integer").datatype)
    with pytest.raises(QueryError, match="expects an integer"):
        term_for(Parameter("y", "integer"), "2025; DROP", prefixes, None)
    assert term_for(Parameter("p", "program"), "program:wpi", prefixes, None).value == "https://w3id.org/stikg/program/wpi"
    assert term_for(Parameter("p", "program"), "wpi", prefixes, None).value.endswith("/program/wpi")
    assert term_for(Parameter("p", "iri"), "<http://e/x>", prefixes, None).value == "http://e/x"
    with pytest.raises(QueryError, match="expects an IRI"):
        term_for(Parameter("p", "iri"), "plain words", prefixes, None)
    assert term_for(Parameter("s", "string"), "2025", prefixes, None).datatype is None
    auto = Parameter("x", "auto")
    assert term_for(auto, "12", prefixes, None).datatype.endswith("#integer")
    assert term_for(auto, "stikg:Program", prefixes, None).type == "uri"
    assert term_for(auto, "unknown:thing", prefixes, None).type == "literal"


def test_entity_parameters_resolve_labels_short_names_and_ids(backend, data):
    query = load_query("program_timeline", data.paths.queries)
    for given in ("Q-LEAP", "光・量子飛躍フラッグシッププログラム", "q-leap", "program:q-leap",
                  "<https://w3id.org/stikg/program/q-leap>", "https://w3id.org/stikg/program/q-leap"):
        result = run_query(query, backend, {"program": given})
        assert set(result.values("program")) == {"https://w3id.org/stikg/program/q-leap"}, given
    with pytest.raises(QueryError, match="no program is named"):
        run_query(query, backend, {"program": "存在しない事業"})


def test_missing_and_unknown_parameters(data):
    query = parse_header(
        "# title: t\n# parameters:\n#   program (program): required\nSELECT ?program WHERE { ?program ?p ?o }\n",
        "t",
    )
    with pytest.raises(QueryError, match=r"needs --param program"):
        bind_parameters(query, {})
    with pytest.raises(QueryError, match="no parameter or variable"):
        bind_parameters(query, {"nosuch": "1", "program": "wpi"})


def test_values_go_into_the_outermost_where_group():
    text = (
        "PREFIX ex: <http://e/#{x}>  # a comment with { brace\n"
        "SELECT ?a (COUNT(?b) AS ?n) ('{' AS ?c) WHERE { ?a ex:p ?b { SELECT ?b WHERE { ?b ?q ?r } } } GROUP BY ?a"
    )
    at = where_group_start(text)
    assert text[at - 7:at] == "WHERE {"
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert construct[: where_group_start(construct)].endswith("WHERE {")
    assert "VALUES ?s { <http://e/s> }" in inject_values(construct, {"s": Term.iri("http://e/s")})
    with pytest.raises(QueryError):
        where_group_start("DESCRIBE <http://e/x>")


def test_a_bound_variable_restricts_rows_a_sub_select_binds(backend, data):
    # pyoxigraph's substitutions gave every row the bound value, even rows whose sub-select bound
    # another one: program_amounts with fiscal_year=2025 listed every amount as FY2025
    query = load_query("program_amounts", data.paths.queries)
    every = run_query(query, backend).values("fiscal_year")
    some = run_query(query, backend, {"fiscal_year": "2025"}).values("fiscal_year")
    assert some and set(some) == {"2025"} and len(some) == every.count("2025") < len(every)


def test_values_also_go_into_sub_selects_where_the_answer_stays_the_same():
    from stikg.sparql.syntax import subselect_groups, with_values
    text = ("SELECT * WHERE { { SELECT ?p ?y WHERE { ?a <http://e/for> ?p OPTIONAL { ?a <http://e/y> ?y } } }"
            " { SELECT ?y WHERE { OPTIONAL { ?b <http://e/y> ?y } } }"  # ?y only from an OPTIONAL: no
            " { SELECT ?p WHERE { BIND(<http://e/x> AS ?p) } }"  # bound by BIND: no
            " { SELECT (MIN(?z) AS ?p) WHERE { ?p <http://e/z> ?z } } }")  # ?p not projected plainly: no
    assert len(subselect_groups(text, "p")) == 1 and subselect_groups(text, "y") == []
    out = with_values(text, {"p": Term.iri("http://e/p"), "y": Term.iri("http://e/y")})
    assert out.count("VALUES ?p { <http://e/p> }") == 2 and out.count("VALUES ?y") == 1
    assert out.index("VALUES ?p") < out.index("{ SELECT ?p ?y WHERE {") < out.rindex("VALUES ?p", 0, out.index("?a <http://e/for>"))


# ------------------------------------------------------------------------------- formats


def test_table_aligns_japanese_by_display_width():
    assert char_width("事業") == 4 and char_width("WPI") == 3
    result = SelectResult(["label", "n"], [
        (Term.literal("世界トップレベル研究拠点プログラム", lang="ja"), Term.literal("5", "http://www.w3.org/2001/XMLSchema#integer")),
        (Term.literal("WPI"), Term.literal("12345", "http://www.w3.org/2001/XMLSchema#integer")),
    ])
    lines = format_table(result).splitlines()
    widths = {char_width(line) for line in lines[:4]}
    assert len(widths) == 1, lines  # every row has the same display width
    assert lines[2].endswith("    5") and lines[-1] == "(2 rows)"


def test_csv_tsv_json_formats():
    result = SelectResult(["p", "v"], [
        (Term.iri("http://e/p"), Term.literal("a,b\"c", lang="ja")),
        (Term.iri("http://e/q"), None),
    ])
    assert format_csv(result) == 'p,v\r\nhttp://e/p,"a,b""c"\r\nhttp://e/q,\r\n'
    assert format_tsv(result).splitlines()[1] == '<http://e/p>\t"a,b\\"c"@ja'
    data = json.loads(format_json(result))
    assert data["head"]["vars"] == ["p", "v"]
    assert data["results"]["bindings"][0]["v"] == {"type": "literal", "value": 'a,b"c', "xml:lang": "ja"}
    assert data["results"]["bindings"][1] == {"p": {"type": "uri", "value": "http://e/q"}}
    with pytest.raises(QueryError, match="CONSTRUCT and DESCRIBE"):
        render(result, "ttl")


def test_construct_query_renders_turtle(data):
    done = cli(data, "program_card", "--param", "program=wpi")
    assert done.returncode == 0, done.stderr
    assert "@prefix stikg:" in done.stdout and "program:wpi" in done.stdout


# ------------------------------------------------------------------------------- store


def test_store_is_built_once_and_reused(tmp_path):
    data = make_fixture_project(tmp_path / "p")
    open_store(data.paths)
    stamp = data.paths.store / STAMP_NAME
    first = stamp.stat().st_mtime_ns
    loads = []
    original = store_mod.build_store
    store_mod.build_store = lambda *a, **k: (loads.append(1), original(*a, **k))
    try:
        for _ in range(3):
            open_store(data.paths)
        assert loads == [] and stamp.stat().st_mtime_ns == first
        # a new manifest means a new build
        (data.root / "kg" / "manifest.json").write_text('{"changed": true}\n')
        open_store(data.paths)
        assert loads == [1]
    finally:
        store_mod.build_store = original


def test_dataset_change_without_manifest_change_rebuilds(tmp_path):
    data = make_fixture_project(tmp_path / "p")
    backend = EmbeddedBackend(open_store(data.paths))
    before = int(backend.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value)
    with open(data.nq, "a", encoding="utf-8") as handle:
        handle.write('<http://e/s> <http://e/p> "new" <https://w3id.org/stikg/graph/extra> .\n')
    backend = EmbeddedBackend(open_store(data.paths))
    after = int(backend.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value)
    assert after == before + 1


@pytest.mark.parametrize("damage", ["stamp", "garbage", "half-built"])
def test_damaged_store_is_detected_and_rebuilt(tmp_path, damage):
    data = make_fixture_project(tmp_path / "p")
    open_store(data.paths)
    store_dir = data.paths.store
    if damage == "stamp":
        (store_dir / STAMP_NAME).unlink()
    elif damage == "garbage":
        for f in store_dir.iterdir():
            if f.is_file() and f.name != STAMP_NAME:
                f.write_bytes(b"\0garbage")
    else:  # a crash between the two renames of replace_directory
        store_dir.rename(store_dir.parent / ".store.old")
        (store_dir.parent / ".store.new.x").mkdir()
    backend = EmbeddedBackend(open_store(data.paths))
    assert backend.run("ASK { ?s a <https://w3id.org/stikg/ontology#Program> }").value is True
    assert not list(store_dir.parent.glob(".store.new.*"))


def _open_in_child(root: str, out: multiprocessing.Queue) -> None:
    try:
        backend = EmbeddedBackend(open_store(Paths(Path(root))))
        out.put(int(backend.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0].value))
    except Exception as exc:  # pragma: no cover - reported to the parent
        out.put(repr(exc))


def test_concurrent_first_use_builds_once(tmp_path):
    data = make_fixture_project(tmp_path / "p")
    ctx = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_open_in_child, args=(str(data.root), out)) for _ in range(4)]
    for p in procs:
        p.start()
    answers = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert len(set(answers)) == 1 and isinstance(answers[0], int), answers


def test_repeated_queries_do_not_reparse_the_dump(data):
    cli(data, "hubs")  # make sure the store exists
    started = time.monotonic()
    done = cli(data, "hubs", "--format", "csv")
    assert done.returncode == 0 and "wpi-kavli-ipmu" in done.stdout
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------------------- CLI errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_query"], "unknown library query 'no_such_query'"),
        (["program_amount"], "did you mean program_amounts"),
        (["missing.rq"], "no such query file"),
        (["strategy_programs", "--param", "fiscal_year=twenty"], "expects an integer"),
        (["strategy_programs", "--param", "nosuch=1"], "no parameter or variable ?nosuch"),
        (["strategy_programs", "--param", "novalue"], "--param expects name=value"),
        (["hubs", "--endpoint", "http://127.0.0.1:9/sparql"], "cannot reach endpoint"),
        (["hubs", "--endpoint", "ftp://example/sparql"], "must be an http(s) URL"),
    ],
)
def test_cli_errors_are_one_clear_line(data, args, message):
    done = cli(data, *args)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_cli_syntax_error_and_missing_parameter(data, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?p }\n")
    done = cli(data, str(bad))
    assert done.returncode == 2 and "syntax error" in done.stderr.lower() and "Traceback" not in done.stderr
    need = tmp_path / "need.rq"
    need.write_text("# title: t\n# parameters:\n#   program (program): the program\nSELECT ?program WHERE { ?program a ?c }\n")
    done = cli(data, str(need))
    assert done.returncode == 2 and "needs --param program" in done.stderr


def test_cli_missing_kg_is_a_clear_error(tmp_path):
    empty = Dataset("fixture", tmp_path)
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "q.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n")
    done = cli(empty, "q")
    assert done.returncode == 2 and "run `stikg build` first" in done.stderr


def test_cli_list_shows_every_library_query(data):
    done = cli(data, "--list")
    assert done.returncode == 0
    for path in (data.root / "queries").glob("*.rq"):
        assert f"{path.stem}:" in done.stdout
