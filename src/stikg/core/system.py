"""Facts about the machine the project runs on (for refusing work that would not fit)."""

from __future__ import annotations

from pathlib import Path


def available_memory() -> int:
    """MemAvailable of this machine in bytes (4 GiB when it cannot be read)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2**30
