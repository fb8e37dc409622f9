"""core: see docs/ARCHITECTURE.md."""
