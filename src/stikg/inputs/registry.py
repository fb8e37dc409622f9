"""The identity registry: curated strategies, organizations, programs and hubs.

``mappings/registry/`` holds four YAML files, each a list of mappings (one entry per line of
identity, never a figure): ``strategies.yaml``, ``organizations.yaml``, ``programs.yaml`` and
``hubs.yaml``. :meth:`Registry.load` reads them with ``yaml.safe_load`` semantics but keeps the
line of every entry and key, so each problem is a :class:`~stikg.core.errors.RegistryError` naming the
file and the line: an unknown key, a missing ``id``/``name_ja``/``name_en``, a malformed id, a
duplicate id, two entries claiming the same printed name, a reference to an unknown id, a cycle
in a ``parent``/``predecessors``/``previous_edition`` chain, a bad date or an unknown ``type``.

:meth:`Registry.resolve` maps a name as printed in a document to its entry. It compares
:func:`stikg.core.text.name_key` of the printed name with the keys of every entry's ``name_ja``,
``name_en``, ``id``, ``short_name`` and aliases (plain dict look-ups), and when that fails it
tries, in order, the tolerant readings that the genre needs (see :meth:`Registry.resolve`).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from stikg.core import yamlsafe
from stikg.core.errors import RegistryError
from stikg.core.text import name_key, nfkc

KINDS = ("strategy", "organization", "program", "hub")
FILES = {
    "strategy": "strategies.yaml",
    "organization": "organizations.yaml",
    "program": "programs.yaml",
    "hub": "hubs.yaml",
}

COMMON_KEYS = ("id", "name_ja", "name_en", "aliases", "note")
KIND_KEYS = {
    "strategy": ("type", "edition_year", "decision_date", "decided_by", "previous_edition", "series"),
    "organization": ("type", "parent", "short_name"),
    "program": ("parent", "predecessors", "short_name"),
    "hub": ("host", "program"),
}
REQUIRED_KEYS = {
    "strategy": ("id", "name_ja", "name_en", "type"),
    "organization": ("id", "name_ja", "name_en", "type"),
    "program": ("id", "name_ja", "name_en"),
    "hub": ("id", "name_ja", "name_en", "host"),
}
TYPES = {
    "strategy": ("strategy", "plan", "policy", "report", "law", "decision", "agreement"),
    "organization": (
        "government", "ministry", "bureau", "office", "funding_agency", "research_institute",
        "university", "inter_university", "council", "company", "other",
    ),
}
# (kind, key) → the kind of entry the key points to.
REFERENCES = {
    ("strategy", "decided_by"): "organization",
    ("strategy", "previous_edition"): "strategy",
    ("organization", "parent"): "organization",
    ("program", "parent"): "program",
    ("program", "predecessors"): "program",
    ("hub", "host"): "organization",
    ("hub", "program"): "program",
}
# Links that must never loop back on themselves.
CHAINS = {"strategy": ("previous_edition",), "organization": ("parent",), "program": ("parent", "predecessors")}

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
SLUG_PATTERN = ID_PATTERN
_DATE_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_DATE_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
# An amount of money: the registry is identity only, figures live in the documents' graphs.
_FIGURE = re.compile(r"\d[\d,.]*\s*(?:兆|億|千万|百万|十万|万|千)?\s*(?:円|US\s*ドル|ドル)|(?:兆|億|千万|百万|万)円")

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
_EDITION_SUFFIX = re.compile(r"(?:19|20)\d{2}(?:年)?(?:改訂版)?\Z")
_ERA_DATE = re.compile(
    r"(?P<era>令和|平成|昭和|R|H)?\s*(?P<year>\d{1,4}|元)\s*年(?:\s*(?P<month>\d{1,2})\s*月"
    r"(?:\s*(?P<day>\d{1,2})\s*日)?)?"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?(?!\d)")
_ERA_BASE = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925}


@dataclass(frozen=True)
class Entry:
    """One curated identity: a strategy, organization, program or hub.

    ``data`` is the whole entry as written (normalised: ``decision_date`` is an ISO string,
    ``aliases``/``predecessors`` are lists); treat it as read-only. ``file``/``line`` locate the
    entry in its YAML file.
    """

    kind: str
    id: str
    name_ja: str
    name_en: str
    aliases: tuple[str, ...] = ()
    data: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    file: str = ""
    line: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        """``data[key]``, or ``default`` when the entry does not set it."""
        return self.data.get(key, default)


class Resolver(Protocol):
    """What the extraction, mapping and scoring need of a registry: the entry a printed name
    refers to, or None when it knows no such name (:meth:`Registry.resolve`; test doubles too)."""

    def resolve(self, kind: str, printed: str | None) -> Any: ...


def lookup(registry: Resolver | None, kind: str, printed: str | None) -> Any:
    """The entry ``printed`` names, or None when there is no registry or it does not know the name.

    The one "not found" is None: an unknown ``kind`` is a programming error and raises."""
    return None if registry is None else registry.resolve(kind, printed)


@dataclass
class _Raw:
    """An entry as parsed, with the line of the entry, of each key and of each list item."""

    kind: str
    file: str
    line: int
    values: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]

    def at(self, key: str, index: int | None = None) -> int:
        if index is not None and key in self.item_lines and index < len(self.item_lines[key]):
            return self.item_lines[key][index]
        return self.key_lines.get(key, self.line)


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
        raws = {kind: _read_file(kind, directory / FILES[kind]) for kind in KINDS}
        entries: dict[str, dict[str, Entry]] = {}
        by_id: dict[str, dict[str, _Raw]] = {}
        for kind in KINDS:
            entries[kind], by_id[kind] = _build_entries(kind, raws[kind])
        for kind in KINDS:
            for raw in raws[kind]:
                _check_references(raw, by_id)
        for kind in KINDS:
            _check_chains(kind, raws[kind], by_id[kind])
        _check_editions(raws["strategy"], by_id["strategy"])
        index = {kind: _build_index(kind, raws[kind], entries[kind]) for kind in KINDS}
        stems = _edition_stems(entries["strategy"])
        return cls(entries, index, stems, directory)

    # ---- queries ----------------------------------------------------------------------------
    def entries(self, kind: str) -> list[Entry]:
        """Every entry of ``kind``, sorted by id."""
        return list(self._sorted[_check_kind(kind)])

    def get(self, kind: str, id: str) -> Entry:
        """The entry ``id`` of ``kind``; KeyError if there is none."""
        try:
            return self._entries[_check_kind(kind)][id]
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
        kind = _check_kind(kind)
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


# ---- reading -----------------------------------------------------------------------------------
def _check_kind(kind: str) -> str:
    if kind not in FILES:
        raise ValueError(f"unknown registry kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _read_file(kind: str, path: Path) -> list[_Raw]:
    """Parse one YAML file into raw entries, keeping the line of each entry, key and list item."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"registry file missing (expected {FILES[kind]} with the {kind} entries)", file) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"not valid UTF-8 ({exc.reason})", file) from None
    except OSError as exc:
        raise RegistryError(f"cannot read: {exc.strerror or exc}", file) from None
    root = yamlsafe.compose(text, file, RegistryError)
    if root is None:
        return []
    if not isinstance(root, SequenceNode):
        raise RegistryError(f"expected a list of {kind} entries (each '- id: …'), found a {_node_kind(root)}",
                            file, _line(root))
    constructor = SafeConstructor()
    raws: list[_Raw] = []
    for item in root.value:
        if not isinstance(item, MappingNode):
            raise RegistryError(f"each {kind} entry must be a mapping of keys (id, name_ja, …), found a "
                                f"{_node_kind(item)}", file, _line(item))
        values: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        item_lines: dict[str, list[int]] = {}
        for key_node, value_node in item.value:
            if not isinstance(key_node, ScalarNode):
                raise RegistryError("keys must be plain words such as 'id' or 'name_ja'", file, _line(key_node))
            key = key_node.value
            if key in values:
                raise RegistryError(f"key '{key}' appears twice in one entry", file, _line(key_node))
            try:
                values[key] = constructor.construct_object(value_node, deep=True)
            except yaml.YAMLError as exc:
                raise RegistryError(f"invalid value for '{key}': {exc}", file, _line(value_node)) from None
            key_lines[key] = _line(value_node) if not isinstance(value_node, SequenceNode) else _line(key_node)
            if isinstance(value_node, SequenceNode):
                item_lines[key] = [_line(n) for n in value_node.value]
        raws.append(_Raw(kind, file, _line(item), values, key_lines, item_lines))
    return raws


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return f"scalar ({node.value!r})" if isinstance(node, ScalarNode) else "node"


# ---- validation ------------------------------------------------------------------------------
def _error(raw: _Raw, reason: str, key: str | None = None, index: int | None = None) -> RegistryError:
    line = raw.at(key, index) if key else raw.line
    ident = raw.values.get("id")
    where = f"{raw.kind} '{ident}': " if isinstance(ident, str) and ident else f"{raw.kind} entry: "
    return RegistryError(where + reason, raw.file, line)


def _string(raw: _Raw, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(raw, f"'{key}' must be a non-empty string, got {_show(value)}", key)
    return value.strip()


def _show(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _string_list(raw: _Raw, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        raise _error(raw, f"'{key}' must be a list (write '{key}: [\"{value}\"]' or one '- ' line per item)", key)
    if not isinstance(value, list):
        raise _error(raw, f"'{key}' must be a list of strings, got {_show(value)}", key)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _error(raw, f"item {i + 1} of '{key}' must be a non-empty string, got {_show(item)}", key, i)
        out.append(item.strip())
    return out


def _normalise(raw: _Raw) -> dict[str, Any]:
    """Check every key of one entry and return its normalised data."""
    kind = raw.kind
    allowed = COMMON_KEYS + KIND_KEYS[kind]
    for key in raw.values:
        if key not in allowed:
            raise _error(raw, f"unknown key '{key}' for a {kind} entry (allowed: {', '.join(allowed)})", key)
    for key in REQUIRED_KEYS[kind]:
        if raw.values.get(key) is None:
            raise _error(raw, f"missing required key '{key}'", key if key in raw.values else None)
    data: dict[str, Any] = {}
    for key, value in raw.values.items():
        if value is None:
            raise _error(raw, f"'{key}' is empty; remove the key or give it a value", key)
        if key in ("aliases", "predecessors"):
            data[key] = _string_list(raw, key, value)
        elif key == "edition_year":
            if isinstance(value, bool) or not isinstance(value, int) or not 1800 <= value <= 2200:
                raise _error(raw, f"'edition_year' must be a year such as 2024, got {_show(value)}", key)
            data[key] = value
        elif key == "decision_date":
            data[key] = _decision_date(raw, value)
        else:
            data[key] = _string(raw, key, value)
    ident = data["id"]
    if not ID_PATTERN.match(ident):
        raise _error(raw, f"id '{ident}' must be a lower-case slug: letters a-z, digits and '-' "
                          "(^[a-z0-9][a-z0-9-]*$)", "id")
    if kind in TYPES and data["type"] not in TYPES[kind]:
        raise _error(raw, f"type '{data['type']}' is not one of: {', '.join(TYPES[kind])}", "type")
    if "series" in data and not SLUG_PATTERN.match(data["series"]):
        raise _error(raw, f"series '{data['series']}' must be a lower-case slug", "series")
    for key, value in data.items():
        for i, text in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(text, str) and _FIGURE.search(nfkc(text)):
                raise _error(raw, f"'{key}' contains an amount of money ({text!r}); the registry holds "
                                  "identity only, figures belong to the documents", key,
                             i if isinstance(value, list) else None)
    return data


def _decision_date(raw: _Raw, value: Any) -> str:
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date | str):
        raise _error(raw, f"'decision_date' must be YYYY-MM-DD or YYYY-MM, got {_show(value)}", "decision_date")
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = value.strip()
    m = _DATE_DAY.match(text)
    try:
        if m:
            _dt.date(int(m[1]), int(m[2]), int(m[3]))
            return text
        m = _DATE_MONTH.match(text)
        if m and 1 <= int(m[2]) <= 12:
            return text
    except ValueError:
        pass
    raise _error(raw, f"'decision_date' {text!r} is not a valid date (YYYY-MM-DD or YYYY-MM)", "decision_date")


def _build_entries(kind: str, raws: list[_Raw]) -> tuple[dict[str, Entry], dict[str, _Raw]]:
    entries: dict[str, Entry] = {}
    by_id: dict[str, _Raw] = {}
    for raw in raws:
        data = _normalise(raw)
        ident = data["id"]
        if ident in by_id:
            first = by_id[ident]
            raise _error(raw, f"duplicate id '{ident}' (first defined at line {first.line})", "id")
        raw.values = data
        by_id[ident] = raw
        entries[ident] = Entry(kind, ident, data["name_ja"], data["name_en"], tuple(data.get("aliases", ())),
                               data, raw.file, raw.line)
    return entries, by_id


def _check_references(raw: _Raw, by_id: dict[str, dict[str, _Raw]]) -> None:
    for (kind, key), target in REFERENCES.items():
        if kind != raw.kind or key not in raw.values:
            continue
        value = raw.values[key]
        for i, ref in enumerate(value if isinstance(value, list) else [value]):
            if ref not in by_id[target]:
                raise _error(raw, f"'{key}' points to unknown {target} id '{ref}' (not in {FILES[target]})",
                             key, i if isinstance(value, list) else None)


def _links(raw: _Raw, key: str) -> list[str]:
    value = raw.values.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_chains(kind: str, raws: list[_Raw], by_id: dict[str, _Raw]) -> None:
    """No entry may reach itself through parent / predecessors / previous_edition links.

    A cycle is reported at the link of its member that comes first in the file.
    """
    for key in CHAINS.get(kind, ()):
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for raw in raws:
            start = raw.values["id"]
            if start in state:
                continue
            path = [start]
            stack = [iter(_links(by_id[start], key))]
            state[start] = 1
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    state[path.pop()] = 2
                    stack.pop()
                    continue
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):]
                    _raise_cycle(key, cycle, by_id)
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(_links(by_id[nxt], key)))


def _raise_cycle(key: str, cycle: list[str], by_id: dict[str, _Raw]) -> None:
    first = min(range(len(cycle)), key=lambda i: by_id[cycle[i]].line)
    ordered = cycle[first:] + cycle[:first]
    raw = by_id[ordered[0]]
    target = ordered[1] if len(ordered) > 1 else ordered[0]
    links = _links(raw, key)
    index = links.index(target) if isinstance(raw.values.get(key), list) else None
    raise _error(raw, f"cycle in '{key}': {' → '.join(ordered + [ordered[0]])}", key, index)


def _check_editions(raws: list[_Raw], by_id: dict[str, _Raw]) -> None:
    """A previous edition belongs to the same series and is older."""
    for raw in raws:
        prev_id = raw.values.get("previous_edition")
        if prev_id is None:
            continue
        prev = by_id[prev_id].values
        data = raw.values
        if "series" in data and "series" in prev and data["series"] != prev["series"]:
            raise _error(raw, f"previous_edition '{prev_id}' is in series '{prev['series']}', not "
                              f"'{data['series']}'", "previous_edition")
        if "edition_year" in data and "edition_year" in prev and prev["edition_year"] >= data["edition_year"]:
            raise _error(raw, f"previous_edition '{prev_id}' ({prev['edition_year']}) is not older than this "
                              f"edition ({data['edition_year']})", "previous_edition")
        a, b = prev.get("decision_date"), data.get("decision_date")
        if a and b:
            n = min(len(a), len(b))
            if a[:n] > b[:n]:
                raise _error(raw, f"previous_edition '{prev_id}' was decided after this edition ({a} > {b})",
                             "previous_edition")


def _build_index(kind: str, raws: list[_Raw], entries: dict[str, Entry]) -> dict[str, Entry]:
    """name_key → entry for every name, id, short name and alias; a key may name one entry only."""
    index: dict[str, Entry] = {}
    origin: dict[str, tuple[str, int]] = {}
    for raw in raws:
        entry = entries[raw.values["id"]]
        for label, text, line in _names(raw):
            key = name_key(text)
            if not key:
                raise RegistryError(f"{kind} '{entry.id}': {label} {text!r} has nothing to match on "
                                    "(only spaces, quotes or dashes)", raw.file, line)
            other = index.get(key)
            if other is not None and other.id != entry.id:
                first_label, first_line = origin[key]
                raise RegistryError(
                    f"{kind} '{entry.id}': {label} {text!r} is ambiguous, it also names {kind} '{other.id}' "
                    f"({first_label} at line {first_line}); a printed name may identify one entry only",
                    raw.file, line)
            if other is None:
                index[key] = entry
                origin[key] = (label, line)
    return index


def _names(raw: _Raw) -> Iterator[tuple[str, str, int]]:
    """(label, text, line) of every name an entry answers to."""
    data = raw.values
    for key in ("name_ja", "name_en", "id", "short_name"):
        if key in data:
            yield key, data[key], raw.at(key)
    for i, alias in enumerate(data.get("aliases", ())):
        yield "alias", alias, raw.at("aliases", i)


def _edition_stems(strategies: dict[str, Entry]) -> dict[str, set[str]]:
    """Series name without its year ("統合イノベーション戦略") → the ids of its editions."""
    stems: dict[str, set[str]] = {}
    for entry in strategies.values():
        if not entry.get("series"):
            continue
        for text in (entry.name_ja, *entry.aliases):
            key = name_key(text)
            stem = _EDITION_SUFFIX.sub("", key)
            if stem and stem != key:
                stems.setdefault(stem, set()).add(entry.id)
    return stems


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


__all__ = ["Entry", "Registry", "KINDS", "FILES", "TYPES"]
