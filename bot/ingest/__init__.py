"""Transcript files → segments (parse) → token-aware chunks (chunk)."""
