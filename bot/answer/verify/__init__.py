"""Check every quotation in a model's answer against the excerpts it was shown.

A model will happily "quote" words nobody said, or pin a real quote on the wrong excerpt. Readers
trust quotation marks, so each quote is searched for in the excerpts (the cited ones first) and
the answer is rewritten before anyone sees it: misattributed markers are corrected and quotes that
appear nowhere are removed or visibly marked. A verified quote is resolved to the exact span of
the source file, the timestamp of the segment where it starts, and its speaker.

One module per step: ``normalize`` (one spelling, with an offset map), ``quotes`` (what the reply
presents as someone's words), ``passage`` (a quote searched for in one excerpt), ``attribution``
(who the reply says said it), ``check`` (the verdict per quote) and ``rewrite`` (the reply
edited to match). This package re-exports their public names, so callers import from
``bot.answer.verify``.
"""

from bot.answer.verify.check import MAX_QUOTES, QuoteCheck, verify_quotes
from bot.answer.verify.normalize import normalize_for_match
from bot.answer.verify.quotes import (
    QuoteKind,
    QuoteRef,
    extract_quotes,
    open_quote_start,
    quotation_spans,
)
from bot.answer.verify.rewrite import apply_checks

__all__ = [
    "MAX_QUOTES",
    "QuoteCheck",
    "QuoteKind",
    "QuoteRef",
    "apply_checks",
    "extract_quotes",
    "normalize_for_match",
    "open_quote_start",
    "quotation_spans",
    "verify_quotes",
]
