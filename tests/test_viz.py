"""The lineage page and SVG (stikg.web.lineage_page) without a browser: self-contained, data escaped, CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil

import pytest

from stikg import lineage as L
from stikg.web import lineage_page as viz

BASE = "https://w3id.org/stikg/"
HOSTILE = {
    "strategy": "<script>window.pwned=1</script>",
    "program": '<img src=x onerror="window.pwned=2">',
    "agency": "</script><script>window.pwned=3</script>",
    "en": '"><svg onload=window.pwned=4>',
    "quote": "<b onmouseover=window.pwned=5>&amp; 要求額</b>\u2028",
}


def hostile_lineage() -> L.LineageData:
    """A small lineage whose labels, aliases, quotes and document names are markup."""
    d = L.LineageData()
    s, p, q, o, h = (BASE + "strategy/evil", BASE + "program/evil", BASE + "program/plain",
                     BASE + "organization/evil", BASE + "hub/evil")
    d.entities[s] = L.Entity(s, "strategy", HOSTILE["strategy"], HOSTILE["en"], ("<i>alias</i>",), "strategy", 2024)
    d.entities[p] = L.Entity(p, "program", HOSTILE["program"], HOSTILE["en"])
    d.entities[q] = L.Entity(q, "program", "普通の事業", "A plain program")
    d.entities[o] = L.Entity(o, "organization", HOSTILE["agency"], "", (), "funding_agency")
    d.entities[h] = L.Entity(h, "hub", "<u>hub</u>", "")
    doc = 'x"><script>window.pwned=6</script>.txt'
    d.citations = [L.CitationRow(p, s, doc, 3), L.CitationRow(q, s, "000_plain.txt", 4)]
    d.amounts = [L.Amount(p, 2025, "request", 12_300_000_000, False, doc, 5),
                 L.Amount(p, 2024, "budget", 11_000_000_000, False, doc, 6),
                 L.Amount(q, 2025, "request", 1_000_000_000, False, "000_plain.txt", 7)]
    d.roles = [L.RoleRow(p, o, "funding_agency", doc, 8)]
    d.flows = [L.FlowRow(p, o, o, "<委託>", doc, 9)]
    d.hubs = [L.HubRow(h, o, p)]
    d.quotes = {(doc, 3): HOSTILE["quote"], (doc, 5): "123億円 <script>window.pwned=7</script>",
                (doc, 6): "110億円", (doc, 8): "AMED", (doc, 9): "委託", ("000_plain.txt", 4): "引用",
                ("000_plain.txt", 7): "10億円"}
    return L.normalise(d)


def inline_scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, flags=re.S)


def test_embed_json_cannot_close_its_element():
    text = viz.embed_json({"a": "</script><!-- & \u2028 \u2029 >"})
    assert not set("<>&") & set(text) and "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029 >"}


def test_page_is_self_contained_and_hostile_text_stays_data():
    page = viz.render_html(hostile_lineage())
    for raw in (*HOSTILE.values(), "<script>window.pwned=6</script>", "<i>alias</i>", "<u>hub</u>"):
        assert raw not in page
    data_json = page.split('<script type="application/json" id="lineage-data">', 1)[1].split("</script>", 1)[0]
    payload = json.loads(data_json)
    assert {n.get("ja") for n in payload["nodes"]} >= {HOSTILE["strategy"], HOSTILE["program"], HOSTILE["agency"]}
    skeleton = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert "src=" not in skeleton and "<link" not in skeleton and "@import" not in skeleton
    assert "http://" not in skeleton and "https://" not in skeleton
    assert len(inline_scripts(page)) == len(viz.VENDOR_SCRIPTS) + 1 and page.count('<script type="application/json" id="lineage-data">') == 1
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src &#x27;none&#x27;" in csp and "unsafe-inline&#x27;; img" in csp  # only for styles
    for script in inline_scripts(page):
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        assert f"sha256-{digest}" in csp


def test_page_data_matches_the_graph():
    data = L.synthetic_lineage(400, seed=3)
    g = L.build_graph(data)
    payload = viz.page_data(data, L.Filters(strategy="戦略1-2021"))
    assert len(payload["nodes"]) == g.number_of_nodes() and len(payload["edges"]) == g.number_of_edges()
    assert payload["initial"]["strategies"] == ["strategy/s6"] and not payload["initial"]["errors"]
    assert payload["meta"]["base"] == BASE
    bad = viz.page_data(data, L.Filters(strategy="nope"))
    assert bad["initial"]["errors"][0].startswith("no strategy matches 'nope'; known strategies: ")


def test_vendored_scripts_are_recorded():
    vendor = (viz.resources.files("stikg.web") / "static" / "vendor" / "VENDOR.md").read_text(encoding="utf-8")
    for rel in viz.VENDOR_SCRIPTS:
        folder = rel.split("/")[2]
        name, version = folder.rsplit("-", 1)
        assert f"| {name} | {version}" in vendor
        assert (viz.resources.files("stikg.web") / "static" / "vendor" / folder / "LICENSE").is_file()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (Debian package graphviz)")
def test_svg_escapes_labels_and_draws_the_filtered_lineage():
    data = hostile_lineage()
    svg = viz.render_svg(data)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in svg
    small = viz.render_svg(L.synthetic_lineage(300, seed=1), L.Filters(strategy="strategy/s0"))
    assert small.count('class="node"') < 300
    with pytest.raises(L.LineageError, match="no strategy matches"):
        viz.render_svg(data, L.Filters(strategy="nope"))


def test_dot_strings_are_escaped():
    assert viz._dot_string('a"b\\c\nd') == '"a\\"b\\\\c d"'
