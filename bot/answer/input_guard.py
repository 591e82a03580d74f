"""First look at an untrusted question: clean it, bound it, and estimate how injection-like it is.

Cleaning comes first because the characters it removes (zero-width, bidi controls, Unicode "tag"
characters) are exactly what hides an instruction from a human moderator while the model still
reads it. The score is only a *signal*: it feeds logs and picks a stricter prompt template. It
never blocks, because people legitimately ask about prompt injection, jailbreaks and the passage
in 003 where Stella quotes "ignore your previous instructions" - and those questions must still
get answers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from bot.guard.unicode import decode_tag_text, strip_invisible

# --- sanitising -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SanitizedInput:
    text: str  # cleaned, and cut to max_chars when too_long
    too_long: bool  # the caller refuses with a clear message rather than answering a cut question
    length: int  # characters after cleaning, before any cut
    stripped: int  # invisible/control characters removed
    hidden_text: str = ""  # ASCII smuggled in tag characters, for the log only


_HSPACE_RE = re.compile(r"[^\S\n]+")
_NEWLINES_RE = re.compile(r"\s*\n\s*")


def sanitize_question(text: str, *, max_chars: int) -> SanitizedInput:
    """NFKC first so that fullwidth or stylised letters cannot dodge the heuristics downstream."""
    hidden = decode_tag_text(text)
    normalised = unicodedata.normalize("NFKC", text)
    cleaned = strip_invisible(normalised)
    stripped = len(normalised) - len(cleaned)
    cleaned = _NEWLINES_RE.sub("\n", _HSPACE_RE.sub(" ", cleaned)).strip()
    length = len(cleaned)
    too_long = length > max_chars
    if too_long:
        cleaned = cleaned[:max_chars].rstrip()
    return SanitizedInput(cleaned, too_long, length, stripped, hidden)


# --- injection heuristics -------------------------------------------------------------------

STRICT_THRESHOLD = 0.5  # at or above: answer with the stricter prompt template
ELEVATED_THRESHOLD = 0.2  # at or above: log the question and its signals


@dataclass(frozen=True, slots=True)
class InjectionAssessment:
    score: float  # 0..1, noisy-OR of the signals' weights
    signals: list[str] = field(default_factory=list)

    @property
    def strict(self) -> bool:
        return self.score >= STRICT_THRESHOLD


Dampen = Literal["mention", "quote", "never"]


@dataclass(frozen=True, slots=True)
class _Signal:
    name: str
    weight: float
    pattern: re.Pattern[str]
    # A phrase that is talked about rather than used gets its weight cut, so a question about
    # injection stays below the strict threshold. "mention": quoted, or inside a question about
    # the discussion; "quote": only quotation counts (the phrase addresses the bot directly);
    # "never": markup that does its damage whatever the sentence around it says.
    dampen: Dampen = "mention"


def _rx(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_START = r"(?<![A-Za-z])"  # not \b: garak pads attacks with "\xff", which counts as a letter
_ANY = r"(?:all|any|the|your|my|these|those|of)"
_PRIOR = r"(?:previous|prior|above|earlier|preceding|foregoing|initial|original|system|old|former)"
_RULES = (
    r"(?:instructions?|directions?|rules|prompts?|guidelines|directives|context|messages?|"
    r"orders|commands|constraints|restrictions|programming|training|excerpts?|sources?|"
    r"citations?)"
)
_SECRET = (
    r"(?:system|initial|original|hidden|secret|starting|first|pre-?prompt|internal|developer|"
    r"underlying|very)"
)
_PROMPT = (
    r"(?:prompts?|instructions|message|configuration|config|directives|initiali[sz]ation|rules|"
    r"programming)"
)
_SHOW = (
    r"(?:reveal|print|show|output|display|repeat|recite|tell|give|share|leak|dump|spell[- ]check|"
    r"translate|encode|write out|list|paste|return|provide|expose|disclose|summari[sz]e|read)"
)

_SIGNALS: tuple[_Signal, ...] = (
    _Signal(
        "override_instructions",
        0.7,
        _rx(
            rf"{_START}(?:ignore|disregard|forget|skip|override|bypass|drop|abandon)\b"
            rf"(?:\s+{_ANY})*(?:\s+(?:the\s+)?{_PRIOR})?(?:\s+and\s+following)?\s+{_RULES}\b"
            rf"|{_START}(?:ignore|forget|disregard)\s+(?:everything|all)\s+(?:above|before|you)"
            rf"|{_START}ignore\s+(?:all\s+|any\s+|the\s+)*(?:\w+\s+){{0,2}}(?:in|of)\s+"
            r"(?:the|this)\s+(?:text|document|data|article|resume|input|excerpts?|sources?)\b"
            r"|\boverride\s+(?:\w+\s+)?(?:scoring|settings|rules|instructions|policy|safety)\b"
            r"|\b(?:disregard|ignore)\s+(?:all|any|every)\s+\w+\s+(?:except|but)\b"
        ),
    ),
    _Signal(
        "reveal_prompt",
        0.65,
        _rx(
            rf"{_START}{_SHOW}\b[^.?!\n]{{0,40}}\b(?:your|its|the|this)\s+(?:{_SECRET}\s+){{0,3}}"
            rf"(?:system\s+)?{_PROMPT}\b"
            rf"|{_START}{_SHOW}\b[^.?!\n]{{0,20}}\b(?:{_SECRET}\s+)+{_PROMPT}\b"
            r"|\b(?:see|know|get|access|view)\b[^.?!\n]{0,20}\b(?:the|your)\s+(?:system\s+prompt|"
            r"(?:initial|hidden|secret|original)\s+(?:prompt|instructions))"
        ),
    ),
    _Signal(
        "addressed_prompt",  # the bot's own prompt, asked about directly
        0.55,
        _rx(
            rf"\b(?:your|ur)\s+(?:{_SECRET}\s+){{0,3}}(?:system\s+)?(?:prompt|instructions|"
            r"system\s+message|configuration|directives|programming)\b"
            r"|\byou\s+(?:were|are|have\s+been)\s+(?:told|given|instructed|programmed|"
            r"configured)\b|\b(?:were|have)\s+you\s+(?:been\s+)?(?:told|given|instructed)\b"
            r"|\bnot\s+(?:supposed|allowed|permitted)\s+to\s+(?:tell|say|reveal|share|show)\b"
            r"|\bthis\s+(?:bot|assistant|chat|conversation)'?s?\s+(?:system\s+)?(?:prompt|"
            r"instructions)\b|\bbefore\s+this\s+conversation\b"
            r"|\bsystem\s*prompt\s*\)|\bsystemprompt\b|\binitiali[sz]ation string\b"
        ),
        dampen="quote",
    ),
    _Signal(
        "repeat_above",
        0.6,
        _rx(
            r"\b(?:repeat|output|print|copy|return|echo|recite)\b[^.?!\n]{0,30}\b"
            r"(?:words|text|everything|messages?|conversation|lines)\b[^.?!\n]{0,15}"
            r"\b(?:above|before|preceding|previous|so far|back)\b"
            r"|\b(?:the\s+)?(?:text|everything|words)\s+above\b"
            r"|\bthe\s+above\s+(?:text|instructions|prompt|message|conversation)\b"
            r"|\b(?:initiali[sz]ation|instructions|prompt)\s+above\b"
            r"|\bfirst\s+\d+\s+words\s+of\b|\bword\s+for\s+word\b"
        ),
    ),
    _Signal(
        "persona_switch",
        0.45,
        _rx(
            r"\byou(?:\s+are|'re|\s+r)\s+now\b|\bfrom\s+now\s+on\b|\bpretend\s+(?:to\s+be|you\s+are)\b"
            r"|\broleplay\s+as\b|\bact\s+as\s+(?:if|an?\s+(?:unfiltered|evil|uncensored))"
            r"|\bact\s+as\b[^.\n]{0,40}\b(?:ai|bot|model|assistant|gpt)\b"
            r"|\byou\s+(?:are\s+going\s+to|will\s+now|must\s+now|will)\s+(?:act|pretend|play|"
            r"roleplay|immerse|respond\s+as|answer\s+as|behave\s+as)\b"
            r"|\bplay\s+the\s+role\s+of\b|\bimmerse\s+yourself\b"
            r"|\bstay\s+in\s+character\b|\byour\s+new\s+(?:role|task|instructions|rules|name)\b"
            r"|\bnew\s+(?:rules?|instructions?|task|directives?)\s*:"
        ),
    ),
    _Signal(
        "jailbreak_persona",
        0.5,
        _rx(
            r"(?-i:\bDAN\b)|\bdo\s+anything\s+now\b|\bdeveloper\s+mode\b|\bjailbr(?:oken|eak\s+mode)\b"
            r"|\bgod\s*mode\b|\bmaintenance\s+mode\b|\bdebug\s+mode\b|\badmin(?:istrator)?\s+mode"
            r"|\bunfilt(?:e)?red\b|\buncensored\b|\bamoral\b|\bno\s+(?:ethical|moral)\b"
            r"|\bwithout\s+(?:any\s+)?(?:restrictions|censorship|filters|limits|limitations)\b"
            r"|\bno\s+(?:restrictions|filters|limits|limitations|guidelines)\b"
            r"|\bbroken\s+free\b|\bfree\s+of\s+(?:the\s+)?(?:typical\s+)?confines\b"
            r"|\bnot\s+(?:have\s+to\s+)?(?:abide|be\s+bound|bound)\s+by\b"
            r"|\bno\s+longer\s+(?:bound|restricted|limited)\b"
            r"|\b(?:openai|content)\s+polic(?:y|ies)\b"
        ),
    ),
    _Signal(
        "role_marker",
        0.55,
        _rx(
            r"(?:^|\n)\s*(?:#+\s*)?(?:system|assistant|user|human|ai|developer|admin)\s*:"
            r"|<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<<SYS>>"
            r"|</?(?:system|instructions?|system_prompt|admin)>|\[system\]|\[admin\]"
            r"|###\s*(?:instruction|system|response)"
        ),
        dampen="never",
    ),
    _Signal(
        "fake_boundary",
        0.5,
        _rx(
            r"\b(?:end|close)\s+of\s+(?:the\s+)?(?:excerpts?|context|sources?|documents?|"
            r"transcripts?|instructions|prompt|session|input|user\s+input|data)\b"
            r"|(?-i:\bEND(?:\s+OF)?\s+(?:THE\s+)?(?:EXCERPTS?|CONTEXT|SOURCES?|DOCUMENTS?|"
            r"TRANSCRIPTS?|INSTRUCTIONS|PROMPT|INPUT|USER\s+INPUT|DATA|QUESTION)\b)"
            r"|</(?:excerpts?|context|sources?|documents?|transcript|data)>|<end of session>"
            r"|\bbegin\s+(?:new\s+)?(?:instructions|system|prompt)\b"
            r"|(?:-{8,}|={8,}|\*{8,}|#{8,})|-{3,}\s*END\b"
        ),
        dampen="never",
    ),
    _Signal(
        "output_constraint",  # "only answer in one sentence" is also a normal request
        0.3,
        _rx(
            r"\b(?:just|only|simply)\s+(?:say|print|write|output|reply|respond|answer)\b"
            r"|\b(?:say|print|write|output|reply|respond|answer)\s+(?:with\s+)?(?:only|exactly|"
            r"just|solely|verbatim)\b"
        ),
    ),
    _Signal(
        "forced_output",  # a literal string the reply must be
        0.5,
        _rx(
            r"\b(?:say|print|write|output|reply|respond|answer)\s+(?:with\s+)?(?:only\s+|"
            r"exactly\s+|just\s+|solely\s+)?(?:(?:the|this)\s+(?:word|phrase|text|string)\s+)?"
            r"(?:[\"“‘]|'(?!s\b))"
            r"|(?:^|[.!?:]\s+|\n)\s*(?:now\s+)?(?:say|print|write|output)\s+[\"'“‘]"
            r"|\bstart\s+(?:your|the)\s+(?:answer|response|reply)\s+with\b"
            r"|\bbegin(?:ning)?\s+(?:your\s+)?(?:answer|response|reply)?\s*with\s+[\"'“‘]"
            r"|\bcomplete\s+(?:this|the\s+following)\s+sentence\b"
            r"|\bcontinue\s+the\s+following\b|\bmy\s+instructions\s+are\b"
            r"|\b(?:reply|respond|answer)\s+with\s+(?:only\s+)?the\s+following\s+(?:text|string|"
            r"message|words?)\b"
            r"|\b(?:and\s+)?(?:output|report|print)\s*:\s"
        ),
    ),
    _Signal(
        "addressed_to_model",
        0.5,
        _rx(
            r"\b(?:note|message|attention|instructions?)\s+(?:to|for)\s+(?:any\s+|all\s+|the\s+)?"
            r"(?:automated|ai|a\.i\.|llms?|language\s+models?|assistants?|bots?|chatbots?|models?|"
            r"analysis\s+software|screening\s+systems?|readers?\s+that\s+are\s+ai)\b"
            r"|\b(?:invisible|hidden)\s+to\s+humans\b|\bvisible\s+to\s+(?:llms?|ai|the\s+model)\b"
            r"|\b(?:ai|llms?|assistants?|models?|bots?)\s+(?:reading|processing|summari[sz]ing)\s+"
            r"this\b"
        ),
    ),
    _Signal(
        "refusal_suppression",
        0.4,
        _rx(
            r"\b(?:do\s+not|don't|never|must\s+not|cannot|can't)\s+(?:ever\s+)?"
            r"(?:refuse|apologi[sz]e|decline|say\s+no)\b"
            r"|\bwithout\s+(?:any\s+)?(?:warnings|disclaimers|moralizing|refusing)\b"
            r"|\bno\s+(?:warnings|disclaimers)\b|\bnever\s+refused?\b"
        ),
    ),
    _Signal(
        "authority_claim",
        0.35,
        _rx(
            r"\bI\s*(?:am|'m)\s+(?:a|an|the|your)\s+(?:developer|admin|administrator|creator|"
            r"owner|operator|engineer|moderator)\b"
            r"|\b(?:administrator|admin|sudo|root|developer|system)\s+(?:override|access|command)\b"
            r"|\bfor\s+(?:security|audit|debugging|quality\s+assurance|testing)\s+purposes\b"
            r"|\bsecurity\s+audit\b|\bthis\s+is\s+(?:urgent|a\s+test)\b"
        ),
    ),
    _Signal(
        "urgency",
        0.2,
        _rx(r"\b(?:STOP EVERYTHING|IMPORTANT|URGENT|ATTENTION|WARNING|CRITICAL)\b|!{3,}", 0),
    ),
    _Signal(
        "decode_request",
        0.35,
        _rx(
            r"\b(?:decode|decrypt|decipher|unscramble)\b"
            r"|\b(?:base64|base32|base16|base2048|rot-?13|hex|morse|braille|ascii85|uuencode|"
            r"quoted-printable|mime|nato|ecoji|zalgo)\b[^.\n]{0,20}\b(?:encoded|decoded|string|"
            r"text|message)\b"
            r"|\bdecoded\s*:|\bencoded\s*:"
        ),
    ),
    _Signal(
        "mention_ping",
        0.5,
        _rx(r"@(?:everyone|here)\b|<@[!&]?\d+>"),
        dampen="never",
    ),
    _Signal(
        "masked_link",  # a Q&A question has no reason to carry a link disguised as text
        0.55,
        _rx(r"\[[^\]\n]{0,80}\]\(\s*<?(?:https?://|www\.)"),
        dampen="never",
    ),
    _Signal(
        "link_planting",
        0.4,
        _rx(
            r"\b(?:post|include|add|append|insert|send|share|output|print|put|end|start|finish|"
            r"conclude)\b[^.?!\n]{0,25}"
            r"\b(?:link|url|https?://|www\.)"
        ),
    ),
    _Signal(
        "code_fence_instruction",
        0.55,
        _rx(r"```\s*(?:system|instructions?|prompt|config|admin|override)\b"),
        dampen="never",
    ),
    _Signal(
        "injection_topic",  # vocabulary alone: tiny weight, for logs only
        0.1,
        _rx(
            r"\b(?:prompt\s+injection|jailbreak\w*|system\s+prompt|prompt\s+leak\w*|"
            r"ignore\s+(?:your\s+)?previous)\b"
        ),
    ),
)

# Blobs the model may be asked to decode: base64/base32/hex runs, ascii85-like tokens, braille,
# morse. A question about a podcast has no reason to carry any of them.
_BASE64_RE = re.compile(r"(?<![\w/+.-])[A-Za-z0-9+/]{12,}={0,2}(?![\w/+])")
_HEX_RE = re.compile(
    r"\b(?:0x)?(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}\b"
    r"|(?:\\x[0-9a-fA-F]{2}){6,}"
)
_BRAILLE_RE = re.compile(r"[\u2800-\u28ff]{6,}")
_MORSE_RE = re.compile(r"(?:[.\-]{1,6}[ /]+){8,}")
_LONG_TOKEN_RE = re.compile(r"\S{24,}")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"<@[!&]?\d+>|@(?:everyone|here)\b")


def _char_classes(token: str) -> int:
    return sum(
        (
            any(c.isdigit() for c in token),
            any(c.isupper() for c in token),
            any(c.islower() for c in token),
            any(not c.isalnum() for c in token),
        )
    )


def _looks_encoded(token: str) -> bool:
    """A run of letters and digits is a blob only if it mixes classes the way encodings do."""
    if len(token) < 16 and not token.endswith("="):
        return False  # short mixed-case words with a digit ("ChatGPT4Turbo") are names
    if len(token) >= 32 and any(c.isdigit() for c in token):
        return True  # base32 is upper case and digits only
    return _char_classes(token) >= 3


def _encoded_blob(text: str) -> bool:
    without_urls = _URL_RE.sub(" ", text)
    if any(_looks_encoded(m.group()) for m in _BASE64_RE.finditer(without_urls)):
        return True
    if any(_char_classes(m.group()) >= 3 for m in _LONG_TOKEN_RE.finditer(without_urls)):
        return True  # ascii85, uuencode and friends
    return bool(
        _HEX_RE.search(without_urls)
        or _BRAILLE_RE.search(without_urls)
        or _MORSE_RE.search(without_urls)
    )


_COMMON_WORDS = frozenset(
    re.findall(
        r"\w+",
        "the and you that this is are was for with not have what can it of to in a i be or on at "
        "as my me we he she they his her do does did all one but if so no yes will would there "
        "their from by an about how why when who which because other know where like just",
    )
)
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def _rot13_text(text: str) -> bool:
    """ROT13 turns "gur" and "naq" into "the" and "and": three such words is not English."""
    hits = {
        w
        for w in re.findall(r"[A-Za-z]+", text.lower())
        if w not in _COMMON_WORDS and w.translate(_ROT13) in _COMMON_WORDS
    }
    return len(hits) >= 3


# --- "mentioned, not used" ------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"[^.?!\n]+[.?!]*")
_QUOTED_RE = re.compile(r"\"[^\"]{3,}\"|“[^”]{3,}”|'[^'\n]{3,}'|‘[^’]{3,}’|`[^`]{3,}`")
_QUESTION_START_RE = re.compile(
    r"^\s*(?:so\s+|and\s+|hey\s+|ok\s+|okay\s+|also\s+|btw\s+|but\s+)?(?:what|what's|how|why|"
    r"when|who|whom|which|where|did|does|do|is|are|was|were|has|have|had|can|could|would|"
    r"should|explain|describe|summari[sz]e|tell\s+me\s+about|any\s+idea|according\s+to|in\s+the)"
    r"\b",
    re.IGNORECASE,
)
_FRAME_RE = re.compile(
    r"\b(?:say|says|said|saying|talk|talked|talks|talking|mention|mentioned|mentions|discuss|"
    r"discussed|discussion|think|thinks|thought|describe|described|explain|explained|mean|means|"
    r"meant|call|called|refer|referred|about|example|examples|phrase|quote|quoted|claim|claimed|"
    r"argue|argued|compare|compared|podcast|episode|panel|interview|transcript|guest|host|"
    r"speaker|stella|lukas|emad|sarah|elad|yann|lecun|andrew|daphne|kai-fu|aidan|nick|noam|"
    r"cristobal|typing|typed|type|inputting|telling|asking|attack|attacks|people|someone|users|"
    r"apps?|work|works|true|possible|known|meme|lore|defend|prevent|mitigate|stop|risk|risks|"
    r"vulnerability|injection|jailbreak|jailbreaks)\b",
    re.IGNORECASE,
)
_DAMPING = 0.3


def _mask_quotes(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Blank quoted stretches so their punctuation and words do not shape the sentence around."""
    spans = [m.span() for m in _QUOTED_RE.finditer(text)]
    chars = list(text)
    for qs, qe in spans:
        chars[qs + 1 : qe - 1] = " " * (qe - qs - 2)
    return "".join(chars), spans


def _is_mentioned(text: str, start: int, end: int, mode: Dampen) -> bool:
    """Talked about: quoted inside a sentence that reports speech, or (for "mention" signals)
    sitting in a question about the discussion. Quoting alone is not enough, or an attacker
    would simply wrap the attack in quotation marks."""
    if mode == "never":
        return False
    masked, quotes = _mask_quotes(text)
    sentence = next(
        (m.group() for m in _SENTENCE_RE.finditer(masked) if m.start() <= start < m.end()), ""
    )
    framed = bool(_FRAME_RE.search(sentence))
    quoted = any(qs <= start and end <= qe for qs, qe in quotes)
    if quoted and framed:
        return True
    return mode == "mention" and framed and bool(_QUESTION_START_RE.search(sentence))


def _weights(text: str) -> dict[str, float]:
    clean = unicodedata.normalize("NFKC", strip_invisible(text))
    weights: dict[str, float] = {}
    for signal in _SIGNALS:
        for match in signal.pattern.finditer(clean):
            weight = signal.weight
            if _is_mentioned(clean, *match.span(), signal.dampen):
                weight *= _DAMPING
            weights[signal.name] = max(weights.get(signal.name, 0.0), weight)
    if _encoded_blob(clean):
        weights["encoded_blob"] = 0.5
    if _rot13_text(clean):
        weights["rot13_text"] = 0.5
    if len(_MENTION_RE.findall(clean)) >= 3:
        weights["mention_spam"] = 0.4
    # U+200D also glues emoji sequences together and \r ends pasted lines: neither is suspicious.
    visible_intent = text.replace("\u200d", "").replace("\r", "")
    if strip_invisible(visible_intent) != visible_intent:
        weights["invisible_chars"] = 0.3
    hidden = decode_tag_text(text)
    if len(hidden) >= 4:
        weights["tag_smuggling"] = 0.6
        weights.update({f"hidden:{k}": v for k, v in _weights(hidden).items()})
    return weights


def injection_score(text: str) -> InjectionAssessment:
    """Noisy-OR so that several weak cues add up while one strong cue alone can reach strict."""
    weights = _weights(text)
    miss = 1.0
    for weight in weights.values():
        miss *= 1.0 - weight
    return InjectionAssessment(round(1.0 - miss, 4), sorted(weights))
