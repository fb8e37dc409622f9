"""rdf: see docs/ARCHITECTURE.md."""
