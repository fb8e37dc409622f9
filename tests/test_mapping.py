"""Mapping rules: records + registry → triples."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stikg.inputs.corpus import CatalogEntry, Document
from stikg.inputs.registry import Registry
from stikg.rdf import vocab
from stikg.rdf.mapping import Mapper
from stikg.rdf.vocab import CITO, STIKG


@dataclass
class Citation:
    doc: str
    line: int
    program: str
    strategy: str
    strategy_text: str
    decision_date: str
    decision_body: str


@dataclass
class Amount:
    doc: str
    line: int
    program: str
    fiscal_year: int
    stage: str
    amount_yen: int | None
    amount_text: str
    partial: bool
    note: str = ""


@dataclass
class Extraction:
    amounts: list
    citations: list
    organizations: tuple = ()
    flows: tuple = ()
    periods: tuple = ()


@pytest.fixture(scope="module")
def mapper(root):
    return Mapper(Registry.load(root / "mappings" / "registry"))


def _doc(lines):
    entry = CatalogEntry(id="t.txt", title_ja="t", title_en="t", issuer="x", date="2024", fiscal_year=2025,
                         kind="budget_request", origin="test")
    return Document(entry=entry, path=None, lines=tuple(lines), sha256="0")


def test_series_name_with_decision_date_picks_the_edition(mapper):
    doc = _doc(["WPI", "「統合イノベーション戦略」（令和2年7月17日閣議決定）"])
    rec = Citation("t.txt", 2, "世界トップレベル研究拠点プログラム", "統合イノベーション戦略", "統合イノベーション戦略",
                   "2020-07-17", "閣議決定")
    out = mapper.map_document(doc, Extraction([], [rec]))
    edition = vocab.entity("strategy", "integrated-innovation-strategy-2020")
    assert (vocab.entity("program", "wpi"), CITO.citesAsAuthority, edition) in out.triples
    assert not out.unresolved


def test_previous_year_budget_is_budget_stage_and_evidence_quotes_the_line(mapper):
    doc = _doc(["世界トップレベル研究拠点プログラム", "令和7年度要求・要望額 61億円（60億円）"])
    recs = [Amount("t.txt", 2, "世界トップレベル研究拠点プログラム", 2025, "request", 6_100_000_000, "61億円", False),
            Amount("t.txt", 2, "世界トップレベル研究拠点プログラム", 2024, "previous_year_budget", 6_000_000_000,
                   "60億円", False)]
    out = mapper.map_document(doc, Extraction(recs, []))
    stages = {o for s, p, o in out.triples if p == STIKG.budgetStage}
    assert stages == {vocab.stage_concept("request"), vocab.stage_concept("budget")}
    quotes = {str(o) for s, p, o in out.triples if p == STIKG.quote}
    assert quotes == {"令和7年度要求・要望額 61億円（60億円）"}


def test_sub_program_is_linked_to_parent_and_unknown_names_are_reported(mapper):
    doc = _doc(["x", "① 架空サブ事業 1億円"])
    rec = Amount("t.txt", 2, "世界トップレベル研究拠点プログラム > 架空サブ事業", 2025, "request", 100_000_000,
                 "1億円", False)
    out = mapper.map_document(doc, Extraction([rec], []))
    child = vocab.unregistered("program", "架空サブ事業")
    assert (child, STIKG.subProgramOf, vocab.entity("program", "wpi")) in out.triples
    assert [(u.kind, u.name) for u in out.unresolved] == [("program", "架空サブ事業")]


def test_record_without_program_is_not_mapped(mapper):
    doc = _doc(["x", "令和7年度要求・要望額 1億円"])
    rec = Amount("t.txt", 2, "", 2025, "request", 100_000_000, "1億円", False)
    out = mapper.map_document(doc, Extraction([rec], []))
    assert not out.triples and out.unmapped == [("amounts", 2)]
