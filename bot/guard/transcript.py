"""Transcript-derived text on its way into a prompt: titles, labels, speaker names, chunk text.

A transcript (or its manifest) is written by someone we do not trust, and everything in it that
reaches the model could pose as the prompt's own structure. ``for_prompt`` removes what a human
reviewer cannot see (zero-width, bidi and tag characters: U+E0000..E007F mirror ASCII and smuggle
whole instructions) and defuses chat-template, role and boundary tokens of the common model
families into readable look-alikes, so quoting still works but no token can close our excerpt
block or open a new turn. Instruction-like text is not removed here (people quote attacks in
interviews); ``bot.ingest.flags`` flags it and the prompt builder labels it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.guard.unicode import strip_invisible

# A fixed number of patterns, each matching a bounded run, applied in turn: linear in the text.
_DEFUSE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # our own excerpt boundary markers
    (re.compile(r"<<<|>>>"), lambda m: "‹‹‹" if m.group() == "<<<" else "›››"),
    # ChatML, Llama 3, Phi, DeepSeek (fullwidth bars too): <|im_start|>, <|eot_id|>, <|system|>
    (re.compile(r"<[|｜][^|｜<>\n]{0,40}[|｜]>"), lambda m: "‹" + m.group()[2:-2] + "›"),
    # Llama 2 / Mistral: [INST] [/INST] [SYSTEM_PROMPT] [TOOL_CALLS], <<SYS>> <</SYS>>
    (
        re.compile(
            r"\[/?(?:INST|SYS|SYSTEM_PROMPT|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS)\]", re.I
        ),
        lambda m: "(" + m.group()[1:-1] + ")",
    ),
    (re.compile(r"</?SYS>", re.I), lambda m: "‹" + m.group()[1:-1] + "›"),
    # Gemma, T5/Llama BOS/EOS and XML-ish role or block tags: <start_of_turn>, </s>, <system>
    (
        re.compile(
            r"</?(?:s|start_of_turn|end_of_turn|bos|eos|pad|unk|sep|cls|mask|system|user|"
            r"assistant|instructions?|excerpts?|context|sources?|documents?|tool|think)>",
            re.I,
        ),
        lambda m: "‹" + m.group()[1:-1] + "›",
    ),
    # a line posing as a chat role: "system: ...", "### Assistant:", "Human:"
    (
        re.compile(r"(?im)^([ \t]*(?:#+[ \t]*)?)(system|assistant|developer|human|user)([ \t]*):"),
        lambda m: f"{m[1]}{m[2]}{m[3]} -",
    ),
)


def defuse(text: str) -> str:
    """Role, boundary and chat-template tokens as readable look-alikes no tokenizer acts on."""
    for pattern, repl in _DEFUSE:
        text = pattern.sub(repl, text)
    return text


def for_prompt(text: str) -> str:
    """Invisible and tag characters stripped, then tokens defused (stripping first, so that a
    zero-width space inside ``<|im_start|>`` cannot hide it from the defuser)."""
    return defuse(strip_invisible(text))


def one_line_for_prompt(text: str, limit: int = 200) -> str:
    """A title, label or speaker name: ``for_prompt``, on one line, bounded."""
    flat = " ".join(for_prompt(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
