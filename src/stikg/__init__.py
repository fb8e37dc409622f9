"""stikg — the STI Policy Knowledge Graph.

Turns the ministry's published documents (``sources/``) into an OWL-backed RDF graph with
line-level evidence, reasons over it (owlrl), validates it (pyshacl) and serves it.
"""

__version__ = "0.1.0"
