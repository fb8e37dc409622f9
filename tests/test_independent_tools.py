"""Independent tools read what we publish: Debian's `rapper` (Raptor 2), Apache Jena's `riot` and
SHACL validator, and a real Oxigraph server.

The tools come from Debian packages (scripts/install-system-deps.sh: raptor2-utils,
libapache-jena-java) and the oxigraph CLI from the test extras; a test is skipped, saying which
tool is missing, only when the tool is absent.

Running Jena from Debian's jars needs two work-arounds, both Debian packaging issues:

* ``/usr/share/java/*`` as a class path does not start: other packages put conflicting SLF4J
  bindings (log4j-over-slf4j and slf4j-log4j12) and a second Xerces there. :func:`jena_classpath`
  takes the jars of libapache-jena-java and its Java dependencies (from dpkg) with one SLF4J
  binding (slf4j-simple, so riot's parse errors, which are logged, reach stderr).
* Debian's jena-core relocates the shaded Xerces classes to ``xerces.*`` but leaves their message
  bundles under ``org/apache/jena/ext/xerces/…``; Xerces then fails building the XSD datatypes
  ("internal error" in XSSimpleTypeDecl.applyFacets1). We copy the bundles to the relocated
  package path in a temporary directory added to the class path.

JSON-LD: Raptor has no JSON-LD parser, and Jena 4.5's JSON-LD 1.1 parser (Titanium) needs a
Jakarta JSON-P *implementation*, which Debian 12 does not package (libjsonp2-java ships only the
API), so it fails with LOADING_DOCUMENT_FAILED on any document. Our JSON-LD uses only JSON-LD 1.0
features (prefix definitions, @graph), so it is validated with riot's JSON-LD 1.0 parser
(jsonld-java), ``--syntax=jsonld10``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from servers import oxigraph_process
from stikg.cli import main
from stikg.rdf.vocab import VOID

ROOT = Path(__file__).resolve().parents[1]
KG = ROOT / "kg"
RAPPER_SYNTAX = {"ttl": "turtle", "nt": "ntriples", "nq": "nquads", "trig": "trig"}
SLF4J_OTHER_BINDINGS = ("log4j-over-slf4j", "slf4j-log4j12", "slf4j-jcl", "slf4j-jdk14", "slf4j-nop",
                        "slf4j-migrator", "jul-to-slf4j", "jcl-over-slf4j", "maven3-slf4j-provider")

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")


# ------------------------------------------------------------------------------ the tools


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian package {package}; scripts/install-system-deps.sh)")
    return path


def debian_java_closure(package: str) -> list[str]:
    """Jars (unversioned names) of a Debian Java package and of its -java dependencies."""
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        depends = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", name], capture_output=True, text=True).stdout
        for alternative in depends.split(","):
            dep = alternative.split("|")[0].strip().split(" ")[0].split(":")[0]
            if dep.startswith("lib") and dep.endswith("-java"):
                todo.append(dep)
    jars: set[str] = set()
    for name in seen:
        listing = subprocess.run(["dpkg", "-L", name], capture_output=True, text=True).stdout.split()
        jars.update(f for f in listing if f.startswith("/usr/share/java/") and f.endswith(".jar")
                    and not re.search(r"-\d[\w.\-]*\.jar$", f))
    return sorted(jars)


@pytest.fixture(scope="session")
def jena(tmp_path_factory) -> list[str]:
    """``java -cp …`` for Debian's Jena 4.5 (see the module docstring for the work-arounds)."""
    java = need("java", "default-jre-headless")
    if not shutil.which("dpkg-query") or subprocess.run(["dpkg-query", "-W", "libapache-jena-java"],
                                                       capture_output=True).returncode != 0:
        pytest.skip("Apache Jena is not installed (Debian package libapache-jena-java)")
    jars = [j for j in debian_java_closure("libapache-jena-java")
            if not Path(j).stem.startswith(SLF4J_OTHER_BINDINGS)]
    bundles = tmp_path_factory.mktemp("jena-bundles")
    with zipfile.ZipFile("/usr/share/java/jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                target = bundles / name.removeprefix("org/apache/jena/ext/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return [java, "-cp", ":".join([*jars, str(bundles)])]


def run(cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for fmt in ("ttl", "nt", "nq", "trig", "jsonld"):
            assert main(["export", "--format", fmt, "--out", str(out / f"dataset.{fmt}")]) == 0
    finally:
        os.chdir(cwd)
    return {fmt: out / f"dataset.{fmt}" for fmt in ("ttl", "nt", "nq", "trig", "jsonld")}


@pytest.fixture(scope="module")
def counts() -> dict[str, int]:
    """Quads in kg/dataset.nq and distinct triples of their union."""
    lines = (KG / "dataset.nq").read_text(encoding="utf-8").splitlines()
    triples = {line.rsplit(" ", 2)[0] for line in lines}  # drop ' <graph> .'
    return {"quads": len(lines), "triples": len(triples)}


# ------------------------------------------------------------------------------- Raptor


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig"])
def test_rapper_parses_every_export(exports, counts, fmt):
    rapper = need("rapper", "raptor2-utils")
    proc = run([rapper, "-i", RAPPER_SYNTAX[fmt], "-c", str(exports[fmt])])
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower() and "warning" not in proc.stderr.lower(), proc.stderr
    found = int(re.search(r"returned (\d+) triples", proc.stderr).group(1))
    assert found == counts["quads" if fmt in ("nq", "trig") else "triples"]


def test_rapper_parses_the_published_turtle_files():
    rapper = need("rapper", "raptor2-utils")
    files = [KG / "stikg.ttl", KG / "void.ttl", KG / "shacl-report.ttl", *sorted((KG / "graphs").glob("*.ttl")),
             ROOT / "ontology" / "stikg.ttl"]
    for path in files:
        proc = run([rapper, "-i", "turtle", "-c", str(path)])
        assert proc.returncode == 0 and "error" not in proc.stderr.lower(), (path, proc.stderr)
        assert int(re.search(r"returned (\d+) triples", proc.stderr).group(1)) == len(Graph().parse(path)), path


# --------------------------------------------------------------------------------- Jena


def riot_counts(output: str) -> dict[str, int]:
    found = {}
    for name, number in re.findall(r"file://\S*/([^/\s]+) : (?:Triples|Quads) = ([\d,]+)", output):
        found[name] = int(number.replace(",", ""))
    return found


def test_riot_validates_every_export(jena, exports, counts):
    files = [exports[f] for f in ("ttl", "nt", "nq", "trig")]
    proc = run([*jena, "riotcmd.riot", "--validate", "--count", *map(str, files)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert " WARN " not in proc.stderr and " ERROR " not in proc.stderr, proc.stderr[-2000:]
    found = riot_counts(proc.stdout + proc.stderr)
    assert found == {"dataset.ttl": counts["triples"], "dataset.nt": counts["triples"],
                     "dataset.nq": counts["quads"], "dataset.trig": counts["quads"]}


def test_riot_validates_the_jsonld_export(jena, exports, counts):
    proc = run([*jena, "riotcmd.riot", "--syntax=jsonld10", "--validate", "--count", str(exports["jsonld"])])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert " WARN " not in proc.stderr and " ERROR " not in proc.stderr, proc.stderr[-2000:]
    assert riot_counts(proc.stdout + proc.stderr) == {"dataset.jsonld": counts["quads"]}


def test_riot_validates_the_published_files(jena):
    files = [KG / "stikg.ttl", KG / "void.ttl", KG / "dataset.trig", KG / "dataset.nq", ROOT / "ontology" / "stikg.ttl"]
    proc = run([*jena, "riotcmd.riot", "--validate", *map(str, files)])
    assert proc.returncode == 0 and " WARN " not in proc.stderr, proc.stderr[-2000:]
    proc = run([*jena, "riotcmd.riot", "--syntax=jsonld10", "--validate", str(KG / "dataset.jsonld"),
                str(KG / "context.jsonld")])
    assert proc.returncode == 0 and " WARN " not in proc.stderr, proc.stderr[-2000:]


# ------------------------------------------------------------------------------ Oxigraph


def sparql_count(endpoint: str, query: str) -> int:
    url = endpoint + "?" + urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = json.load(resp)
    return int(data["results"]["bindings"][0]["n"]["value"])


@pytest.mark.server
def test_oxigraph_server_loads_the_dump_with_the_same_counts(tmp_path, counts):
    with oxigraph_process(tmp_path / "oxigraph") as ox:
        body = (KG / "dataset.nq").read_bytes()
        req = urllib.request.Request(ox.graph_store, data=body, method="POST",
                                     headers={"Content-Type": "application/n-quads"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            assert resp.status in (200, 201, 204)
        assert sparql_count(ox.query, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == counts["quads"]
        assert sparql_count(ox.query, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                                      "WHERE { GRAPH ?g { ?s ?p ?o } } }") == counts["triples"]
        graphs = sparql_count(ox.query, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        void = Graph().parse(KG / "void.ttl", format="turtle")
        assert graphs == len(list(void.objects(None, VOID.subset)))


# --------------------------------------------------------------------------------- SHACL


def results(report: Graph) -> set[tuple[str, ...]]:
    out = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.add(tuple(str(report.value(r, p)) for p in (SH.focusNode, SH.resultPath, SH.resultSeverity,
                                                         SH.sourceShape, SH.sourceConstraintComponent, SH.value)))
    return out


@pytest.mark.slow
def test_jena_shacl_agrees_with_pyshacl(jena):
    """Jena's SHACL validator and pyshacl find the same results on kg/stikg.ttl.

    Compared: every result's focus node, path, severity, source shape, constraint component and
    value; on the built graph both find the same set (93 results at the time of writing: only
    warnings and infos, no violation), including the document-disagreement warnings of the
    SPARQL-based shape.

    The one difference is the ``sh:conforms`` flag, and it is a documented one, not a bug:
    SHACL says a report conforms only when it has no result at all, whatever the severity, so
    Jena writes ``sh:conforms false``. The build calls pyshacl with ``allow_warnings=True``, a
    pyshacl extension under which warnings and infos do not break conformance (our build fails
    on violations only). Called without it, pyshacl agrees with Jena; the test checks both.
    """
    import pyshacl

    shapes_file, data_file = ROOT / "shapes" / "stikg-shapes.ttl", KG / "stikg.ttl"
    proc = run([*jena, "shacl.shacl", "validate", "--shapes", str(shapes_file), "--data", str(data_file)], 600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    jena_report = Graph().parse(data=proc.stdout, format="turtle")
    data, shapes = Graph().parse(data_file), Graph().parse(shapes_file)
    lenient, py_report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                             allow_warnings=True)
    strict, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=False)
    jena_results, py_results = results(jena_report), results(py_report)
    assert jena_results == py_results, (sorted(jena_results - py_results)[:5], sorted(py_results - jena_results)[:5])
    severities = Counter(r[2].rsplit("#", 1)[-1] for r in jena_results)
    assert severities["Violation"] == 0
    jena_conforms = jena_report.value(next(jena_report.subjects(RDF.type, SH.ValidationReport)), SH.conforms)
    assert jena_conforms.toPython() is (not jena_results)
    assert strict is (not jena_results) and lenient is True
    # and the build's own report (pyshacl through stikg.rdf.validation) holds the same results
    built = Graph().parse(KG / "shacl-report.ttl", format="turtle")
    assert len(results(built)) == len(jena_results)
