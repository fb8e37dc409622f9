"""stikg.core.normalize: era dates, fiscal years and yen amounts."""

from __future__ import annotations

import pytest

from stikg.core.normalize import era_year, fold, is_partial, parse_amount, parse_date, parse_fiscal_year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和6年6月4日", "2024-06-04"),
        ("令和6年6月", "2024-06"),
        ("令和4年", "2022"),
        ("令和元年", "2019"),
        ("令和元年5月1日", "2019-05-01"),
        ("平成26年度", "FY2014"),
        ("平成元年度", "FY1989"),
        ("昭和57年度", "FY1982"),
        ("令和 7 年度", "FY2025"),
        ("令和７年度", "FY2025"),
        ("令和　６年　６月　２１日", "2024-06-21"),
        ("令和５年１月13日", "2023-01-13"),
        ("令和二年三月", "2020-03"),
        ("令和十年度", "FY2028"),
        ("R5", "FY2023"),
        ("R05", "FY2023"),
        ("H30", "FY2018"),
        ("R5年度", "FY2023"),
        ("Ｒ５", "FY2023"),
        ("R6.6.4", "2024-06-04"),
        ("2024年6月", "2024-06"),
        ("2024年6月21日", "2024-06-21"),
        ("2025年度", "FY2025"),
        ("2024-06-04", "2024-06-04"),
        ("FY2025", "FY2025"),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "令和", "令和6年13月", "令和6年2月30日", "平成32年度", "昭和65年", "大正5年", "R", "R123", "6月4日", "abc",
     "令和6年6月4日閣議決定", "令和百年"],
)
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年度", 2025),
        ("令和 7 年度", 2025),
        ("令和元年度", 2019),
        ("平成26年度", 2014),
        ("R7", 2025),
        ("H30", 2018),
        ("FY2025", 2025),
        ("2025年度", 2025),
        ("2025", 2025),
        (2025, 2025),
    ],
)
def test_parse_fiscal_year(text: str | int, expected: int) -> None:
    assert parse_fiscal_year(text) == expected


@pytest.mark.parametrize("text", ["令和7年6月", "next year", "", "FY25", "令和0年度"])
def test_parse_fiscal_year_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fiscal_year(text)


def test_era_year() -> None:
    assert era_year("令和", 1) == 2019
    assert era_year("平成", 31) == 2019
    assert era_year("R", 7) == 2025
    with pytest.raises(ValueError):
        era_year("大正", 1)
    with pytest.raises(ValueError):
        era_year("令和", 0)


@pytest.mark.parametrize(
    ("text", "yen"),
    [
        ("52億円", 5_200_000_000),
        ("600百万円", 600_000_000),
        ("1,466百万円", 1_466_000_000),
        ("77,599百万円", 77_599_000_000),
        ("5千万円", 50_000_000),
        ("2.5千万円", 25_000_000),
        ("3.3億円", 330_000_000),
        ("0.4億円", 40_000_000),
        ("10.4億円", 1_040_000_000),
        ("330万円", 3_300_000),
        ("1,500万円", 15_000_000),
        ("17千円", 17_000),
        ("17,386千円", 17_386_000),
        ("1兆2,000億円", 1_200_000_000_000),
        ("3億5,000万円", 350_000_000),
        ("3億5千万円", 350_000_000),
        ("1兆円", 1_000_000_000_000),
        ("1億2,345万6,789円", 123_456_789),
        ("500円", 500),
        ("１３億円", 1_300_000_000),
        ("１，４６６百万円", 1_466_000_000),
        ("13億円の内数", 1_300_000_000),
        ("52 億円", 5_200_000_000),
        ("0.12345億円", 12_345_000),
    ],
)
def test_parse_amount(text: str, yen: int) -> None:
    value = parse_amount(text)
    assert value == yen
    assert isinstance(value, int)


@pytest.mark.parametrize(
    "text",
    ["", "億円", "円", "52億", "52億ドル", "0.5円", "1.23456789012億円", "12,34億円", "1,2345百万円", "3億15,000万円",
     "1兆12,000億円", "約52億円", "52億円程度", "abc", "五十億円", "1億5万5万円"],
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_no_float_rounding() -> None:
    # 0.1 + 0.2 style errors would show here with floats
    assert parse_amount("0.3億円") == 30_000_000
    assert parse_amount("1.1億円") == 110_000_000
    assert parse_amount("2.2万円") == 22_000


def test_partial_and_fold() -> None:
    assert is_partial("90億円の内数")
    assert not is_partial("90億円")
    assert fold("（令和７年度）") == "(令和7年度)"
    assert fold("①１億円") == "①1億円"  # circled numbers are kept, unlike NFKC
    assert len(fold("ＡＢＣ　１２３")) == len("ＡＢＣ　１２３")
