"""Property tests with oracles: amounts, dates and fiscal years round-trip, rejections explain
themselves, and the extractor reports every line it could not use.

``tests/test_extract_fuzz.py`` checks that nothing crashes on mutated corpus text; this file
checks that the answers are *right*: every amount is generated together with its exact value
(computed with :class:`fractions.Fraction`) and printed the ways the ministry prints them (units,
thousands commas, decimals, full-width digits, spaces, ``の内数``), every date with its ISO form.
A rejection must be a :class:`ValueError` naming the text; never a wrong number.

The default run is small; ``STIKG_FUZZ_EXAMPLES=10000`` gives the full run (10,000 examples per
test). ``scripts/reliability_report.py`` counts the cases run.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stikg.core.normalize import parse_amount, parse_date, parse_fiscal_year
from stikg.extract import extract_document

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("STIKG_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
CASES: Counter[str] = Counter()

UNITS = {"兆": 10**12, "億": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3, "": 1}
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
KANJI = "〇一二三四五六七八九"
ERAS = {"令和": (2018, 99), "平成": (1988, 31), "昭和": (1925, 64)}


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


@pytest.fixture(scope="module", autouse=True)
def _count_cases():
    yield
    record("fuzz_normalizers", examples_setting=EXAMPLES, cases=dict(CASES), total=sum(CASES.values()))


def grouped(digits: str) -> str:
    """``1234567`` → ``1,234,567``."""
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


@st.composite
def printed_number(draw, max_int: int = 10**7, max_decimals: int = 3) -> tuple[str, Fraction]:
    """A non-negative number as printed (commas optional, decimals optional) and its exact value."""
    whole = draw(st.integers(0, max_int))
    decimals = draw(st.integers(0, max_decimals))
    frac_digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=decimals, max_size=decimals)))
    text = grouped(str(whole)) if whole >= 1000 and draw(st.booleans()) else str(whole)
    value = Fraction(whole)
    if frac_digits:
        text += "." + frac_digits
        value += Fraction(int(frac_digits), 10 ** len(frac_digits))
    return text, value


def dress(text: str, draw) -> str:
    """Print ``text`` the way documents do: full-width digits, spaces here and there."""
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([" ", "\u3000", "  "])) + text[at:]
    return text


@st.composite
def amount_case(draw) -> tuple[str, Fraction]:
    """A single-unit amount (``3.3億円``, ``1,466百万円``, ``５００万円``) with its exact yen value."""
    unit = draw(st.sampled_from(sorted(UNITS)))
    number, value = draw(printed_number())
    text = f"{number}{unit}円"
    if draw(st.booleans()):
        text += "の内数"
    return dress(text, draw), value * UNITS[unit]


@st.composite
def compound_case(draw) -> tuple[str, Fraction]:
    """``1兆2,000億円``, ``3億5,000万円``, ``12億3,456万7,890円`` with the exact yen value."""
    cho = draw(st.integers(0, 99))
    oku = draw(st.integers(0, 9999))
    man = draw(st.integers(0, 9999))
    yen = draw(st.integers(0, 9999))
    assume(sum(1 for x in (cho, oku, man, yen) if x) >= 2)
    parts = []
    for amount, unit in ((cho, "兆"), (oku, "億"), (man, "万"), (yen, "")):
        if amount:
            parts.append((grouped(str(amount)) if draw(st.booleans()) else str(amount)) + unit)
    text = "".join(parts) + "円"
    return dress(text, draw), Fraction(cho * 10**12 + oku * 10**8 + man * 10**4 + yen)


def check_amount(text: str, exact: Fraction) -> None:
    if exact.denominator == 1:
        assert parse_amount(text) == exact, text
    else:
        with pytest.raises(ValueError) as info:
            parse_amount(text)
        assert repr(text) in str(info.value), (text, str(info.value))


@SETTINGS
@given(st.one_of(amount_case(), compound_case()))
def test_amounts_round_trip_exactly(case: tuple[str, Fraction]) -> None:
    CASES["amount_round_trip"] += 1
    check_amount(*case)


@SETTINGS
@given(st.integers(0, 10**40), st.integers(0, 40), st.sampled_from(sorted(UNITS)))
def test_long_numbers_are_exact_or_refused(whole: int, decimals: int, unit: str) -> None:
    """Arbitrarily long figures: the exact value or a ValueError, never a rounded number."""
    CASES["amount_long_number"] += 1
    digits = str(whole)
    frac = ("1".rjust(decimals, "0")) if decimals else ""
    text = digits + ("." + frac if frac else "") + unit + "円"
    exact = (Fraction(whole) + (Fraction(1, 10**decimals) if decimals else 0)) * UNITS[unit]
    try:
        got = parse_amount(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
        return
    assert got == exact, f"{text} read as {got}, exactly {exact}"


NOISE = st.lists(st.sampled_from(list("0123456789０１２,.，．億万千百兆円の内数 \u3000約-~（）()")
                                 + ["百万", "千万", "の内数", "<", '"', "\x00", "\u202e"]), max_size=16).map("".join)


@SETTINGS
@given(st.one_of(NOISE, st.text(max_size=30)))
def test_amount_rejections_name_the_text(text: str) -> None:
    CASES["amount_rejection"] += 1
    try:
        value = parse_amount(text)
    except ValueError as exc:
        assert str(exc) and repr(text) in str(exc), (text, str(exc))
        return
    assert isinstance(value, int) and value >= 0


def kanji_number(n: int) -> str:
    """1..99 in simple kanji numerals (十, 二十三, 九十九)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else KANJI[tens] + "十")
    return head + (KANJI[ones] if ones else "")


@st.composite
def era_date_case(draw) -> tuple[str, str]:
    era = draw(st.sampled_from(sorted(ERAS)))
    base, last = ERAS[era]
    year = draw(st.integers(1, last))
    day = draw(st.dates(datetime.date(2001, 1, 1), datetime.date(2001, 12, 31)))
    western = base + year
    try:
        date = day.replace(year=western)
    except ValueError:  # 29 February of a non-leap year
        date = day.replace(year=western, day=28)
    style = draw(st.sampled_from(["arabic", "kanji"]))

    def num(n: int) -> str:
        return kanji_number(n) if style == "kanji" else str(n)

    y = "元" if year == 1 and draw(st.booleans()) else num(year)
    form = draw(st.sampled_from(["day", "month", "year", "fy"]))
    if form == "day":
        text, iso = f"{era}{y}年{num(date.month)}月{num(date.day)}日", date.isoformat()
    elif form == "month":
        text, iso = f"{era}{y}年{num(date.month)}月", date.isoformat()[:7]
    elif form == "year":
        text, iso = f"{era}{y}年", f"{western:04d}"
    else:
        text, iso = f"{era}{y}年度", f"FY{western}"
    return dress(text, draw), iso


@st.composite
def other_date_case(draw) -> tuple[str, str]:
    date = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2200, 12, 31)))
    form = draw(st.sampled_from(["western", "iso", "abbr", "fy"]))
    if form == "western":
        return f"{date.year}年{date.month}月{date.day}日", date.isoformat()
    if form == "iso":
        return date.isoformat(), date.isoformat()
    if form == "fy":
        return f"FY{date.year}", f"FY{date.year}"
    era = draw(st.sampled_from(["R", "H"]))
    base, last = ERAS["令和" if era == "R" else "平成"]
    year = draw(st.integers(1, min(last, 99)))
    western = base + year
    if draw(st.booleans()):
        return f"{era}{year}", f"FY{western}"
    day = date.replace(year=2000)  # leap year, every day exists
    try:
        day = day.replace(year=western)
    except ValueError:
        day = day.replace(year=western, day=28)
    return f"{era}{year}.{day.month}.{day.day}", day.isoformat()


@SETTINGS
@given(st.one_of(era_date_case(), other_date_case()))
def test_dates_round_trip(case: tuple[str, str]) -> None:
    CASES["date_round_trip"] += 1
    text, iso = case
    assert parse_date(text) == iso, text
    if iso.startswith("FY"):
        assert parse_fiscal_year(text) == int(iso[2:]), text


@SETTINGS
@given(st.sampled_from(sorted(ERAS)), st.integers(0, 120), st.integers(0, 15), st.integers(0, 40))
def test_impossible_dates_are_refused_with_the_text(era: str, year: int, month: int, day: int) -> None:
    CASES["date_rejection"] += 1
    text = f"{era}{year}年{month}月{day}日"
    base, last = ERAS[era]
    try:
        valid = 1 <= year <= last and bool(datetime.date(base + year, month, day))
    except ValueError:
        valid = False
    if valid:
        assert parse_date(text) == datetime.date(base + year, month, day).isoformat()
    else:
        with pytest.raises(ValueError) as info:
            parse_date(text)
        assert str(info.value), text


@SETTINGS
@given(st.one_of(st.text(max_size=20),
                 st.text(alphabet=st.sampled_from(list("令和平成昭和元年度月日RHSFY.0123456789十一二三〇 ")), max_size=14)))
def test_date_rejections_are_value_errors_with_a_message(text: str) -> None:
    CASES["date_fuzz"] += 1
    for parse in (parse_date, parse_fiscal_year):
        try:
            parse(text)
        except ValueError as exc:
            assert str(exc).strip(), (parse.__name__, text)


# ------------------------------------------------------------------------------- extractor

CORPUS = [line for path in sorted((ROOT / "sources").glob("*.txt"))
          for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "\u202e", "\ufeff", '"', ",", "\\",
           "'", "=cmd|' /C calc'!A0", "\u3000", "\t", "💴"]


@st.composite
def hostile_line(draw) -> str:
    base = draw(st.sampled_from(CORPUS))
    amount, _ = draw(st.one_of(amount_case(), compound_case()))
    pieces = [base, amount, *draw(st.lists(st.sampled_from(HOSTILE), max_size=3))]
    order = draw(st.permutations(pieces))
    return "".join(order)


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(CORPUS), hostile_line(), amount_case().map(lambda c: c[0])),
                min_size=1, max_size=30),
       st.sampled_from([None, 2024, 2025]))
def test_extractor_reports_every_rejection(lines: list[str], fiscal_year: int | None) -> None:
    """Each report row names the line and a reason; report.csv holds exactly those rows; every
    amount read agrees with the normaliser."""
    CASES["extractor"] += 1
    result = extract_document(lines, "fuzz.txt", fiscal_year=fiscal_year, kind="budget_request")
    for row in result.report:
        assert row.reason.strip() and 1 <= row.line <= len(lines), row
        assert row.text.strip(), row
    rows = list(csv.DictReader(io.StringIO(result.tables()["report.csv"])))
    assert [(int(r["line"]), r["text"], r["reason"]) for r in rows] == [
        (r.line, r.text, r.reason) for r in result.report]
    for a in result.amounts:
        if a.amount_yen is not None:
            try:
                assert parse_amount(a.amount_text) == a.amount_yen, a
            except ValueError:
                pass
