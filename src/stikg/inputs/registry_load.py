"""Reading and checking the registry's four YAML files into :class:`Entry` tables.

``mappings/registry/`` holds four YAML files, each a list of mappings (one entry per line of
identity, never a figure): ``strategies.yaml``, ``organizations.yaml``, ``programs.yaml`` and
``hubs.yaml``. :func:`read_registry` reads them with ``yaml.safe_load`` semantics but keeps the
line of every entry and key, so each problem is a :class:`~stikg.core.errors.RegistryError` naming the
file and the line: an unknown key, a missing ``id``/``name_ja``/``name_en``, a malformed id, a
duplicate id, two entries claiming the same printed name, a reference to an unknown id, a cycle
in a ``parent``/``predecessors``/``previous_edition`` chain, a bad date or an unknown ``type``.
What it returns is what :class:`stikg.inputs.registry.Registry` resolves names against.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
_EDITION_SUFFIX = re.compile(r"(?:19|20)\d{2}(?:年)?(?:改訂版)?\Z")  # a series edition's year ("…戦略2024")


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

def read_registry(directory: Path) -> tuple[dict[str, dict[str, Entry]], dict[str, dict[str, Entry]],
                                            dict[str, set[str]]]:
    """Read and validate the four YAML files of ``directory``: per kind the entries by id and the
    name-key index, and the strategy series stems; raise RegistryError on a defect."""
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
    return entries, index, stems


# ---- reading -----------------------------------------------------------------------------------
def check_kind(kind: str) -> str:
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
