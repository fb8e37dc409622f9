"""The source tree's shape: no import cycles, and no import that runs back up a layer.

Layers, bottom to top (docs/ARCHITECTURE.md): core → inputs → extract → rdf → sparql → build →
lineage → web → synth → commands → cli (the build writes kg/ and refreshes the store). A module may import its own layer and the layers below;
imports inside functions count too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "stikg"
LAYERS = ("core", "inputs", "extract", "rdf", "sparql", "build", "lineage", "web", "synth", "commands", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """The stikg modules ``path`` imports (``from stikg.pkg import mod`` names the module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("stikg"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stikg"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                out.add(candidate if candidate in known else node.module)
    return {m for m in out if m in known}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def import_graph() -> nx.DiGraph:
    found = modules()
    graph = nx.DiGraph()
    for name, path in found.items():
        graph.add_node(name)
        for target in imports(path, set(found)):
            if target != name and not name.startswith(target + "."):  # a package's own submodules
                graph.add_edge(name, target)
    return graph


def test_no_import_cycles():
    graph = import_graph()
    # a package __init__ re-exporting its modules is not a cycle of the modules themselves
    graph.remove_edges_from([(a, b) for a, b in list(graph.edges) if b.startswith(a + ".")])
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_import_runs_back_up_a_layer():
    graph = import_graph()
    wrong = []
    for source, target in graph.edges:
        a, b = layer(source), layer(target)
        if a is not None and b is not None and LAYERS.index(b) > LAYERS.index(a):
            wrong.append(f"{source} ({a}) imports {target} ({b})")
    assert not wrong, "\n".join(sorted(wrong))


def test_every_module_has_a_layer():
    unplaced = [m for m in modules() if m != "stikg" and layer(m) is None]
    assert not unplaced, unplaced
