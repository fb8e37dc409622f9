"""The CLI commands of the build side: add, reconcile, stats, validate, and clean error messages."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pytest

from stikg.cli import main


def run_cli(args, cwd, capsys=None):
    """Run ``stikg`` in-process from ``cwd``; returns (status, stdout, stderr)."""
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        status = main(args)
    finally:
        os.chdir(old)
    out, err = capsys.readouterr() if capsys else ("", "")
    return status, out, err


@pytest.fixture
def built_project(built, tmp_path):
    """A writable copy of a built project (sources, registry, shapes, kg/)."""
    paths, _ = built
    target = tmp_path / "p"
    shutil.copytree(paths.root, target, ignore=shutil.ignore_patterns("var"))
    return target


def test_add_document_catalogues_extracts_and_reports_unresolved(built_project, root, capsys, tmp_path):
    new = tmp_path / "new_request.txt"
    new.write_text(
        "\n".join([
            "架空研究推進事業",
            "令和8年度要求・要望額 12億円",
            "（前年度予算額 10億円）",
            "- 「統合イノベーション戦略2024」（令和6年6月4日閣議決定）等に基づき推進。",
            "（担当：研究振興局ライフサイエンス課）",
        ]) + "\n",
        encoding="utf-8",
    )
    status, out, err = run_cli(["add", str(new), "--title", "架空の要求資料", "--fiscal-year", "2026",
                                "--kind", "budget_request", "--date", "2025-08"], built_project, capsys)
    assert status == 0, err
    assert (built_project / "sources" / "new_request.txt").is_file()
    catalog = (built_project / "sources" / "catalog.yaml").read_text(encoding="utf-8")
    assert "id: new_request.txt" in catalog and "fiscal_year: 2026" in catalog
    amounts = list(csv.DictReader(io.StringIO(
        (built_project / "mappings" / "extracted" / "new_request" / "amounts.csv").read_text(encoding="utf-8"))))
    assert {(a["fiscal_year"], a["stage"], a["amount_yen"]) for a in amounts} >= {
        ("2026", "request", "1200000000"), ("2025", "previous_year_budget", "1000000000")}
    assert "amounts" in out and "unresolved" in out and "架空研究推進事業" in out

    # the corpus still loads, and adding the same file again is refused without changing anything
    before = (built_project / "sources" / "catalog.yaml").read_bytes()
    status, _, err = run_cli(["add", str(new), "--title", "x", "--fiscal-year", "2026",
                              "--kind", "budget_request"], built_project, capsys)
    assert status == 2 and "already in the corpus" in err
    assert (built_project / "sources" / "catalog.yaml").read_bytes() == before


def test_add_rejects_bad_encoding_and_leaves_corpus_untouched(built_project, capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("予算".encode("shift_jis"))
    before = (built_project / "sources" / "catalog.yaml").read_bytes()
    status, _, err = run_cli(["add", str(bad), "--title", "t", "--fiscal-year", "2026",
                              "--kind", "budget_request"], built_project, capsys)
    assert status == 2 and "bad.txt:1" in err and "UTF-8" in err
    assert not (built_project / "sources" / "bad.txt").exists()
    assert (built_project / "sources" / "catalog.yaml").read_bytes() == before


def test_reconcile_lists_real_disagreement(built_project, capsys):
    status, out, _ = run_cli(["reconcile"], built_project, capsys)
    assert status == 0
    assert "disagreement" in out
    assert "000_06e5a7bc9af66719.txt" in out and "001_ed80bdeb1e1ef2d9.txt" in out
    status, out, _ = run_cli(["reconcile", "--csv"], built_project, capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["amount_a"] != r["amount_b"] and r["doc_a"] < r["doc_b"] for r in rows)


def test_stats_shows_classes_documents_and_skips(built_project, capsys):
    status, out, _ = run_cli(["stats"], built_project, capsys)
    assert status == 0
    assert "BudgetAllocation" in out and "001_ed80bdeb1e1ef2d9.txt" in out
    assert "per-project grant size" in out  # skipped, with the reason


def test_validate_default_and_turtle_report(built_project, capsys, tmp_path):
    report = tmp_path / "report.ttl"
    status, out, _ = run_cli(["validate", "--turtle", str(report)], built_project, capsys)
    assert status == 0 and out.startswith("SHACL: conforms")
    assert "sh:ValidationReport" in report.read_text(encoding="utf-8")


def test_validate_reports_unparseable_file_by_name(built_project, capsys, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    status, _, err = run_cli(["validate", str(broken)], built_project, capsys)
    assert status == 2 and "broken.ttl" in err and "Traceback" not in err


def test_stats_without_build_is_a_clear_error(project, capsys):
    status, _, err = run_cli(["stats"], project, capsys)
    assert status == 2 and "run `stikg build` first" in err


def test_build_with_malformed_registry_names_file_and_line(project):
    registry = project / "mappings" / "registry" / "programs.yaml"
    registry.write_text(registry.read_text(encoding="utf-8") + "\n- id: Bad Id\n  name_ja: x\n  name_en: x\n",
                        encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "stikg.cli", "build", "--quiet"], cwd=project,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "programs.yaml:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (project / "kg").exists()


def test_add_warns_when_a_document_gives_no_context(built_project, capsys, tmp_path):
    """Figures on pages with no printed stage (a briefing has none to lend) are reported, and
    ``stikg add`` says so naming the document and the pages."""
    new = tmp_path / "briefing.txt"
    new.write_text("架空の説明資料\n研究力強化の取組\n100億円\n", encoding="utf-8")
    status, out, err = run_cli(["add", str(new), "--title", "架空の説明資料", "--fiscal-year", "2026",
                                "--kind", "policy_briefing"], built_project, capsys)
    assert status == 0, err
    assert "warning: briefing.txt: no fiscal year or budget stage printed for page(s) starting at line(s) 1" in out
    report = (built_project / "mappings" / "extracted" / "briefing" / "report.csv").read_text(encoding="utf-8")
    assert "100億円" in report and "no budget stage or fiscal year for amount" in report
