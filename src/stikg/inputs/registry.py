"""The identity registry: curated strategies, organizations, programs and hubs.

``mappings/registry/`` holds four YAML files (``strategies.yaml``, ``organizations.yaml``,
``programs.yaml``, ``hubs.yaml``): one entry per line of identity, never a figure.
:meth:`Registry.load` reads and checks them with :func:`stikg.inputs.registry_load.read_registry`,
which reports each defect as a :class:`~stikg.core.errors.RegistryError` with its file and line.

:meth:`Registry.resolve` maps a name as printed in a document to its entry. It compares
:func:`stikg.core.text.name_key` of the printed name with the keys of every entry's ``name_ja``,
``name_en``, ``id``, ``short_name`` and aliases (plain dict look-ups), and when that fails it
tries, in order, the tolerant readings that the genre needs (see :meth:`Registry.resolve`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from stikg.core.text import name_key, nfkc
from stikg.inputs.registry_load import KINDS, Entry, check_kind, read_registry

# Tolerant resolution -------------------------------------------------------------------------
# A bracketed group at the end of a printed name: an abbreviation "（AMED）", an annotation
# "(一部)", "【再掲】", "<外国人特別研究員>" or a decision "（令和6年6月4日閣議決定）".
_TRAILING_GROUP = re.compile(
    r"\s*(?:\((?P<a>[^()]*)\)|【(?P<b>[^【】]*)】|\[(?P<c>[^\[\]]*)\]|〔(?P<d>[^〔〕]*)〕"
    r"|<(?P<e>[^<>]*)>|《(?P<f>[^《》]*)》)\s*\Z"
)
# List markers and layout debris in front of a name: ①, ○, ■, "5. ", "(1)", "III ", "- ".
_LEADING_MARKER = re.compile(
    r"\A(?:[①-⑳⑴-⒇❶-❿○●◎◯◆◇■□▶▷►・･\-‐–—※✓✔★☆>→⇒➡]+\s*|\(\d{1,2}\)\s*|\d{1,2}[.)]\s+"
    r"|(?:I{1,3}|IV|VI{0,3}|IX|X)\s+)"
)
_TRAILING_DEBRIS = re.compile(r"(?:\s|[-‐–—~〜※*]|【再掲】)+\Z")
_TRAILING_FIGURE = re.compile(r"[\s:：]+[0-9][0-9,.]*\s*(?:兆|億|千万|百万|万|千)?円.*\Z")
_LEADING_DATE = re.compile(
    r"\A(?:令和|平成|昭和)\s*(?:\d{1,2}|元)\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?[\s,、]*"
)
_PATH_SEPARATOR = re.compile(r"\s+[>＞]\s+")
_ENCLOSING = (("【", "】"), ("「", "」"), ("『", "』"), ("(", ")"), ("[", "]"), ("〔", "〕"), ("<", ">"))
_ABBREVIATION = re.compile(r"[A-Za-z][A-Za-z0-9&.\- ]{0,23}\Z")
_LEGAL_FORM = re.compile(
    r"\A(?:国立研究開発法人|独立行政法人|大学共同利用機関法人|国立大学法人|公立大学法人|学校法人"
    r"|公益財団法人|一般財団法人|公益社団法人|一般社団法人|特殊法人|認可法人|株式会社)\s*"
)
_ERA_DATE = re.compile(
    r"(?P<era>令和|平成|昭和|R|H)?\s*(?P<year>\d{1,4}|元)\s*年(?:\s*(?P<month>\d{1,2})\s*月"
    r"(?:\s*(?P<day>\d{1,2})\s*日)?)?"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?(?!\d)")
_ERA_BASE = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925}


class Resolver(Protocol):
    """What the extraction, mapping and scoring need of a registry: the entry a printed name
    refers to, or None when it knows no such name (:meth:`Registry.resolve`; test doubles too)."""

    def resolve(self, kind: str, printed: str | None) -> Any: ...


def lookup(registry: Resolver | None, kind: str, printed: str | None) -> Any:
    """The entry ``printed`` names, or None when there is no registry or it does not know the name.

    The one "not found" is None: an unknown ``kind`` is a programming error and raises."""
    return None if registry is None else registry.resolve(kind, printed)


class Registry:
    """The loaded registry: entries per kind, and a name-key index for :meth:`resolve`."""

    def __init__(self, entries: dict[str, dict[str, Entry]], index: dict[str, dict[str, Entry]],
                 stems: dict[str, set[str]], directory: Path | None = None):
        self.directory = directory
        self._entries = entries
        self._sorted = {kind: tuple(entries[kind][i] for i in sorted(entries[kind])) for kind in KINDS}
        self._index = index
        self._stems = stems
        self._cache: dict[tuple[str, str], Entry | None] = {}

    # ---- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | Path) -> Registry:
        """Read and validate the four YAML files of ``directory``; raise RegistryError on a defect."""
        directory = Path(directory)
        entries, index, stems = read_registry(directory)
        return cls(entries, index, stems, directory)

    # ---- queries ----------------------------------------------------------------------------
    def entries(self, kind: str) -> list[Entry]:
        """Every entry of ``kind``, sorted by id."""
        return list(self._sorted[check_kind(kind)])

    def get(self, kind: str, id: str) -> Entry:
        """The entry ``id`` of ``kind``; KeyError if there is none."""
        try:
            return self._entries[check_kind(kind)][id]
        except KeyError:
            raise KeyError(f"no {kind} with id {id!r} in the registry") from None

    def __contains__(self, item: tuple[str, str]) -> bool:
        kind, ident = item
        return ident in self._entries.get(kind, {})

    def resolve(self, kind: str, printed: str | None) -> Entry | None:
        """The entry a printed name refers to, or None.

        First the name key of the printed name itself (``stikg.core.text.name_key``: width, spaces,
        「」, ・ and dashes do not matter). When that fails, the tolerant readings, in order:

        - the name without list markers (①, ○, "5. ", "III "), markdown ``**``, a leading era
          date ("令和５年１月13日…"), enclosing brackets (【…】, 「…」) and trailing ※, 【再掲】
          or amount debris;
        - the name without each trailing bracketed group in turn: "日本医療研究開発機構（AMED）",
          "…(一部)(科学技術振興機構)", "…【再掲】", "…（令和6年6月4日閣議決定）";
        - organizations and hubs: without a legal-form prefix (国立研究開発法人, 大学共同利用機関
          法人, …) and as "<organization><unit>" when the unit belongs to that organization
          ("文部科学省研究振興局基礎・基盤研究課", "東京大学Kavli IPMU");
        - strategies: a series name with a printed date picks the edition decided then
          ("統合イノベーション戦略（令和2年7月17日閣議決定）" → the 2020 edition); an edition
          whose printed date contradicts its decision date gives the edition of that date, or
          None rather than the wrong edition;
        - the abbreviation inside a trailing bracket ("ＸＸ（AMED）" → AMED);
        - programs and hubs: without the organization printed after them
          ("戦略的創造研究推進事業 (一部) 科学技術振興機構").

        A ``Parent > Child`` path resolves its last part. Results are cached per name.
        """
        kind = check_kind(kind)
        if printed is None:
            return None
        cache_key = (kind, printed)
        if cache_key in self._cache:
            return self._cache[cache_key]
        parts = [p for p in _PATH_SEPARATOR.split(printed) if p.strip()]
        result = self._resolve_one(kind, parts[-1]) if parts else None
        self._cache[cache_key] = result
        return result

    def _resolve_one(self, kind: str, printed: str, strip_owner: bool = True) -> Entry | None:
        index = self._index[kind]
        hit = index.get(name_key(printed))
        if hit is not None:
            return hit
        cleaned = _clean(printed)
        variants = [cleaned]
        removed: list[str] = []
        base = cleaned
        while True:
            m = _TRAILING_GROUP.search(base)
            if not m:
                break
            removed.append(next(g for g in m.groups() if g is not None))
            base = _TRAILING_DEBRIS.sub("", base[: m.start()])
            if not base:
                break
            variants.append(base)
        for i, variant in enumerate(variants):
            hit = self._lookup(kind, variant)
            if hit is None:
                continue
            if kind == "strategy" and i > 0 and hit.get("series"):
                hint = _first_date_hint(removed[:i])
                if hint is not None and not _date_agrees(hit, hint):
                    # A series name dated otherwise: the edition decided then, or nothing.
                    return self._edition_by_date(variant, hint)
            return hit
        if kind == "strategy":
            for i, variant in enumerate(variants[1:], start=1):
                hint = _first_date_hint(removed[:i])
                hit = self._edition_by_date(variant, hint) if hint is not None else None
                if hit is not None:
                    return hit
        for inner in removed:
            inner = inner.strip()
            if _ABBREVIATION.match(inner):
                hit = index.get(name_key(inner))
                if hit is not None:
                    return hit
        if strip_owner and kind in ("program", "hub"):
            return self._without_owner(kind, variants)
        return None

    def _without_owner(self, kind: str, variants: list[str]) -> Entry | None:
        """``<name> <organization>``: a program or hub printed with the body that runs it after it
        ("戦略的創造研究推進事業 (一部) 科学技術振興機構")."""
        orgs = self._index["organization"]
        for variant in variants:
            for cut in range(1, len(variant)):
                if not variant[cut - 1].isspace() and not variant[cut].isspace():
                    continue
                if name_key(variant[cut:]) in orgs:
                    hit = self._resolve_one(kind, variant[:cut], strip_owner=False)
                    if hit is not None:
                        return hit
        return None

    def _lookup(self, kind: str, text: str) -> Entry | None:
        index = self._index[kind]
        key = name_key(text)
        if not key:
            return None
        hit = index.get(key)
        if hit is not None or kind not in ("organization", "hub"):
            return hit
        stripped = _LEGAL_FORM.sub("", text)
        if stripped != text:
            hit = index.get(name_key(stripped))
            if hit is not None:
                return hit
            key = name_key(stripped)
        return self._qualified(kind, key)

    def _qualified(self, kind: str, key: str) -> Entry | None:
        """``<organization><unit>``: a unit printed after the organization it belongs to."""
        orgs = self._index["organization"]
        target = self._index[kind]
        for cut in range(len(key) - 1, 0, -1):
            owner = orgs.get(key[:cut])
            if owner is None:
                continue
            unit = target.get(key[cut:])
            if unit is None:
                unit = target.get(name_key(_LEGAL_FORM.sub("", key[cut:])))
            if unit is None:
                continue
            start = unit.get("parent") if kind == "organization" else unit.get("host")
            if start is not None and owner.id in self._ancestors(start):
                return unit
        return None

    def _ancestors(self, org_id: str) -> list[str]:
        out: list[str] = []
        current: str | None = org_id
        while current is not None and current not in out:
            out.append(current)
            entry = self._entries["organization"].get(current)
            current = entry.get("parent") if entry is not None else None
        return out

    def _edition_by_date(self, base: str, hint: tuple[int, int | None, int | None]) -> Entry | None:
        """A series name printed without its year, dated by the bracket that followed it."""
        ids = self._stems.get(name_key(base))
        if not ids:
            return None
        found = [self._entries["strategy"][i] for i in sorted(ids)]
        found = [e for e in found if _date_agrees(e, hint) and (e.get("decision_date") or e.get("edition_year"))]
        return found[0] if len(found) == 1 else None


# ---- tolerant reading helpers ----------------------------------------------------------------
def _clean(text: str) -> str:
    """Drop markdown emphasis, list markers, a leading date, enclosing brackets and trailing
    ※/【再掲】/amount debris around a name; returns NFKC text."""
    text = text.replace("*", "").strip()
    text = _LEADING_MARKER.sub("", text).strip()  # before NFKC turns ③ into 3
    text = nfkc(text)
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_MARKER.sub("", text).strip()
        text = _LEADING_DATE.sub("", text).strip()
        text = _TRAILING_FIGURE.sub("", text).strip()
        text = _TRAILING_DEBRIS.sub("", text).strip()
        for opening, closing in _ENCLOSING:
            if text.startswith(opening) and text.endswith(closing) and len(text) > 2:
                inner = text[1:-1]
                if opening not in inner and closing not in inner:
                    text = inner.strip()
    return text


def _first_date_hint(texts: list[str]) -> tuple[int, int | None, int | None] | None:
    for text in texts:
        hint = _date_hint(text)
        if hint is not None:
            return hint
    return None


def _date_agrees(entry: Entry, hint: tuple[int, int | None, int | None]) -> bool:
    """Whether a printed (year, month, day) fits the entry's decision date or edition year."""
    year, month, day = hint
    decided = entry.get("decision_date")
    if decided:
        parts = [int(p) for p in str(decided).split("-")]
        return parts[0] == year and (month is None or parts[1] == month) and (
            day is None or len(parts) < 3 or parts[2] == day)
    edition = entry.get("edition_year")
    return edition is None or edition == year


def _date_hint(text: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of the first date in ``text``: 令和/平成/昭和, 2024年6月 or ISO 2024-06-04."""
    text = nfkc(text)
    iso = _ISO_DATE.search(text)
    if iso:
        return int(iso["year"]), int(iso["month"]), int(iso["day"]) if iso["day"] else None
    m = _ERA_DATE.search(text)
    if not m:
        return None
    era = m["era"]
    year = 1 if m["year"] == "元" else int(m["year"])
    if era:
        year += _ERA_BASE[era]
    elif year < 1800:
        return None
    month = int(m["month"]) if m["month"] else None
    day = int(m["day"]) if m["day"] else None
    return year, month, day
