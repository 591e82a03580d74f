"""panelist: answers questions in the voice of recorded discussions, quoting them verifiably."""

__version__ = "0.1.0"
