"""Property tests: the extractor and the normalisers never crash on mutated corpus text.

The default example count is modest so the suite stays fast; raise it with
``STIKG_FUZZ_EXAMPLES=2000 python -m pytest tests/test_extract_fuzz.py``."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stikg.core.normalize import fold, parse_amount, parse_date, parse_fiscal_year
from stikg.extract import extract_document
from stikg.extract.document import yen_matches

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("STIKG_FUZZ_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CORPUS = [
    line
    for path in sorted((ROOT / "sources").glob("*.txt"))
    for line in path.read_text(encoding="utf-8").split("\n")
    if line.strip()
]
PIECES = [
    "令和", "平成", "7", "７", "年度", "年", "月", "日", "元", "R5", "H30", "億円", "百万円", "千万円", "千円", "万円",
    "兆", "1,466", "3.3", "の内数", "（", "）", "(", ")", "【", "】", "「", "」", "予算額", "（案）", "要求・要望額",
    "前年度予算額", "補正予算額", "第2次", "基金", "（5年間）", "（新規）", "閣議決定", "戦略", "計画", "より抜粋",
    "資料2-2", "第 11 回", "国", "AMED", "JST", "理研", "補助金", "委託", "補助", "運営費交付金", "において措置",
    "（担当：", "事業スキーム", "事業期間：", "～", "~", "：", "、", "。", "※", "- ", "① ", "  ", "\t", "最大",
    "/年", "程度", "約", "USドル", "大学等", "センター", "を中核とした", "との連携", "を通じて",
]

mutated_line = st.builds(
    lambda base, inserts, cut: _mutate(base, inserts, cut),
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from(PIECES)), max_size=6),
    st.tuples(st.integers(0, 400), st.integers(0, 20)),
)
any_line = st.one_of(st.sampled_from(CORPUS), mutated_line, st.text(max_size=80), st.just(""),
                     st.lists(st.sampled_from(PIECES), max_size=8).map("".join))


def _mutate(base: str, inserts: list[tuple[int, str]], cut: tuple[int, int]) -> str:
    s = base
    start, length = cut
    start %= len(s) + 1
    s = s[:start] + s[start + length:]
    for pos, piece in inserts:
        pos %= len(s) + 1
        s = s[:pos] + piece + s[pos:]
    return s


@SETTINGS
@given(st.lists(any_line, min_size=0, max_size=40), st.one_of(st.none(), st.integers(1990, 2040)),
       st.sampled_from([None, "budget_request", "draft_budget", "supplementary_budget", "objectives_change", "policy_briefing", "??"]))
@example(["公開元URL運営費交付金 https://www.mof.go.jp/budget/fy2026/seifuan2億円026/index.html"], None, None)  # a frame line
def test_extractor_never_crashes(lines: list[str], fiscal_year: int | None, kind: str | None) -> None:
    result = extract_document(lines, "fuzz.txt", fiscal_year=fiscal_year, kind=kind)
    tables = result.tables()
    assert set(tables) == {"amounts.csv", "citations.csv", "organizations.csv", "flows.csv", "periods.csv", "contexts.csv",
                           "unresolved.csv", "report.csv"}
    for a in result.amounts:
        assert 1 <= a.line <= len(lines)
        assert a.amount_yen is None or isinstance(a.amount_yen, int)
        assert isinstance(a.partial, bool)
    for rec in (*result.citations, *result.organizations, *result.flows, *result.periods, *result.report):
        assert 1 <= rec.line <= len(lines)
    # nothing dropped silently: a line with a yen figure gives an amount or a report row
    accounted = {a.line for a in result.amounts} | {r.line for r in result.report}
    for number, line in enumerate(lines, 1):
        if yen_matches(fold(line.replace("**", ""))):
            assert number in accounted, line


@SETTINGS
@given(st.one_of(st.text(max_size=30), st.lists(st.sampled_from(PIECES), max_size=6).map("".join)))
def test_normalisers_raise_only_value_error(text: str) -> None:
    for parse in (parse_amount, parse_date, parse_fiscal_year):
        try:
            parse(text)
        except ValueError:
            pass
