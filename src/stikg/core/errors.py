"""User-facing errors: each names the file, the line (when known) and the reason."""

from __future__ import annotations

from pathlib import Path


class StikgError(Exception):
    """An error the CLI reports as one clear message (never a traceback)."""

    exit_code = 2

    def __init__(self, reason: str, file: str | Path | None = None, line: int | None = None):
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.message)

    def __reduce__(self):
        # keep file and line when the error crosses a process boundary (pickled by a worker)
        return (self.__class__, (self.reason, self.file, self.line))

    @property
    def message(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        return where + self.reason


class CorpusError(StikgError):
    """A source document or the catalog is missing, unreadable or malformed."""


class RegistryError(StikgError):
    """A registry YAML entry is malformed."""


class ValidationFailed(StikgError):
    """The built graph has SHACL violations."""

    exit_code = 1
