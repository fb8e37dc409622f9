"""The CLI outside the checkout: ``--root DIR`` and ``$STIKG_ROOT`` on every command, and messages
that say what is wrong (not a project, a partial name's candidates, where a file does not parse)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from stikg.cli import COMMANDS, _parser, main
from stikg.core.config import find_root, root_override


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """A working directory that is no stikg project, with no STIKG_ROOT."""
    monkeypatch.delenv("STIKG_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(args, capsys):
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_every_command_takes_root_before_or_after_it(root):
    parser = _parser()
    required = {"extract": ["--out", "x"], "export": ["--format", "ttl"], "push": ["--endpoint", "http://x"],
                "viz": ["--out", "x.html"]}
    for name in ("build", "stats", "query", "serve", "validate", "lineage", "viz", "export", "docs", "push"):
        assert name in COMMANDS
        required_args = required.get(name, [])
        before = parser.parse_args(["--root", str(root), name, *required_args])
        after = parser.parse_args([name, "--root", str(root), *required_args])
        assert before.root == after.root == root, name


@pytest.mark.parametrize("where", ["before", "after"])
def test_stats_and_query_work_from_anywhere_with_root(root, outside, capsys, where):
    args = ["--root", str(root), "stats", "--json"] if where == "before" else ["stats", "--json", "--root", str(root)]
    status, out, err = run(args, capsys)
    assert status == 0, err
    assert "graphs" in json.loads(out)
    status, out, err = run(["query", "hubs", "--format", "csv", "--root", str(root)], capsys)
    assert status == 0, err
    assert out.startswith("hub,")
    assert root_override() is None  # the in-process caller gets its root back


def test_stikg_root_environment_variable(root, outside, capsys, monkeypatch):
    monkeypatch.setenv("STIKG_ROOT", str(root))
    status, out, err = run(["query", "hubs", "--format", "csv"], capsys)
    assert status == 0, err
    assert find_root() == root


def test_a_root_that_does_not_exist_is_one_sentence(outside, capsys, monkeypatch):
    status, _, err = run(["--root", str(outside / "nope"), "stats"], capsys)
    assert status == 2
    assert err.strip() == f"stikg stats: error: --root {outside / 'nope'}: no such directory"
    monkeypatch.setenv("STIKG_ROOT", str(outside / "gone"))
    status, _, err = run(["query", "hubs"], capsys)
    assert status == 2 and "STIKG_ROOT" in err and "no such directory" in err


def test_outside_a_project_the_error_says_so_and_how_to_fix_it(outside, capsys):
    for args in (["stats"], ["query", "hubs"], ["lineage"]):
        status, _, err = run(args, capsys)
        assert status == 2
        assert "is not a stikg project" in err and "--root DIR" in err and "STIKG_ROOT" in err, err
        assert "Traceback" not in err


def test_a_partial_strategy_name_lists_the_candidates(root, capsys):
    status, _, err = run(["--root", str(root), "query", "citation_moves", "-p", "old_strategy=統合"], capsys)
    assert status == 2
    assert "is part of the names of" in err and "strategies" in err
    assert "integrated-innovation-strategy-2020" in err and "integrated-innovation-strategy-2024" in err
    assert "give one of their ids" in err


def test_a_unique_partial_program_name_is_used_and_said(root, capsys):
    status, out, err = run(["--root", str(root), "query", "program_budget", "-p", "program=飛躍フラッグ",
                            "-p", "fiscal_year=2025", "--format", "csv"], capsys)
    assert status == 0, err
    assert "taken as 光・量子飛躍フラッグシッププログラム (q-leap)" in err
    assert "program:q-leap" in out or "q-leap" in out


def test_an_unknown_name_is_still_a_clear_no(root, capsys):
    status, _, err = run(["--root", str(root), "query", "program_budget", "-p", "program=zzzz-nothing"], capsys)
    assert status == 2
    assert "no program is named 'zzzz-nothing'" in err


BROKEN = {
    "bad.ttl": ("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b \"open .\nex:d ex:e ex:f .\n", 3, "Turtle"),
    "bad.nq": ("<http://a> <http://b> <http://c> .\n<http://a> <http://b> oops <http://g> .\n", 2, "N-Quads"),
    "bad.nt": ("<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n", 2, "N-Triples"),
    "bad.jsonld": ('{\n "@id": \n', 3, "JSON-LD"),
    "bad.rdf": ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<rdf:Description>\n'
                "</rdf:RDF>\n", 3, "RDF/XML"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validate_of_a_broken_file_names_file_and_line_only(root, tmp_path, capsys, name):
    text, line, fmt = BROKEN[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status, _, err = run(["--root", str(root), "validate", str(path)], capsys)
    assert status == 2
    assert err.startswith(f"stikg validate: error: {path}:{line}: does not parse as {fmt}: "), err
    assert len(err.strip().splitlines()) == 1, err
    for internal in ("rdflib", "Bad syntax", "<>", "^", "Traceback", "b'", "file://"):
        assert internal not in err, (internal, err)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_root_from_another_directory(root, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "STIKG_ROOT"}
    proc = subprocess.Popen([sys.executable, "-m", "stikg.cli", "--root", str(root), "serve", "--port", str(port),
                             "--workers", "1", "--quiet"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/library", timeout=5) as r:
                    names = {q["name"] for q in json.loads(r.read())}
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stderr.read().decode() if proc.poll() is not None else "no answer") from None
                time.sleep(0.3)
        assert "hubs" in names
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_help_says_what_root_is(capsys):
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    out = capsys.readouterr().out
    assert "--root DIR" in out and "STIKG_ROOT" in out
