"""lineage: see docs/ARCHITECTURE.md."""
