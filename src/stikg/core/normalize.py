"""Normalisation of the figures printed in ministry documents.

* Era dates → ISO 8601: ``令和6年6月4日`` → ``2024-06-04``, ``令和6年6月`` → ``2024-06``,
  ``令和4年`` → ``2022``, ``2024年6月`` → ``2024-06``; fiscal years print as ``FY2014``
  (``平成26年度``, ``R5`` → ``FY2023``, ``H30`` → ``FY2018``). ``元`` is year 1 (令和元年 = 2019).
* Fiscal years → int (:func:`parse_fiscal_year`): Japanese fiscal years run April–March and are
  named after the calendar year they start in (令和7年度 = FY2025).
* Yen amounts → int (:func:`parse_amount`): units 兆/億/千万/百万/万/千 円, thousands commas,
  decimals (``3.3億円``), combined forms (``1兆2,000億円``, ``3億5,000万円``). Arithmetic is done
  with :class:`decimal.Decimal`, never floats; a result that is not a whole number of yen is an
  error.

Full-width digits and spaces (``令和 ７ 年度``) are accepted everywhere. Anything that cannot be
read raises :class:`ValueError` with the offending text in the message.
"""

from __future__ import annotations

import datetime
import re
from decimal import Context, Decimal, Inexact, InvalidOperation, localcontext

# Full-width ASCII (U+FF01–FF5E) → ASCII and the ideographic space → space. One character in,
# one character out, so offsets in folded text are offsets in the original.
_FOLD_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FOLD_TABLE[0x301C] = ord("~")  # WAVE DASH, printed for ranges like 令和3年度〜
_FOLD_TABLE[0x2212] = ord("-")  # MINUS SIGN


def fold(text: str) -> str:
    """Full-width ASCII → ASCII, ideographic space → space; length-preserving (unlike NFKC,
    circled numbers such as ① are kept, so ``①1億円`` never becomes ``11億円``)."""
    return text.translate(_FOLD_TABLE)


# year = base + n
ERA_BASE = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_ERA_LAST = {"平成": 31, "昭和": 64, "H": 31, "S": 64}
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                 "八": 8, "九": 9}

_NUM = r"(?:\d+|元|[〇零一二三四五六七八九十]+)"
_ERA_DATE = re.compile(
    rf"(?P<era>令和|平成|昭和)(?P<y>{_NUM})年(?:(?P<fy>度)|(?P<m>{_NUM})月(?:(?P<d>{_NUM})日)?)?"
)
_ABBR_DATE = re.compile(r"(?P<era>[RHS])(?P<y>\d{1,2})(?:(?P<fy>年度)|\.(?P<m>\d{1,2})(?:\.(?P<d>\d{1,2}))?)?")
_WESTERN_DATE = re.compile(r"(?P<y>\d{4})年(?:(?P<fy>度)|(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?)?")
_ISO_DATE = re.compile(r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?")
_FY = re.compile(r"FY(?P<y>\d{4})")
_SPACES = re.compile(r"\s+")


def _number(token: str, original: str) -> int:
    """Arabic digits, 元 (= 1) or simple kanji numerals (一 … 九十九)."""
    if token.isdigit():
        return int(token)
    if token == "元":
        return 1
    if "十" in token:
        head, _, tail = token.partition("十")
        if "十" in tail or any(ch not in _KANJI_DIGITS for ch in head + tail) or len(head) > 1 or len(tail) > 1:
            raise ValueError(f"unreadable number {token!r} in {original!r}")
        return (_KANJI_DIGITS[head] if head else 1) * 10 + (_KANJI_DIGITS[tail] if tail else 0)
    if len(token) == 1 and token in _KANJI_DIGITS:
        return _KANJI_DIGITS[token]
    raise ValueError(f"unreadable number {token!r} in {original!r}")


def era_year(era: str, year: int) -> int:
    """Western year of ``era`` year ``year`` (``era_year("令和", 6)`` → 2024)."""
    if era not in ERA_BASE:
        raise ValueError(f"unknown era {era!r}")
    if year < 1 or year > _ERA_LAST.get(era, 99):
        raise ValueError(f"{era}{year}年 is not a year of that era")
    return ERA_BASE[era] + year


def _compact(text: str) -> str:
    return _SPACES.sub("", fold(text)).strip()


def _iso(year: int, month: int | None, day: int | None, original: str) -> str:
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} out of range in {original!r}")
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"no such day in {original!r}") from None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(text: str) -> str:
    """An era or Western date as ISO: ``2024-06-04``, ``2024-06``, ``2024``; a fiscal year as ``FY2014``.

    >>> parse_date("令和6年6月4日"), parse_date("平成26年度"), parse_date("R5")
    ('2024-06-04', 'FY2014', 'FY2023')
    """
    s = _compact(text)
    for pattern, is_era in ((_ERA_DATE, True), (_ABBR_DATE, True), (_WESTERN_DATE, False)):
        m = pattern.fullmatch(s)
        if not m:
            continue
        year = era_year(m["era"], _number(m["y"], text)) if is_era else int(m["y"])
        if m["fy"] or (pattern is _ABBR_DATE and not m["m"]):
            return f"FY{year}"
        month = _number(m["m"], text) if m["m"] else None
        day = _number(m["d"], text) if m["d"] else None
        return _iso(year, month, day, text)
    m = _ISO_DATE.fullmatch(s)
    if m:
        return _iso(int(m["y"]), int(m["m"]) if m["m"] else None, int(m["d"]) if m["d"] else None, text)
    m = _FY.fullmatch(s)
    if m:
        return f"FY{int(m['y'])}"
    raise ValueError(f"not a date: {text!r}")


def parse_fiscal_year(text: str | int) -> int:
    """A fiscal year as an int: ``令和7年度``/``R7``/``FY2025``/``2025年度``/``2025`` → 2025."""
    if isinstance(text, int):
        return text
    s = _compact(text)
    if re.fullmatch(r"\d{4}", s):
        return int(s)
    m = _ERA_DATE.fullmatch(s)
    if m and not m["m"]:
        return era_year(m["era"], _number(m["y"], text))
    m = _ABBR_DATE.fullmatch(s)
    if m and not m["m"]:
        return era_year(m["era"], int(m["y"]))
    m = _WESTERN_DATE.fullmatch(s)
    if m and not m["m"]:
        return int(m["y"])
    m = _FY.fullmatch(s)
    if m:
        return int(m["y"])
    raise ValueError(f"not a fiscal year: {text!r}")


# ---------------------------------------------------------------- amounts

UNIT_YEN = {"兆": 10**12, "億": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3}
_N = r"\d+(?:,\d{3})*(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?:(?P<cho>{_N})兆)?(?:(?P<oku>{_N})億)?(?:(?P<man>{_N})(?P<mu>千万|百万|万|千))?(?P<rest>{_N})?円"
    r"(?P<partial>の内数)?"
)
_COMMA_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def _decimal(token: str, original: str) -> Decimal:
    if not _COMMA_NUMBER.fullmatch(token):
        raise ValueError(f"badly grouped number {token!r} in {original!r}")
    try:
        return Decimal(token.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"unreadable number {token!r} in {original!r}") from None


def parse_amount(text: str) -> int:
    """Integer yen of a printed amount: ``52億円`` → 5200000000, ``1,466百万円`` → 1466000000,
    ``1兆2,000億円`` → 1200000000000. A trailing ``の内数`` (a portion of a larger sum) is
    accepted and does not change the figure."""
    s = _compact(text)
    m = _AMOUNT.fullmatch(s)
    if not m or not any(m[g] for g in ("cho", "oku", "man", "rest")):
        raise ValueError(f"not a yen amount: {text!r}")
    if sum(c.isdigit() for c in s) > _MAX_DIGITS:
        raise ValueError(f"implausibly long figure (over {_MAX_DIGITS} digits): {text!r}")
    # Exact arithmetic: any rounding would raise (decimal.Inexact) instead of changing the figure.
    with localcontext(Context(prec=2 * _MAX_DIGITS + 20, traps=[Inexact, InvalidOperation])):
        return _amount_yen(m, text)


_MAX_DIGITS = 40


def _amount_yen(m: re.Match, text: str) -> int:
    total = Decimal(0)
    parts = [("cho", 10**12), ("oku", 10**8)]
    for group, factor in parts:
        if m[group]:
            total += _decimal(m[group], text) * factor
    if m["man"]:
        value = _decimal(m["man"], text)
        if (m["cho"] or m["oku"]) and value * UNIT_YEN[m["mu"]] >= 10**8:
            raise ValueError(f"{m['man']}{m['mu']} does not fit below 億 in {text!r}")
        total += value * UNIT_YEN[m["mu"]]
    if m["rest"]:
        value = _decimal(m["rest"], text)
        if (m["cho"] or m["oku"] or m["man"]) and value >= 10**4:
            raise ValueError(f"trailing {m['rest']} does not fit below 万 in {text!r}")
        total += value
    if m["cho"] and m["oku"] and _decimal(m["oku"], text) >= 10**4:
        raise ValueError(f"{m['oku']}億 does not fit below 兆 in {text!r}")
    if total != total.to_integral_value():
        raise ValueError(f"not a whole number of yen: {text!r}")
    return int(total)


def is_partial(text: str) -> bool:
    """True when a printed amount is marked の内数 (a portion of a larger sum)."""
    return _compact(text).endswith("の内数")
