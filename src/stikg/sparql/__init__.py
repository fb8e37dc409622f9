"""sparql: see docs/ARCHITECTURE.md."""
