"""Which registered programs a page mentions, and whether one clearly dominates.

A page that neither a title nor the summary list names is about the registered program it
mentions on clearly more lines than any other (:func:`dominant_program`); a line names a program
by its name, alias or short name (:func:`registry_mentions`: longest names first, a Latin name
only as a whole word, an upper-case short name only in upper case).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from stikg.core.text import _NOISE, nfkc
from stikg.extract.document import Doc, key
from stikg.inputs.registry_load import Entry

# Registry dominance: the winner is on at least _MIN_LINES lines of the page, at least twice as many as
# any unrelated program and _MARGIN more; it yields to one of its sub-programs holding _SUB_SHARE of them.
_MIN_LINES = 2
_MARGIN = 2
_SUB_SHARE = 0.75


@runtime_checkable
class ProgramRegistry(Protocol):
    """What dominance needs of a registry beyond resolving names: its programs and their parents
    (:class:`stikg.inputs.registry.Registry`; resolve-only test doubles are not one)."""

    def entries(self, kind: str) -> list[Entry]: ...

    def get(self, kind: str, id: str) -> Entry: ...


def ascii_glued(k: str, i: int, j: int) -> bool:
    """Is the match k[i:j] part of a longer Latin word or number (``LEAP`` in ``Q-LEAP``)?"""
    def word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()
    return (word(k[i]) and i > 0 and word(k[i - 1])) or (word(k[j - 1]) and j < len(k) and word(k[j]))


# ---- registry dominance

_REGISTRY_NAMES: dict[int, tuple[ProgramRegistry, list[tuple[str, Entry]]]] = {}


def _program_names(registry: ProgramRegistry) -> list[tuple[str, Entry]]:
    """(name key, entry) of every program name, alias and short name, longest first (cached)."""
    cached = _REGISTRY_NAMES.get(id(registry))
    if cached is not None and cached[0] is registry:
        return cached[1]
    names: list[tuple[str, Entry]] = []
    for entry in registry.entries("program"):
        texts = {entry.name_ja, entry.name_en, entry.get("short_name") or "", *entry.aliases}
        for text in texts:
            k = key(text)
            if len(k) >= 3:
                names.append((k, entry))
    names.sort(key=lambda x: (-len(x[0]), x[0], x[1].id))
    _REGISTRY_NAMES.clear()
    _REGISTRY_NAMES[id(registry)] = (registry, names)
    return names


def registry_mentions(text: str, registry: ProgramRegistry) -> set[str]:
    """Ids of the registered programs a line names (longest names first, no overlaps, a Latin name
    only as a whole word, an upper-case short name such as PRIME or FORCE only in upper case)."""
    k = key(text)
    if not k:
        return set()
    cased = _cased_key(text)
    if len(cased) != len(k):
        cased = ""
    used = [False] * len(k)
    out = set()
    for nk, entry in _program_names(registry):
        at = k.find(nk)
        while at >= 0:
            end = at + len(nk)
            if (
                not any(used[at:end])
                and not ascii_glued(k, at, end)
                and not (cased and nk.isascii() and cased[at:end] != nk and cased[at:end].lower() == nk
                         and not _cased_name(nk, entry, cased[at:end]))
            ):
                used[at:end] = [True] * len(nk)
                out.add(entry.id)
            at = k.find(nk, at + 1)
    return out


def _cased_key(text: str) -> str:
    """:func:`key` without lower-casing (same length as the key for ordinary text)."""
    return _NOISE.sub("", nfkc(text))


def _cased_name(nk: str, entry: Entry, printed: str) -> bool:
    """Is ``printed`` (a Latin match of name key ``nk``) written as one of the entry's names is?
    ("Prime" is not PRIME, "force" is not FORCE.)"""
    for text in (entry.name_ja, entry.name_en, entry.get("short_name") or "", *entry.aliases):
        if key(text) == nk and _cased_key(text) == printed:
            return True
    return False


def registry_program(doc: Doc, p: int) -> str | None:
    """The name of the registered program clearly dominant on page ``p``, or None (also when the
    document's registry can only resolve names)."""
    reg = doc.registry
    if not isinstance(reg, ProgramRegistry):
        return None
    page = doc.pages[p]
    lines_of: dict[str, set[int]] = {}
    for i in range(page.start, page.end):
        if doc.lines[i].blank:
            continue
        for pid in registry_mentions(doc.lines[i].text, reg):
            for anc in _ancestors(reg, pid):  # a sub-program's line is also its parent's
                lines_of.setdefault(anc, set()).add(i)
    winner = dominant_program({pid: len(ls) for pid, ls in lines_of.items()}, lambda pid: _ancestors(reg, pid))
    return reg.get("program", winner).name_ja if winner else None


def _ancestors(reg: ProgramRegistry, pid: str) -> list[str]:
    out: list[str] = []
    current: str | None = pid
    while current and current not in out:
        out.append(current)
        current = reg.get("program", current).get("parent")
    return out


def dominant_program(counts: dict[str, int], ancestors: Callable[[str], list[str]]) -> str | None:
    """The clearly dominant program of ``counts`` (program id → lines naming it or a sub-program;
    ``ancestors(id)`` = the id and its parents): the top count, at least ``_MIN_LINES``, twice and
    ``_MARGIN`` more than any program outside its family; then the sub-program that holds most of
    its lines, if one does as clearly."""
    if not counts:
        return None
    roots = [pid for pid in counts if not any(a in counts for a in ancestors(pid)[1:])]
    ranked = sorted(roots, key=lambda pid: (-counts[pid], pid))
    best = ranked[0]
    second = counts[ranked[1]] if len(ranked) > 1 else 0
    if not _clearly(counts[best], second):
        return None
    while True:
        children = sorted((pid for pid in counts if ancestors(pid)[1:2] == [best]), key=lambda pid: (-counts[pid], pid))
        if not children:
            return best
        top = children[0]
        runner = counts[children[1]] if len(children) > 1 else 0
        if counts[top] < _SUB_SHARE * counts[best] or not _clearly(counts[top], runner):
            return best
        best = top


def _clearly(count: int, second: int) -> bool:
    return count >= _MIN_LINES and count >= 2 * second and count - second >= _MARGIN
