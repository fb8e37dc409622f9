"""stikg synth: deterministic output, the genre's printed forms, a loadable corpus and registry,
ground truth that points at the lines it describes, the size estimate and the memory refusal."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from stikg import synth
from stikg.cli import main
from stikg.inputs.corpus import load_corpus
from stikg.inputs.registry import Registry

GOLD_HEADERS = {
    "amounts": "doc,line,program,fiscal_year,stage,amount_yen,amount_text,partial,note",
    "citations": "doc,line,program,strategy,strategy_text,decision_date,decision_body",
    "organizations": "doc,line,program,organization,role",
    "flows": "doc,line,program,from_org,to_org,instrument",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synth.generate(400, 6, out, seed=3)
    return out


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_same_arguments_give_identical_bytes(tmp_path):
    synth.generate(60, 3, tmp_path / "a", seed=11)
    synth.generate(60, 3, tmp_path / "b", seed=11)
    synth.generate(60, 3, tmp_path / "c", seed=12)
    assert synth.tree_digest(tmp_path / "a") == synth.tree_digest(tmp_path / "b")
    assert synth.tree_digest(tmp_path / "a") != synth.tree_digest(tmp_path / "c")
    # writing again over its own output is allowed and gives the same bytes
    synth.generate(60, 3, tmp_path / "a", seed=11)
    assert synth.tree_digest(tmp_path / "a") == synth.tree_digest(tmp_path / "b")


def test_corpus_catalog_and_registry_load(corpus):
    documents = load_corpus(corpus / "sources")
    assert len(documents) >= 6
    assert {d.entry.kind for d in documents} == {"budget_request", "draft_budget"}
    assert {d.entry.fiscal_year for d in documents} == set(range(2020, 2026))
    registry = Registry.load(corpus / "mappings" / "registry")
    assert len(registry.entries("program")) >= 400
    for folder in ("ontology", "shapes", "queries"):
        assert any((corpus / folder).iterdir())


def test_text_has_the_printed_forms_of_the_genre(corpus):
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((corpus / "sources").glob("*.txt")))
    for form in ("要求・要望額", "予算額（案）", "前年度予算額", "補正予算額", "次補正予算額", "基金を措置", "年間）",
                 "億円", "百万円", "千円", "万円", "千万円", "の内数", "新規", "閣議決定", "戦略推進会議決定", "【事業スキーム】",
                 " → ", "(補助金)", "(委託)", "(運営費交付金)", "事業実施期間", "事業期間：", "（担当：", "において",
                 "を中核とした", "との連携", "を通じて", "令和元年度", "平成"):
        assert form in text, form
    assert re.search(r"[０-９]+(?:，[０-９]{3})*(?:．[０-９])?(?:億|百万|千|万)", text), "full-width figures"
    assert re.search(r"\d\.\d億円", text), "decimals"
    assert re.search(r"\d,\d{3}", text), "commas"
    assert re.search(r"^【.+（.+閣議決定）】$", text, re.M), "bracketed citation with its decision"
    assert re.search(r"^「.+」、「.+」（", text, re.M) or re.search(r"「.+」（.+）等に基づき", text), "quoted citation"


def test_ground_truth_points_at_the_lines_it_describes(corpus):
    sources = corpus / "sources"
    texts = {p.name: p.read_text(encoding="utf-8").split("\n") for p in sources.glob("*.txt")}
    folders = sorted((corpus / "ground-truth").iterdir())
    assert {f.name + ".txt" for f in folders} == set(texts)
    counts = dict.fromkeys(GOLD_HEADERS, 0)
    for folder in folders:
        for table, header in GOLD_HEADERS.items():
            path = folder / f"{table}.csv"
            assert path.read_text(encoding="utf-8").splitlines()[0] == header
            for row in _rows(path):
                counts[table] += 1
                line = texts[row["doc"]][int(row["line"]) - 1]
                if table == "amounts":
                    assert row["amount_text"] in line, (row, line)
                    assert int(row["amount_yen"]) > 0 and row["partial"] in ("true", "false")
                    assert row["stage"] in ("request", "budget_draft", "previous_year_budget", "supplementary", "fund")
                elif table == "citations":
                    assert row["strategy_text"] in line
                    assert re.fullmatch(r"(\d{4}-\d{2}(-\d{2})?)?", row["decision_date"])
                elif table == "organizations":
                    assert row["organization"] in line
                else:
                    assert row["instrument"] in line and row["instrument"] in ("補助金", "委託", "補助", "運営費交付金")
    assert all(counts.values()), counts


def test_estimate_grows_with_size_and_targets_a_million_at_5000_by_10():
    small, large = synth.estimate(500, 10), synth.estimate(5000, 10)
    assert small.quads < large.quads and small.build_bytes < large.build_bytes
    assert 800_000 <= large.quads <= 1_500_000


def test_cli_writes_and_reports(tmp_path, capsys):
    out = tmp_path / "corpus"
    assert main(["synth", "--programs", "30", "--years", "2", "--out", str(out), "--seed", "1"]) == 0
    said = capsys.readouterr().out
    assert "documents" in said and "ground truth" in said and "stikg build --root" in said
    assert (out / "sources" / "catalog.yaml").is_file()


def test_cli_refuses_a_size_that_would_not_fit_in_memory(tmp_path, capsys):
    out = tmp_path / "huge"
    code = main(["synth", "--programs", "200000", "--years", "20", "--out", str(out), "--max-memory", "4"])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(r"refusing: ~[\d,]+ triples would need ~[\d.]+ GB to build, limit 4\.0 GB \(--max-memory\)", err)
    assert not out.exists()


def test_cli_refuses_foreign_output_and_bad_sizes(tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["synth", "--programs", "10", "--years", "1", "--out", str(foreign)]) == 2
    assert "not written by `stikg synth`" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert main(["synth", "--programs", "0", "--years", "1", "--out", str(tmp_path / "x")]) == 2
    assert main(["synth", "--programs", "10", "--years", "99", "--out", str(tmp_path / "x")]) == 2
    assert "--years must be between 1 and" in capsys.readouterr().err
