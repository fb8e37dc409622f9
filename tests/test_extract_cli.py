"""``stikg extract``: any text of the genre, outputs, summary lines and clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

from stikg.cli import main

DOC = """新規の研究開発事業

令和8年度要求・要望額 12億円
（前年度予算額 10億円）

- 「統合イノベーション戦略2025」（令和7年6月6日閣議決定）に基づき推進。
- 国立情報学研究所（NII）において研究開発を実施。

【事業スキーム】 国 JST

運営費交付金

大学等

委託

事業期間：令和8年度～令和12年度

（担当：研究振興局参事官（情報担当）付）
"""


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_extract_an_uncatalogued_document(tmp_path: Path, capsys) -> None:
    src = tmp_path / "new_doc.txt"
    src.write_text(DOC, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(src), "--out", str(out), "--no-registry"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == [
        "amounts", "citations", "organizations", "flows", "periods", "contexts", "unresolved", "report"]
    amounts = _rows(out / "amounts.csv")
    assert list(amounts[0]) == ["doc", "line", "program", "fiscal_year", "stage", "amount_yen", "amount_text",
                                "partial", "note"]
    assert [(a["doc"], a["line"], a["fiscal_year"], a["stage"], a["amount_yen"], a["partial"]) for a in amounts] == [
        ("new_doc.txt", "3", "2026", "request", "1200000000", "false"),
        ("new_doc.txt", "4", "2025", "previous_year_budget", "1000000000", "false"),
    ]
    assert {a["program"] for a in amounts} == {"新規の研究開発事業"}
    assert _rows(out / "citations.csv")[0]["strategy"] == "統合イノベーション戦略2025"
    orgs = {(o["organization"], o["role"]) for o in _rows(out / "organizations.csv")}
    assert orgs == {("国立情報学研究所（NII）", "implementer"), ("JST", "funding_agency"),
                    ("研究振興局参事官（情報担当）付", "bureau")}
    flows = [(f["line"], f["from_org"], f["to_org"], f["instrument"]) for f in _rows(out / "flows.csv")]
    assert flows == [("11", "国", "JST", "運営費交付金"), ("15", "JST", "大学等", "委託")]
    periods = _rows(out / "periods.csv")
    assert (periods[0]["start_fiscal_year"], periods[0]["end_fiscal_year"]) == ("2026", "2030")
    assert {"doc", "line", "kind", "name", "proposed"} == set(_rows(out / "unresolved.csv")[0])
    assert (out / "report.csv").read_text(encoding="utf-8").startswith("doc,line,text,reason\n")


def test_doc_id_fiscal_year_and_kind(tmp_path: Path, capsys) -> None:
    src = tmp_path / "x.txt"
    src.write_text("研究拠点の形成事業\n\n- 研究拠点の形成 3億円（2億円）\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main(["extract", str(src), "--out", str(out), "--doc-id", "custom.txt", "--fiscal-year", "2027",
                 "--kind", "budget_request", "--no-registry"]) == 0
    rows = _rows(out / "amounts.csv")
    assert [(r["doc"], r["fiscal_year"], r["stage"]) for r in rows] == [
        ("custom.txt", "2027", "request"), ("custom.txt", "2026", "previous_year_budget")]


def test_unreadable_inputs_are_clear_errors(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "o")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("一行目\n二行目\n".encode() + b"caf\xe9\n")
    assert main(["extract", str(bad), "--out", out, "--no-registry"]) == 2
    err = capsys.readouterr().err
    assert "latin1.txt:3" in err and "UTF-8" in err
    ctrl = tmp_path / "ctrl.txt"
    ctrl.write_text("ok\nbad \x07 bell\n", encoding="utf-8")
    assert main(["extract", str(ctrl), "--out", out, "--no-registry"]) == 2
    err = capsys.readouterr().err
    assert "ctrl.txt:2" in err and "U+0007" in err
    assert main(["extract", str(tmp_path / "missing.txt"), "--out", out, "--no-registry"]) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert main(["extract", str(tmp_path), "--out", out, "--no-registry"]) == 2
    assert "directory" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_empty_document(tmp_path: Path, capsys) -> None:
    src = tmp_path / "empty.txt"
    src.write_text("", encoding="utf-8")
    assert main(["extract", str(src), "--out", str(tmp_path / "o"), "--no-registry"]) == 0
    assert (tmp_path / "o" / "amounts.csv").read_text(encoding="utf-8").count("\n") == 1
