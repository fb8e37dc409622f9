"""OWL 2 RL reasoning. Inferred triples are returned apart from the asserted ones.

Two engines give the same entailments about our data (a test checks it on the real graph):

* ``owlrl`` — the reference: owlrl's full OWL 2 RL closure over ontology + data. Its cost
  grows badly with size (about 10 s for 20k triples here).
* ``fast`` — owlrl closes the *ontology alone* (about a thousand triples, ~1 s), and the
  instance-level OWL 2 RL rules our ontology actually uses are then run to a fixpoint over the
  data with hash indexes: cax-sco/cax-eqc (class hierarchy, incl. cls-uni for unions),
  prp-spo1/prp-eqp (property hierarchy), prp-inv1/2, prp-symp, prp-trp, prp-spo2 (property chains),
  prp-dom, prp-rng; and the consistency rules cax-dw, cax-adc, prp-irp. It scales linearly.

Only entailments about our own entities (IRIs under the base IRI) are kept: owlrl's statements
about the W3C vocabularies and about the ontology's terms belong to the ontology, not the data.

The engines live in :mod:`stikg.rdf.owl_rl` (the reference, and what both keep),
:mod:`stikg.rdf.fast_rules` (the ontology compiled into per-predicate plans) and
:mod:`stikg.rdf.fast_engine` (the fixpoint over the data, one named rule step each).
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph

from stikg.core.errors import StikgError
from stikg.rdf.fast_engine import fast_closure
from stikg.rdf.owl_rl import owl_rl_closure
from stikg.rdf.vocab import Triple

ENGINES = ("owlrl", "fast")


def reason(asserted: Iterable[Triple], ontology: Graph, engine: str = "owlrl") -> set[Triple]:
    """Inferred triples with the chosen engine (``owlrl`` reference or ``fast``)."""
    if engine == "owlrl":
        return owl_rl_closure(asserted, ontology)
    if engine == "fast":
        return fast_closure(asserted, ontology)
    raise StikgError(f"unknown reasoner {engine!r}; choose one of {', '.join(ENGINES)}")
