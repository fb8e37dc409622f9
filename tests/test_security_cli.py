"""Hostile input on the command line: parameters, YAML and documents.

* ``--param`` values are bound as RDF terms: an injection string such as
  ``x" } ; DROP ALL ; #`` leaves the query as it was (embedded store and ``--endpoint``), and
  the CLI answers with one line, never a traceback.
* ``sources/catalog.yaml`` and ``mappings/registry/*.yaml`` are loaded safely: a
  ``!!python/...`` tag is refused with a clear error naming the file and the line, and nothing
  runs; an alias bomb ("billion laughs") is refused quickly instead of eating the machine.
* Documents with invalid UTF-8, another encoding or control characters are refused with the
  file and the line.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servers import make_fixture_project
from stikg.sparql import QueryError, Term, check_syntax, inject_values
from stikg.sparql.store import open_store
from stikg.web.server import Server

INJECTION = 'x" } ; DROP ALL ; #'
EXAMPLES = int(os.environ.get("STIKG_FUZZ_EXAMPLES", "150"))
CATALOG_ENTRY_LINE = re.compile(r"^  - id: ")


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


def cli_process(root: Path, *args: str, timeout: float = 120, memory: int | None = None) -> subprocess.CompletedProcess:
    """``stikg ARGS`` in a subprocess for ``root`` (optionally with an address-space limit in bytes)."""

    def limit() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "STIKG_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "stikg.cli", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit if memory else None)


@pytest.fixture
def cli(monkeypatch, capsys):
    """``stikg ARGS`` in this process (fast); an escaping exception counts as a traceback."""
    from stikg.cli import main

    def run(root: Path, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.setenv("STIKG_ROOT", str(root))
        capsys.readouterr()
        try:
            status = main(list(args))
            trace = ""
        except SystemExit as exc:
            status, trace = int(exc.code or 0), ""
        except Exception:
            status, trace = 1, "Traceback (most recent call last):\n" + traceback.format_exc()
        out = capsys.readouterr()
        return subprocess.CompletedProcess(["stikg", *args], status, out.out, out.err + trace)

    return run


def _short(err: str) -> str:
    """The CLI's error line without the temporary directory."""
    line = err.strip().splitlines()[-1] if err.strip() else ""
    return re.sub(r"/\S*/(project|pytest-[^/]+)/", "", line)[:240]


def one_clear_error(done: subprocess.CompletedProcess) -> str:
    """The CLI failed with exit status 2 and one ``stikg …: error:`` line, no traceback."""
    tail = " | ".join(line.strip() for line in done.stderr.strip().splitlines()[-3:])
    assert done.returncode == 2 and "Traceback" not in done.stderr, \
        f"exit {done.returncode}{', a traceback' if 'Traceback' in done.stderr else ''}: {tail}"
    assert "error:" in done.stderr
    assert "\x1b" not in done.stderr, "raw terminal escape echoed to stderr"
    return done.stderr


# ----------------------------------------------------------------------------------- --param


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("cli-security") / "project")
    open_store(data.paths)
    (data.root / "echo.rq").write_text("SELECT ?text WHERE { }\n", encoding="utf-8")
    (data.root / "labels.rq").write_text(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?s ?label WHERE { ?s rdfs:label ?label }\n", encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def endpoint(fixture_data):
    srv = Server(store_dir=fixture_data.paths.store, port=0, workers=1, timeout=10,
                 queries_dir=fixture_data.paths.queries).start()
    try:
        yield srv.url + "/sparql"
    finally:
        srv.close()


def triple_count(cli, data) -> int:
    done = cli(data.root, "query", str(data.root / "count.rq"), "--format", "csv")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.splitlines()[1])


@pytest.mark.parametrize("where", ["embedded", "endpoint"])
def test_param_injection_is_bound_as_a_term(cli, fixture_data, endpoint, where):
    """The injection string is a value: a library query finds no such program, an echo query
    returns it verbatim, and the data is unchanged."""
    data = fixture_data
    (data.root / "count.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    before = triple_count(cli, data)
    extra = ("--endpoint", endpoint) if where == "endpoint" else ()
    done = cli(data.root, "query", "program_timeline", "--param", f"program={INJECTION}", *extra)
    assert "no program is named" in one_clear_error(done)
    done = cli(data.root, "query", str(data.root / "echo.rq"), "--param", f"text={INJECTION}",
               "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert [r["text"]["value"] for r in rows] == [INJECTION]
    done = cli(data.root, "query", str(data.root / "labels.rq"), "--param", f"label={INJECTION}",
               "--format", "csv", *extra)
    assert done.returncode == 0 and done.stdout.strip() == "s,label", done.stderr
    done = cli(data.root, "query", "program_timeline", "--param", "program=<http://e/x> } ; DROP ALL ; #>", *extra)
    assert "IRI" in one_clear_error(done)
    assert triple_count(cli, data) == before
    record("param_injection", backend=where, value=INJECTION, triples=before)


# a value bound through an endpoint is written into the query text (VALUES): it must come back as
# itself, or be refused as a whole; it must never change the query
_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_hostile = st.lists(st.sampled_from(['"', "'", "}", "{", "#", "\\", "\n", "\r", "u0022", "U0001F600", ">", "<",
                                     " ; DROP ALL ; ", "SERVICE", "\x00", "\x1b", "'''", '"""', "\u2028"]),
                    max_size=10).map("".join)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_values, _hostile), st.sampled_from([None, "ja", "en-GB"]))
def test_bound_literals_round_trip_or_are_refused(value: str, lang: str | None) -> None:
    store = ox.Store()
    term = Term.literal(value, lang=lang)
    # embedded: pyoxigraph substitutions
    rows = list(store.query("SELECT ?x WHERE { }", substitutions={ox.Variable("x"): ox.Literal(value, language=lang)}))
    assert rows[0][0].value == value
    # endpoint: VALUES written into the text, checked with rdflib, run by pyoxigraph
    try:
        text = inject_values("SELECT ?x WHERE { ?s ?p ?o } LIMIT 0", {"x": term})
    except QueryError:
        assert "\\" in value, f"only backslash sequences may be refused (rdflib pre-expands \\u escapes): {value!r}"
        return
    check_syntax(text)
    assert " DROP " not in text.upper().replace(term.n3().upper(), "")
    echo = inject_values("SELECT ?x WHERE { }", {"x": term})
    got = [row[0] for row in store.query(echo)]
    assert len(got) == 1 and got[0].value == value and (got[0].language or None) == (lang.lower() if lang else None)


# ------------------------------------------------------------------------------------- YAML

TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system",
]


def _set_first(path: Path, key_pattern: str, value: str) -> int:
    """Replace the value of the first line matching ``key_pattern``; its 1-based line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for index, line in enumerate(lines):
        m = re.match(key_pattern, line)
        if m:
            lines[index] = m.group(0) + " " + value
            path.write_text("\n".join(lines), encoding="utf-8")
            return index + 1
    raise AssertionError(f"no line matching {key_pattern!r} in {path}")


def _entry_line(path: Path, line: int) -> int:
    """The first line of the catalog entry holding ``line``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for index in range(line - 1, -1, -1):
        if CATALOG_ENTRY_LINE.match(lines[index]):
            return index + 1
    return line


@pytest.mark.parametrize("tag", TAGS, ids=["object-apply", "object-new", "name"])
def test_catalog_python_tags_are_refused_with_file_and_line(cli, project, tmp_path, tag):
    marker = tmp_path / "EXECUTED"
    catalog = project / "sources" / "catalog.yaml"
    line = _set_first(catalog, r"^    title_en:", tag.format(marker=marker))
    done = cli(project, "build", "--dry-run", "--quiet")
    err = one_clear_error(done)
    m = re.search(r"catalog\.yaml:(\d+)", err)
    assert m and int(m.group(1)) in (line, _entry_line(catalog, line)), err
    assert not marker.exists(), "the YAML tag was executed"
    record("yaml_tag", file="catalog.yaml", tag=tag.split()[0], message=_short(err))


@pytest.mark.parametrize("name", ["strategies", "organizations", "programs", "hubs"])
def test_registry_python_tags_are_refused_with_file_and_line(cli, project, tmp_path, name):
    marker = tmp_path / "EXECUTED"
    path = project / "mappings" / "registry" / f"{name}.yaml"
    line = _set_first(path, r"^  name_en:", TAGS[0].format(marker=marker))
    err = one_clear_error(cli(project, "build", "--dry-run", "--quiet"))
    assert f"{name}.yaml:{line}" in err, err
    assert not marker.exists(), "the YAML tag was executed"
    record("yaml_tag", file=f"{name}.yaml", tag=TAGS[0].split()[0], message=_short(err))


BOMB_TIMEOUT = 10
LAUGHS = "".join(
    [f"{{indent}}a0: &a0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"{{indent}}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


@pytest.mark.parametrize("where", ["catalog", "registry"])
def test_yaml_alias_bomb_is_refused_quickly(project, where):
    """A billion-laughs document (9^10 strings by alias) is refused within seconds and 2 GB."""
    if where == "catalog":
        path = project / "sources" / "catalog.yaml"
        text = path.read_text(encoding="utf-8")
        text = text.replace("documents:\n", "laughs:\n" + LAUGHS.format(indent="  ") + "documents:\n", 1)
        path.write_text(text, encoding="utf-8")
        line = _set_first(path, r"^    title_ja:", "*a9")
    else:
        path = project / "mappings" / "registry" / "programs.yaml"
        text = path.read_text(encoding="utf-8")
        first = text.index("\n- id:") + 1
        bomb = "- id: laughs\n  name_ja: 笑\n  name_en: laughs\n  note:\n" + LAUGHS.format(indent="    ")
        path.write_text(text[:first] + bomb + text[first:], encoding="utf-8")
        line = _set_first(path, r"^  name_ja: (?!笑)", "*a9")
    started = time.monotonic()
    try:
        done = cli_process(project, "build", "--dry-run", "--quiet", timeout=BOMB_TIMEOUT, memory=2 << 30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name}: an alias bomb kept `stikg build` busy for {BOMB_TIMEOUT} s "
                    "(YAML aliases are expanded without limit)")
    err = one_clear_error(done)
    assert path.name in err and time.monotonic() - started < BOMB_TIMEOUT, err
    assert re.search(rf"{re.escape(path.name)}:\d+", err), f"no line named (the alias is on line {line}): {err}"
    record("alias_bomb", file=path.name, seconds=round(time.monotonic() - started, 2), message=_short(err))


# --------------------------------------------------------------------------------- documents

DOC = "000_06e5a7bc9af66719.txt"


def _poison(path: Path, line: int, raw: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1] + raw
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not valid UTF-8"),
        ("\u79d1\u7814\u8cbb".encode("shift_jis"), "not valid UTF-8"),
        (b"\xe3\x81", "not valid UTF-8"),  # a truncated multi-byte sequence
        (b"\x1b[2J\x1b[31m", "control character U+001B"),
        (b"\x00", "control character U+0000"),
        ("\u0085".encode(), "control character U+0085"),
        ("\ufffd".encode(), "control character U+FFFD"),
    ],
    ids=["bytes-ff-fe", "shift-jis", "truncated-utf8", "ansi-escape", "nul", "nel", "replacement-char"],
)
def test_bad_documents_are_refused_with_file_and_line(cli, project, tmp_path, raw, reason):
    path = project / "sources" / DOC
    _poison(path, 7, raw)
    for args in (("build", "--dry-run", "--quiet"), ("extract", str(path), "--out", str(tmp_path / "out"))):
        err = one_clear_error(cli(project, *args))
        assert f"{DOC}:7:" in err and reason in err, err
    assert not (tmp_path / "out").exists()
    record("bad_document", message=_short(err))


def test_utf16_document_is_refused_with_the_file(cli, project):
    path = project / "sources" / DOC
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    err = one_clear_error(cli(project, "build", "--dry-run", "--quiet"))
    assert f"{DOC}:1:" in err and "not valid UTF-8" in err, err


def test_bad_yaml_encoding_names_the_file(cli, project):
    for path in (project / "sources" / "catalog.yaml", project / "mappings" / "registry" / "hubs.yaml"):
        original = path.read_bytes()
        path.write_bytes(original.replace(b"\n", b"\n\xff", 3))
        err = one_clear_error(cli(project, "build", "--dry-run", "--quiet"))
        assert path.name in err and "UTF-8" in err.replace("utf-8", "UTF-8"), err
        path.write_bytes(original)
