"""Timestamps as people read them (``HH:MM:SS``), the one format every surface and --json uses."""

from __future__ import annotations


def hms(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
