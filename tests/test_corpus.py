"""The corpus catalog and strict document reading: every problem names its file and line."""

from __future__ import annotations

import pytest

from stikg.core.errors import CorpusError
from stikg.inputs.corpus import KINDS, load_catalog, load_corpus, read_document_lines


def test_catalog_describes_every_document(root):
    docs = load_corpus(root / "sources")
    assert [d.entry.id for d in docs] == sorted(p.name for p in (root / "sources").glob("*.txt"))
    assert len(docs) == 13  # 5 MEXT PDF texts + 8 partial web copies (MEXT, MOF, MHLW)
    for d in docs:
        e = d.entry
        assert e.title_ja and e.title_en and e.issuer and e.origin
        assert e.kind in set(KINDS)
        assert 2000 < e.fiscal_year < 2100


def test_sources_are_byte_identical_to_shared_corpus(root):
    shared = root.parent / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("../shared/sources is not beside this checkout")
    for path in sorted(shared.glob("*.txt")):
        assert (root / "sources" / path.name).read_bytes() == path.read_bytes()


def test_document_without_catalog_entry_is_named(project):
    (project / "sources" / "999_new.txt").write_text("令和7年度要求・要望額 1億円\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corpus(project / "sources")
    assert "999_new.txt" in err.value.message and "catalog" in err.value.message


def test_catalog_entry_without_file_names_catalog_line(project):
    (project / "sources" / "004_65ec10f6b195d526.txt").unlink()
    with pytest.raises(CorpusError) as err:
        load_corpus(project / "sources")
    assert err.value.file.endswith("catalog.yaml") and err.value.line and err.value.line > 1


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        ("kind: budget_request", "kind 'budget_plan' is not one of"),
        ("fiscal_year: 2025", "fiscal_year 'FY25' is not a year"),
    ],
)
def test_malformed_catalog_entry(project, replace, expected):
    catalog = project / "sources" / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    bad = {"kind: budget_request": "kind: budget_plan", "fiscal_year: 2025": "fiscal_year: FY25"}[replace]
    catalog.write_text(text.replace(replace, bad, 1), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_catalog(catalog)
    assert expected in err.value.message
    lines = catalog.read_text(encoding="utf-8").splitlines()
    # the reported line is the start of the offending entry, which holds the bad value below it
    entry_start = err.value.line
    assert "- id:" in lines[entry_start - 1]


def test_invalid_yaml_names_line(project):
    catalog = project / "sources" / "catalog.yaml"
    catalog.write_text("documents:\n  - id: a.txt\n    title_ja: [unclosed\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_catalog(catalog)
    assert err.value.line is not None and "YAML" in err.value.message


def test_wrong_encoding_names_line(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes("一行目\n二行目\n".encode() + "三行目".encode("shift_jis") + b"\n")
    with pytest.raises(CorpusError) as err:
        read_document_lines(path)
    assert err.value.line == 3 and "UTF-8" in err.value.message


def test_control_character_names_line(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("ok\nbad \x07 bell\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_document_lines(path)
    assert err.value.line == 2 and "U+0007" in err.value.message


def test_line_numbers_are_one_based_and_crlf_safe(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes("a\r\nb\u2028still b\r\nc".encode())
    lines, _ = read_document_lines(path)
    assert lines == ["a", "b\u2028still b", "c"]
