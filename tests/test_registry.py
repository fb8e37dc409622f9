"""The identity registry: the real curated files, name resolution, and every malformed-input case."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from stikg.core.errors import RegistryError
from stikg.inputs.registry import Registry
from stikg.inputs.registry_load import FILES, KINDS, Entry

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "mappings" / "registry"
GOLD = ROOT.parent / "shared" / "gold-dev"
# An amount of money as the documents print it (億円, 百万円, 千円, 5千万円, 17,386 千USドル, …).
AMOUNT = re.compile(r"\d[\d,.]*\s*(?:兆|億|千万|百万|十万|万|千)?\s*(?:円|US\s*ドル|ドル)|(?:兆|億|千万|百万|万)円")


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.load(REGISTRY)


# ---- the real registry -----------------------------------------------------------------------
def test_loads_every_kind(reg):
    for kind in KINDS:
        entries = reg.entries(kind)
        assert entries, kind
        assert [e.id for e in entries] == sorted(e.id for e in entries)
        assert all(e.kind == kind and e.file.endswith(FILES[kind]) and e.line > 0 for e in entries)


@pytest.mark.parametrize(
    ("kind", "printed", "expected"),
    [
        ("strategy", "骨太2024", "keizai-zaisei-kihon-hoshin-2024"),
        ("strategy", "骨太の方針2024", "keizai-zaisei-kihon-hoshin-2024"),
        ("strategy", "経済財政運営と改革の基本方針2024", "keizai-zaisei-kihon-hoshin-2024"),
        ("strategy", "新しい資本主義実行計画2024", "new-capitalism-grand-design-2024"),
        ("strategy", "新しい資本主義のグランドデザイン及び実行計画2024", "new-capitalism-grand-design-2024"),
        ("strategy", "新しい資本主義のグランドデザイン及び実行計画2024年改訂版", "new-capitalism-grand-design-2024"),
        ("strategy", "新資本主義実行計画2024年改訂版", "new-capitalism-grand-design-2024"),
        ("strategy", "「統合イノベーション戦略2024」", "integrated-innovation-strategy-2024"),
        ("strategy", "【統合イノベーション戦略2024】", "integrated-innovation-strategy-2024"),
        ("strategy", "統合イノベーション戦略2024（令和6年6月4日閣議決定）", "integrated-innovation-strategy-2024"),
        ("strategy", "integrated-innovation-strategy-2024", "integrated-innovation-strategy-2024"),
        ("strategy", "Integrated Innovation Strategy 2024", "integrated-innovation-strategy-2024"),
        ("strategy", "がん研究10か年戦略（第5次）", "cancer-research-10-year-strategy-5"),
        ("strategy", "がん対策推進基本計画（第4期）", "cancer-control-basic-plan-4"),
        ("strategy", "健康・医療戦略", "health-medical-strategy-2"),
        ("strategy", "健康・医療戦略（第２期）（令和2年3月閣議決定）", "health-medical-strategy-2"),
        ("strategy", "創薬構想会議（座長：内閣官房副長官）の中間とりまとめ", "drug-discovery-council-interim-report"),
        ("strategy", "「創薬力の向上により国民に最新の医薬品を迅速に届けるための構想会議」中間とりまとめ",
         "drug-discovery-council-interim-report"),
        ("strategy", "第6期科学技術・イノベーション基本計画", "sti-basic-plan-6"),
        ("organization", "理研", "riken"),
        ("organization", "理化学研究所", "riken"),
        ("organization", "日本医療研究開発機構（AMED）", "amed"),
        ("organization", "日本医療研究開発機構(AMED)", "amed"),
        ("organization", "AMED", "amed"),
        ("organization", "JST", "jst"),
        ("organization", "国立研究開発法人科学技術振興機構（JST）", "jst"),
        ("organization", "科学技術振興機構", "jst"),
        ("organization", "JSPS", "jsps"),
        ("organization", "文科省", "mext"),
        ("organization", "経産省", "meti"),
        ("organization", "厚労省", "mhlw"),
        ("organization", "研究振興局ライフサイエンス課", "mext-life-science-division"),
        ("organization", "文部科学省研究振興局ライフサイエンス課", "mext-life-science-division"),
        ("organization", "研究振興局参事官 (情報担当) 付", "mext-information-counselor-office"),
        ("organization", "大学共同利用機関法人情報・システム研究機構", "rois"),
        ("organization", "国立情報学研究所(NII)", "nii"),
        ("program", "ゲノム医療実現バイオバンク利活用プログラム(B-cure)", "b-cure"),
        ("program", "ゲノム医療実現バイオバンク利活用プログラム（B-cure）", "b-cure"),
        ("program", "ゲノム医療実現バイオバンク利活用プログラム(B-cure)【再掲】", "b-cure"),
        ("program", "B-cure", "b-cure"),
        ("program", "生命科学・創薬研究支援基盤事業 (BINDS)", "binds"),
        ("program", "BINDS", "binds"),
        ("program", "創薬・医療技術基盤プログラム（DMP）", "drug-discovery-medical-technology-platforms"),
        ("program", "科研費", "kakenhi"),
        ("program", "KAKENHI", "kakenhi"),
        ("program", "光・量子飛躍フラッグシッププログラム(Q-LEAP)", "q-leap"),
        ("program", "光・量子フラッグシッププログラム (Q-LEAP)", "q-leap"),
        ("program", "WPI", "wpi"),
        ("program", "世界トップレベル研究拠点プログラム", "wpi"),
        ("program", "ヒューマン・フロンティア・サイエンス・プログラム (HFSP)", "hfsp"),
        ("program", "戦略的国際共同研究プログラム (SICORP)", "sicorp"),
        ("program", "地球規模課題対応国際科学技術協カプログラム (SATREPS)", "satreps"),
        ("program", "先端国際共同研究推進プログラム (ASPIRE)", "aspire-medical"),
        ("program", "CREST", "jst-crest"),
        ("program", "さきがけ", "jst-presto"),
        ("program", "PRESTO", "jst-presto"),
        ("program", "ERATO", "jst-erato"),
        ("program", "創発的研究支援事業", "forest"),
        ("program", "戦略的創造研究推進事業(一部)(科学技術振興機構)", "strategic-basic-research"),
        ("program", "橋渡し研究プログラム (橋渡し研究戦略的推進プログラムを含む)", "translational-research-program"),
        ("program", "①東北メディカル・メガバンク計画 (TMM)", "tohoku-medical-megabank-project"),
        ("program", "③ゲノム医療実現推進プラットフォーム", "genomic-medicine-platform"),
        ("program", "IV 幹細胞・再生医学イノベーション創出プログラム", "stem-cell-regeneration-innovation-program"),
        ("program", "6. 健康・医療分野の研究開発の推進", "health-medical-rd"),
        ("program", "ゲノム医療実現バイオバンク利活用プログラム（B-cure） > ゲノム研究バイオバンク",
         "genome-research-biobank"),
        ("hub", "理化学研究所革新知能統合研究センター", "riken-aip"),
        ("hub", "東京大学Kavli IPMU", "wpi-kavli-ipmu"),
        ("hub", "長崎大学BSL4施設", "nagasaki-u-bsl4"),
    ],
)
def test_printed_names_resolve(reg, kind, printed, expected):
    entry = reg.resolve(kind, printed)
    assert entry is not None, f"{printed!r} does not resolve"
    assert entry.id == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        # A series name printed without its year, dated by the decision that follows it.
        ("統合イノベーション戦略(令和2年7月17日閣議決定)", "integrated-innovation-strategy-2020"),
        ("新しい資本主義のグランドデザイン及び実行計画（令和6年6月21日閣議決定）", "new-capitalism-grand-design-2024"),
        ("新しい資本主義のグランドデザイン及び実行計画(2024年6月閣議決定)", "new-capitalism-grand-design-2024"),
        # An ISO date works too, so a caller can pass a citation's parsed decision date.
        ("統合イノベーション戦略 (2020-07-17)", "integrated-innovation-strategy-2020"),
        ("新しい資本主義のグランドデザイン及び実行計画 (2024-06)", "new-capitalism-grand-design-2024"),
        # An edition printed with a date that is not its own is not silently accepted.
        ("健康・医療戦略（令和7年2月閣議決定）", None),
        ("統合イノベーション戦略2024（令和2年7月17日閣議決定）", None),
        # The series alone names no edition.
        ("統合イノベーション戦略", None),
        ("経済財政運営と改革の基本方針", None),
    ],
)
def test_strategy_editions_by_printed_date(reg, printed, expected):
    entry = reg.resolve("strategy", printed)
    assert (entry.id if entry else None) == expected


def test_every_name_resolves_to_its_entry(reg):
    for kind in KINDS:
        for entry in reg.entries(kind):
            for name in (entry.name_ja, entry.name_en, entry.id, *entry.aliases, entry.get("short_name")):
                if name:
                    assert reg.resolve(kind, name) == entry, (kind, name)


def test_unknown_names_and_kinds(reg):
    assert reg.resolve("program", "存在しない事業") is None
    assert reg.resolve("program", "") is None
    assert reg.resolve("program", None) is None
    assert reg.resolve("organization", "大学等") is None
    with pytest.raises(ValueError):
        reg.resolve("person", "理研")
    with pytest.raises(KeyError):
        reg.get("program", "no-such-program")
    assert reg.get("organization", "riken").name_en == "RIKEN"


def test_entry_is_frozen_and_hashable(reg):
    entry = reg.get("organization", "amed")
    assert isinstance(entry, Entry)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.id = "x"  # type: ignore[misc]
    assert entry in {entry}
    assert "日本医療研究開発機構（AMED）" in entry.aliases
    assert entry.data["short_name"] == "AMED"


@pytest.mark.parametrize(
    ("successor", "predecessor"),
    [
        ("再生・細胞医療・遺伝子治療実現加速化プログラム", "再生医療実現拠点ネットワークプログラム"),
        ("次世代がん医療加速化研究事業", "次世代がん医療創生研究事業"),
        ("脳神経科学統合プログラム", "脳とこころの研究推進プログラム"),
        ("生命科学・創薬研究支援基盤事業 (BINDS)", "創薬等ライフサイエンス研究支援基盤事業"),
        ("スマートバイオ創薬等研究支援事業", "先端的バイオ創薬等基盤技術開発事業"),
        ("橋渡し研究プログラム", "橋渡し研究戦略的推進プログラム"),
        ("マテリアル先端リサーチインフラ (ARIM)", "ナノテクノロジープラットフォーム事業"),
    ],
)
def test_predecessors(reg, successor, predecessor):
    new, old = reg.resolve("program", successor), reg.resolve("program", predecessor)
    assert new is not None and old is not None
    assert old.id in new.data["predecessors"]


def test_integrated_innovation_strategy_chain(reg):
    dates = {2020: "2020-07-17", 2021: "2021-06-18", 2022: "2022-06-03", 2023: "2023-06-09", 2024: "2024-06-04"}
    previous = None
    for year, date in dates.items():
        entry = reg.get("strategy", f"integrated-innovation-strategy-{year}")
        assert entry.name_ja == f"統合イノベーション戦略{year}"
        assert entry.data["decision_date"] == date
        assert entry.data["edition_year"] == year
        assert entry.data["decided_by"] == "cabinet"
        assert entry.data["series"] == "integrated-innovation-strategy"
        assert entry.data.get("previous_edition") == previous
        previous = entry.id
    assert reg.get("organization", "cabinet").name_ja == "内閣"


def test_other_edition_chains(reg):
    honebuto = reg.get("strategy", "keizai-zaisei-kihon-hoshin-2024")
    assert honebuto.data["decision_date"] == "2024-06-21"
    assert {"骨太の方針2024", "骨太2024"} <= set(honebuto.aliases)
    assert reg.get("strategy", "keizai-zaisei-kihon-hoshin-2020").data["decision_date"] == "2020-07-17"
    assert _chain(reg, "keizai-zaisei-kihon-hoshin-2024")[-1] == "keizai-zaisei-kihon-hoshin-2020"
    assert _chain(reg, "new-capitalism-grand-design-2024") == [
        "new-capitalism-grand-design-2024", "new-capitalism-grand-design-2023", "new-capitalism-grand-design-2022"]
    assert reg.get("strategy", "new-capitalism-grand-design-2024").data["decision_date"] == "2024-06-21"
    assert reg.get("strategy", "sti-basic-plan-6").data["decision_date"] == "2021-03-26"
    assert reg.get("strategy", "sti-basic-plan-7").data["previous_edition"] == "sti-basic-plan-6"


def _chain(reg, ident):
    out = [ident]
    while (prev := reg.get("strategy", out[-1]).data.get("previous_edition")) is not None:
        out.append(prev)
    return out


def test_deciding_bodies_are_organizations(reg):
    for entry in reg.entries("strategy"):
        if "decided_by" in entry.data:
            reg.get("organization", entry.data["decided_by"])
    assert reg.get("strategy", "bioeconomy-strategy").data["decided_by"] == "integrated-innovation-strategy-promotion-council"
    assert reg.resolve("organization", "総合科学技術・イノベーション会議").id == "csti"
    assert reg.resolve("organization", "CSTI").id == "csti"
    assert reg.resolve("organization", "原子力委員会").id == "japan-atomic-energy-commission"


def test_mext_hierarchy(reg):
    for bureau in ("mext-research-promotion-bureau", "mext-science-technology-policy-bureau",
                   "mext-research-development-bureau", "mext-higher-education-bureau"):
        entry = reg.get("organization", bureau)
        assert entry.data["type"] == "bureau" and entry.data["parent"] == "mext"
    division = reg.get("organization", "mext-life-science-division")
    assert division.data["type"] == "office"
    assert division.data["parent"] == "mext-research-promotion-bureau"
    for entry in reg.entries("organization"):
        if entry.data["type"] == "office":
            assert entry.data.get("parent"), f"office {entry.id} has no parent"


def test_sub_programs_and_hubs(reg):
    assert reg.get("program", "tohoku-medical-megabank-project").data["parent"] == "b-cure"
    assert reg.get("program", "jst-crest").data["parent"] == "strategic-basic-research"
    aip = reg.resolve("hub", "AIPセンター")
    assert aip.data["host"] == "riken" and aip.data["program"] == "aip-project"
    certified = [h for h in reg.entries("hub") if h.data.get("program") == "translational-research-program"]
    assert len(certified) == 11  # the 11 橋渡し研究支援機関 certified in December 2021
    for hub in reg.entries("hub"):
        reg.get("organization", hub.data["host"])


def test_catalog_issuers_are_registered(reg):
    catalog = yaml.safe_load((ROOT / "sources" / "catalog.yaml").read_text(encoding="utf-8"))
    for doc in catalog["documents"]:
        if doc.get("issuer_org"):
            assert reg.get("organization", doc["issuer_org"])
            assert reg.resolve("organization", doc["issuer"]).id == doc["issuer_org"]


def test_no_figures_in_the_registry():
    for kind in KINDS:
        path = REGISTRY / FILES[kind]
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            for key, value in entry.items():
                for text in value if isinstance(value, list) else [value]:
                    assert not AMOUNT.search(str(text)), f"{path.name}: {entry['id']}.{key} holds an amount: {text!r}"


def test_readme_examples(reg):
    """The curation guide's Python example prints what the registry answers."""
    text = (REGISTRY / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    checked = 0
    for line in block.splitlines():
        code, _, expected = line.partition("  # ")
        if expected:
            assert repr(eval(code.strip(), {"reg": reg})) == expected.strip(), line
            checked += 1
    assert checked >= 4


@pytest.mark.skipif(not GOLD.is_dir(), reason="development gold not available")
def test_gold_strategies_and_programs_resolve(reg):
    missing = []
    for path in GOLD.glob("*/citations.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            canonical = reg.resolve("strategy", row["strategy"])
            printed = reg.resolve("strategy", row["strategy_text"])
            if canonical is None or printed is None or canonical.id != printed.id:
                missing.append((path.parent.name, row["line"], row["strategy_text"]))
    for path in GOLD.glob("*/amounts.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            top = row["program"].split(" > ")[0]
            if top != "健康・医療分野の研究開発の推進" or " > " not in row["program"]:
                if reg.resolve("program", top) is None:
                    missing.append((path.parent.name, row["line"], top))
    assert not missing


# ---- malformed input: each problem names its file and line ----------------------------------------
VALID = {
    "organizations.yaml": """\
- id: cabinet
  name_ja: 内閣
  name_en: Cabinet
  type: government
- id: mext
  name_ja: 文部科学省
  name_en: MEXT
  type: ministry
  aliases: [文科省]
- id: mext-bureau
  name_ja: 研究振興局
  name_en: Research Promotion Bureau
  type: bureau
  parent: mext
""",
    "strategies.yaml": """\
- id: strategy-2023
  name_ja: 戦略2023
  name_en: Strategy 2023
  type: strategy
  series: strategy
  edition_year: 2023
  decision_date: "2023-06-09"
  decided_by: cabinet
- id: strategy-2024
  name_ja: 戦略2024
  name_en: Strategy 2024
  type: strategy
  series: strategy
  edition_year: 2024
  decision_date: 2024-06-04
  decided_by: cabinet
  previous_edition: strategy-2023
""",
    "programs.yaml": """\
- id: old-program
  name_ja: 旧事業
  name_en: Old program
- id: new-program
  name_ja: 新事業
  name_en: New program
  short_name: NEW
  predecessors: [old-program]
- id: sub-program
  name_ja: 子事業
  name_en: Sub-program
  parent: new-program
""",
    "hubs.yaml": """\
- id: hub
  name_ja: 拠点
  name_en: Hub
  host: mext
  program: new-program
""",
}


def write_registry(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in VALID.items():
        (directory / name).write_text(text, encoding="utf-8")
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    return directory


def line_of(text: str, needle: str) -> int:
    """1-based line of the last line containing ``needle``."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert found, f"{needle!r} not in text"
    return found[-1]


def test_valid_fixture_loads(tmp_path):
    reg = Registry.load(write_registry(tmp_path))
    assert reg.get("strategy", "strategy-2024").data["decision_date"] == "2024-06-04"  # unquoted date
    assert reg.resolve("program", "NEW").id == "new-program"
    assert reg.resolve("organization", "文部科学省研究振興局").id == "mext-bureau"


def _case(name, file, text, needle, reason):
    return pytest.param(file, text, needle, reason, id=name)


APPEND = "\n"
CASES = [
    _case("unknown-key", "programs", VALID["programs.yaml"] + "- id: extra\n  name_ja: 追加\n  name_en: Extra\n  budget: 5\n",
          "budget: 5", "unknown key 'budget'"),
    _case("missing-id", "programs", VALID["programs.yaml"] + "- name_ja: 無名\n  name_en: Nameless\n",
          "name_ja: 無名", "missing required key 'id'"),
    _case("missing-name-ja", "programs", VALID["programs.yaml"] + "- id: no-ja\n  name_en: No Japanese name\n",
          "id: no-ja", "missing required key 'name_ja'"),
    _case("missing-name-en", "organizations", VALID["organizations.yaml"] + "- id: no-en\n  name_ja: 英名なし\n  type: other\n",
          "id: no-en", "missing required key 'name_en'"),
    _case("missing-host", "hubs", VALID["hubs.yaml"] + "- id: hostless\n  name_ja: 無主拠点\n  name_en: Hostless hub\n",
          "id: hostless", "missing required key 'host'"),
    _case("bad-id", "programs", VALID["programs.yaml"] + "- id: Bad_Id\n  name_ja: 悪いID\n  name_en: Bad id\n",
          "id: Bad_Id", "must be a lower-case slug"),
    _case("duplicate-id", "programs", VALID["programs.yaml"] + "- id: old-program\n  name_ja: 重複\n  name_en: Duplicate\n",
          "id: old-program", "duplicate id 'old-program'"),
    _case("ambiguous-alias", "programs",
          VALID["programs.yaml"] + "- id: other-program\n  name_ja: 別事業\n  name_en: Other program\n  aliases:\n    - ＮＥＷ\n",
          "- ＮＥＷ", "ambiguous"),
    _case("ambiguous-name", "organizations",
          VALID["organizations.yaml"] + "- id: mext-copy\n  name_ja: 文部 科学省\n  name_en: Copy\n  type: ministry\n",
          "name_ja: 文部 科学省", "ambiguous"),
    _case("dangling-parent", "organizations",
          VALID["organizations.yaml"] + "- id: lost-office\n  name_ja: 迷子課\n  name_en: Lost office\n  type: office\n  parent: no-such-bureau\n",
          "parent: no-such-bureau", "unknown organization id 'no-such-bureau'"),
    _case("dangling-predecessor", "programs",
          VALID["programs.yaml"] + "- id: heir\n  name_ja: 後継\n  name_en: Heir\n  predecessors:\n    - old-program\n    - ghost-program\n",
          "- ghost-program", "unknown program id 'ghost-program'"),
    _case("dangling-previous-edition", "strategies",
          VALID["strategies.yaml"] + "- id: strategy-x\n  name_ja: 戦略X\n  name_en: X\n  type: plan\n  previous_edition: strategy-1999\n",
          "previous_edition: strategy-1999", "unknown strategy id 'strategy-1999'"),
    _case("dangling-decided-by", "strategies",
          VALID["strategies.yaml"] + "- id: strategy-y\n  name_ja: 戦略Y\n  name_en: Y\n  type: plan\n  decided_by: nobody\n",
          "decided_by: nobody", "unknown organization id 'nobody'"),
    _case("dangling-host", "hubs", VALID["hubs.yaml"] + "- id: hub2\n  name_ja: 拠点2\n  name_en: Hub 2\n  host: atlantis\n",
          "host: atlantis", "unknown organization id 'atlantis'"),
    _case("dangling-hub-program", "hubs",
          VALID["hubs.yaml"] + "- id: hub3\n  name_ja: 拠点3\n  name_en: Hub 3\n  host: mext\n  program: vapour\n",
          "program: vapour", "unknown program id 'vapour'"),
    _case("parent-cycle", "organizations",
          VALID["organizations.yaml"].replace("  type: ministry\n", "  type: ministry\n  parent: mext-bureau\n"),
          "parent: mext-bureau", "cycle in 'parent'"),
    _case("predecessor-cycle", "programs",
          VALID["programs.yaml"].replace("  name_en: Old program\n", "  name_en: Old program\n  predecessors: [new-program]\n"),
          "predecessors: [new-program]", "cycle in 'predecessors'"),
    _case("self-predecessor", "programs",
          VALID["programs.yaml"].replace("predecessors: [old-program]", "predecessors: [new-program]"),
          "predecessors: [new-program]", "cycle in 'predecessors'"),
    _case("previous-edition-cycle", "strategies",
          VALID["strategies.yaml"].replace("  decision_date: \"2023-06-09\"\n", "  decision_date: \"2023-06-09\"\n  previous_edition: strategy-2024\n"),
          "previous_edition: strategy-2024", "cycle in 'previous_edition'"),
    _case("invalid-date", "strategies", VALID["strategies.yaml"].replace('"2023-06-09"', '"2023-02-30"'),
          '"2023-02-30"', "not a valid date"),
    _case("invalid-date-format", "strategies", VALID["strategies.yaml"].replace('"2023-06-09"', "令和5年6月9日"),
          "令和5年6月9日", "not a valid date"),
    _case("invalid-month", "strategies", VALID["strategies.yaml"].replace('"2023-06-09"', '"2023-13"'),
          '"2023-13"', "not a valid date"),
    _case("strategy-type", "strategies", VALID["strategies.yaml"].replace("  type: strategy\n", "  type: statute\n", 1),
          "type: statute", "type 'statute' is not one of"),
    _case("organization-type", "organizations", VALID["organizations.yaml"].replace("type: bureau", "type: department"),
          "type: department", "type 'department' is not one of"),
    _case("edition-not-older", "strategies", VALID["strategies.yaml"].replace("edition_year: 2023", "edition_year: 2025"),
          "previous_edition: strategy-2023", "not older"),
    _case("figure", "programs", VALID["programs.yaml"] + "- id: rich\n  name_ja: 富裕事業\n  name_en: Rich\n  note: 予算 52億円\n",
          "note: 予算 52億円", "amount of money"),
    _case("alias-not-a-list", "programs", VALID["programs.yaml"] + "- id: single\n  name_ja: 単独\n  name_en: Single\n  aliases: 単\n",
          "aliases: 単", "must be a list"),
    _case("alias-not-a-string", "programs",
          VALID["programs.yaml"] + "- id: numeric\n  name_ja: 数字\n  name_en: Numeric\n  aliases:\n    - 2024\n",
          "- 2024", "must be a non-empty string"),
    _case("duplicate-key", "programs", VALID["programs.yaml"] + "- id: twice\n  name_ja: 二回\n  name_ja: 二度\n  name_en: Twice\n",
          "name_ja: 二度", "appears twice"),
    _case("yaml-syntax", "hubs", VALID["hubs.yaml"] + "- id: broken\n  name_ja: [壊れた\n  name_en: Broken\n",
          "name_en: Broken", "invalid YAML"),
    _case("entry-not-a-mapping", "hubs", VALID["hubs.yaml"] + "- just a string\n", "- just a string", "must be a mapping"),
    _case("file-not-a-list", "organizations", "id: cabinet\nname_ja: 内閣\n", "id: cabinet", "expected a list"),
]


@pytest.mark.parametrize(("file", "text", "needle", "reason"), CASES)
def test_malformed_registry(tmp_path, file, text, needle, reason):
    directory = write_registry(tmp_path, **{file: text})
    with pytest.raises(RegistryError) as err:
        Registry.load(directory)
    error = err.value
    assert error.file is not None and Path(error.file).name == f"{file}.yaml", error.message
    assert reason in error.reason, error.message
    if file == "hubs" and reason == "invalid YAML":
        # The parser notices an unclosed flow sequence where the next key starts.
        assert error.line in (line_of(text, "name_ja: [壊れた"), line_of(text, needle)), error.message
    else:
        assert error.line == line_of(text, needle), error.message
    assert f"{file}.yaml:{error.line}:" in error.message


def test_missing_file(tmp_path):
    directory = write_registry(tmp_path)
    (directory / "hubs.yaml").unlink()
    with pytest.raises(RegistryError) as err:
        Registry.load(directory)
    assert err.value.file.endswith("hubs.yaml") and "missing" in err.value.reason


def test_empty_file_is_an_empty_list(tmp_path):
    reg = Registry.load(write_registry(tmp_path, hubs="# no hubs yet\n"))
    assert reg.entries("hub") == []
