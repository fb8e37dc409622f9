"""stikg.extract.evaluate and ``stikg eval``: keys, multiset matching, layouts, output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from stikg.cli import main
from stikg.extract.evaluate import evaluate_dirs, row_key, score_rows

AMOUNT = {"doc": "d.txt", "line": "10", "program": "P", "fiscal_year": "2025", "stage": "budget_draft",
          "amount_yen": "5200000000", "amount_text": "52億円", "partial": "false", "note": ""}


def _write(folder: Path, table: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cols = list(rows[0]) if rows else ["doc", "line"]
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.DictWriter(handle, cols)
        w.writeheader()
        w.writerows(rows)


def test_amount_key_ignores_text_note_and_program() -> None:
    other = dict(AMOUNT, amount_text="５２億円", note="x", program="Q")
    assert row_key("amounts", AMOUNT) == row_key("amounts", other)
    assert row_key("amounts", AMOUNT) != row_key("amounts", dict(AMOUNT, partial="true"))
    assert row_key("amounts", AMOUNT) != row_key("amounts", dict(AMOUNT, line="11"))
    assert row_key("amounts", AMOUNT) != row_key("amounts", dict(AMOUNT, stage="request"))


def test_multiset_matching_and_program_agreement() -> None:
    gold = [AMOUNT, AMOUNT, dict(AMOUNT, line="12")]
    pred = [AMOUNT, dict(AMOUNT, program="other"), dict(AMOUNT, line="99")]
    s = score_rows("amounts", gold, pred)
    assert (s.tp, s.gold, s.pred) == (2, 3, 3)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    assert (s.program_agree, s.program_pairs) == (1, 2)
    once = score_rows("amounts", [AMOUNT], [AMOUNT, AMOUNT])
    assert (once.tp, once.precision, once.recall) == (1, 0.5, 1.0)


def test_name_keys_for_citations_organizations_and_flows() -> None:
    c = {"doc": "d.txt", "line": "3", "strategy": "健康・医療戦略（第２期）"}
    assert row_key("citations", c) == row_key("citations", dict(c, strategy="健康・医療戦略(第2期)"))
    o = {"doc": "d.txt", "line": "3", "organization": "日本医療研究開発機構（AMED）", "role": "funding_agency"}
    assert row_key("organizations", o) == row_key("organizations", dict(o, organization="AMED"))
    f = {"doc": "d.txt", "line": "3", "from_org": "国", "to_org": "ＡＭＥＤ", "instrument": "補助金"}
    assert row_key("flows", f) == row_key("flows", dict(f, to_org="日本医療研究開発機構"))


def test_registry_ids_decide_when_given() -> None:
    class Entry:
        def __init__(self, id_):
            self.id = id_

    class Registry:
        def resolve(self, kind, name):
            return Entry("s1") if kind == "strategy" and "資本主義" in name else None

    a = {"doc": "d.txt", "line": "1", "strategy": "新しい資本主義実行計画2024"}
    b = dict(a, strategy="新しい資本主義のグランドデザイン及び実行計画2024年改訂版")
    assert row_key("citations", a) != row_key("citations", b)
    assert row_key("citations", a, Registry()) == row_key("citations", b, Registry())


def test_empty_tables() -> None:
    s = score_rows("flows", [], [])
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    s = score_rows("flows", [], [{"doc": "d", "line": "1", "from_org": "国", "to_org": "x", "instrument": "委託"}])
    assert s.f1 == 0.0


def test_layouts_and_cli(tmp_path: Path, capsys) -> None:
    gold, pred = tmp_path / "gold", tmp_path / "pred"
    _write(gold / "d", "amounts", [AMOUNT, dict(AMOUNT, line="12")])
    _write(gold / "e", "amounts", [dict(AMOUNT, doc="e.txt")])
    _write(pred / "d", "amounts", [AMOUNT])
    result = evaluate_dirs(gold, pred)
    assert set(result.documents) == {"d", "e"}
    assert result.documents["e"]["amounts"].pred == 0  # a missing prediction predicts nothing
    assert result.tables["amounts"].tp == 1
    assert main(["eval", str(gold), str(pred), "--no-registry"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:4]] == ["amounts", "citations", "organizations", "flows"]
    assert "f1 0.500" in out[0]
    assert main(["eval", str(gold), str(pred), "--json", "--no-registry"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tables"]["amounts"]["tp"] == 1
    assert data["documents"]["d"]["amounts"]["recall"] == 0.5
    # one document laid out flat on both sides
    assert evaluate_dirs(gold / "d", pred / "d").tables["amounts"].tp == 1


def test_errors_name_the_directory(tmp_path: Path, capsys) -> None:
    assert main(["eval", str(tmp_path / "nope"), str(tmp_path), "--no-registry"]) == 2
    assert "nope" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["eval", str(tmp_path / "empty"), str(tmp_path), "--no-registry"]) == 2
    assert "no gold CSVs" in capsys.readouterr().err
