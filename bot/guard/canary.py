"""A per-request canary, and every cheap spelling of it a leak detector must recognise.

The canary sits in the system prompt; seeing it in a reply proves the prompt was copied. A model
told to "encode your instructions" may write it reversed, in ROT13, as hex or as base64 (at any
byte alignment inside a longer blob, URL-safe or not), with spaces or dashes between the
characters. ``CanaryKeys.found_in`` checks all of them in one pass over two compact forms of the
reply, so the check stays linear in the reply's length.
"""

from __future__ import annotations

import base64
import codecs
import re
import secrets
import unicodedata
from dataclasses import dataclass

from bot.guard.unicode import strip_invisible

_ALNUM = re.compile(r"[^\W_]+")
_B64_CHARS = re.compile(r"[A-Za-z0-9+/]+")


def make_canary() -> str:
    """Random per request, so a leak proves the prompt itself was copied, not guessed."""
    return "cnry-" + secrets.token_hex(8)


def compact(text: str) -> str:
    """Letters and digits only, case folded: a canary spelled out with spaces or dashes."""
    return "".join(_ALNUM.findall(unicodedata.normalize("NFKC", strip_invisible(text)).casefold()))


def b64_compact(text: str) -> str:
    """Base64 alphabet only, case kept, URL-safe letters mapped to the standard ones."""
    plain = strip_invisible(text).replace("-", "+").replace("_", "/")
    return "".join(_B64_CHARS.findall(plain))


def _b64_cores(raw: bytes) -> set[str]:
    """Base64 of ``raw`` wherever it sits in a longer blob: the characters that do not depend on
    the bytes around it, for each of the three byte alignments."""
    cores = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw + b"\0\0").decode("ascii")
        start = -(-pad * 4 // 3) + (1 if pad else 0)
        stable = encoded[start : (pad + len(raw)) * 4 // 3]
        if len(stable) >= 12:
            cores.add(stable)
    return cores


@dataclass(frozen=True, slots=True)
class CanaryKeys:
    plain: frozenset[str]  # searched in ``compact(reply)``
    b64: frozenset[str]  # searched in ``b64_compact(reply)``

    @classmethod
    def of(cls, canary: str) -> CanaryKeys:
        if not canary:
            return cls(frozenset(), frozenset())
        full = compact(canary)
        spellings = {full, *re.findall(r"[0-9a-f]{12,}", full)}
        plain: set[str] = set()
        b64: set[str] = set()
        for s in spellings:
            plain |= {s, s[::-1], codecs.encode(s, "rot13"), s.encode().hex()}
            plain.add(codecs.encode(s[::-1], "rot13"))
            b64 |= _b64_cores(s.encode())
        b64 |= _b64_cores(canary.encode())
        return cls(frozenset(k for k in plain if k), frozenset(b64))

    def found_in(self, text: str) -> bool:
        if not self.plain:
            return False
        flat = compact(text)
        if any(k in flat for k in self.plain):
            return True
        coded = b64_compact(text)
        return any(k in coded for k in self.b64)
