"""web: see docs/ARCHITECTURE.md."""
