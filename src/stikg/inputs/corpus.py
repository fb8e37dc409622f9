"""The corpus: ``sources/catalog.yaml`` and the documents it describes.

The build reads documents only through the catalog. Every problem (a document without a catalog
entry, an entry without its file, a malformed entry, bytes that are not UTF-8, control
characters) is a :class:`CorpusError` naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stikg.core import yamlsafe
from stikg.core.errors import CorpusError

KINDS = ("budget_request", "draft_budget", "supplementary_budget", "objectives_change", "policy_briefing")
REQUIRED = ("id", "title_ja", "title_en", "issuer", "date", "fiscal_year", "kind", "origin")
# partial_text: the file holds only excerpts of the publication (a web copy); source_url: the original
# publication's page (公開元URL); copy_urls: where the text was copied from
OPTIONAL = ("issuer_org", "note", "title", "partial_text", "source_url", "copy_urls")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.txt$")
# C0/C1 control characters other than TAB, LF, CR; also U+FFFD (a decoder's replacement mark).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


@dataclass(frozen=True)
class CatalogEntry:
    """One document's description in the catalog."""

    id: str
    title_ja: str
    title_en: str
    issuer: str
    date: str
    fiscal_year: int
    kind: str
    origin: str
    issuer_org: str | None = None
    note: str | None = None
    partial_text: bool = False
    source_url: str | None = None
    copy_urls: tuple[str, ...] = ()
    line: int = 0

    @property
    def stem(self) -> str:
        return self.id.removesuffix(".txt")


@dataclass(frozen=True)
class Document:
    """A corpus document: its catalog entry, its lines (without line ends) and content hash."""

    entry: CatalogEntry
    path: Path
    lines: tuple[str, ...] = field(repr=False)
    sha256: str = ""


def load_catalog(path: Path) -> list[CatalogEntry]:
    """Parse and validate ``catalog.yaml``; entries sorted by id."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError("catalog not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read catalog: {exc}", path) from None
    root = yamlsafe.compose(text, path, CorpusError)
    docs_node = _mapping_value(root, "documents")
    if docs_node is None or not isinstance(docs_node, yaml.SequenceNode):
        raise CorpusError("expected a top-level 'documents:' list", path, 1)
    entries: list[CatalogEntry] = []
    seen: dict[str, int] = {}
    for node in docs_node.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise CorpusError("each document must be a mapping of keys", path, line)
        data = _construct(node, path)
        unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise CorpusError(f"unknown key(s) {', '.join(unknown)}", path, line)
        missing = [k for k in REQUIRED if data.get(k) in (None, "")]
        if missing:
            raise CorpusError(f"document entry lacks {', '.join(missing)}", path, line)
        doc_id = str(data["id"])
        if not _ID.match(doc_id):
            raise CorpusError(f"id {doc_id!r} must be a .txt file name", path, line)
        if doc_id in seen:
            raise CorpusError(f"duplicate id {doc_id} (first at line {seen[doc_id]})", path, line)
        seen[doc_id] = line
        date = str(data["date"])
        if not _DATE.match(date):
            raise CorpusError(f"date {date!r} must be YYYY, YYYY-MM or YYYY-MM-DD", path, line)
        try:
            fiscal_year = int(data["fiscal_year"])
        except (TypeError, ValueError):
            raise CorpusError(f"fiscal_year {data['fiscal_year']!r} is not a year", path, line) from None
        if not 1900 < fiscal_year < 2200:
            raise CorpusError(f"fiscal_year {fiscal_year} is out of range", path, line)
        if data["kind"] not in KINDS:
            raise CorpusError(f"kind {data['kind']!r} is not one of {', '.join(KINDS)}", path, line)
        entries.append(CatalogEntry(
            id=doc_id, title_ja=str(data["title_ja"]), title_en=str(data["title_en"]),
            issuer=str(data["issuer"]), date=date, fiscal_year=fiscal_year, kind=str(data["kind"]),
            origin=str(data["origin"]), issuer_org=data.get("issuer_org"), note=data.get("note"),
            partial_text=bool(data.get("partial_text", False)), source_url=data.get("source_url"),
            copy_urls=tuple(str(u) for u in (data.get("copy_urls") or ())),
            line=line,
        ))
    return sorted(entries, key=lambda e: e.id)


def read_document_lines(path: Path) -> tuple[list[str], str]:
    """Read a text document strictly: UTF-8 (a BOM is allowed), no control characters.

    Returns the lines (1-based line N is ``lines[N-1]``) and the SHA-256 of the bytes.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError("document not found", path) from None
    except OSError as exc:
        raise CorpusError(f"cannot read document: {exc.strerror}", path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at_line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          path, at_line) from None
    # Only LF/CRLF/CR end a line (str.splitlines would also split on U+2028, FF, …).
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        bad = _CONTROL.search(line)
        if bad:
            raise CorpusError(f"control character U+{ord(bad.group()):04X} in the text", path, number)
    return lines, hashlib.sha256(data).hexdigest()


def load_corpus(sources: Path, catalog: Path | None = None) -> list[Document]:
    """Every catalogued document, read and checked; a .txt file without an entry is an error."""
    sources = Path(sources)
    catalog = catalog or sources / "catalog.yaml"
    entries = load_catalog(catalog)
    listed = {e.id for e in entries}
    for stray in sorted(p.name for p in sources.glob("*.txt")):
        if stray not in listed:
            raise CorpusError(
                "document has no entry in sources/catalog.yaml (add one, or use `stikg add`)",
                sources / stray)
    documents = []
    for entry in entries:
        path = sources / entry.id
        if not path.is_file():
            raise CorpusError(f"catalog entry names {entry.id}, which is not in {sources}", catalog,
                              entry.line)
        lines, digest = read_document_lines(path)
        documents.append(Document(entry=entry, path=path, lines=tuple(lines), sha256=digest))
    return documents


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key:
            return value_node
    return None


def _construct(node: yaml.MappingNode, path: Path) -> dict:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_mapping(node, deep=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        raise CorpusError(f"invalid value: {getattr(exc, 'problem', exc)}", path, mark.line + 1) from None
    finally:
        loader.dispose()
