"""Reading a transcript file into the exact text every offset will refer to.

Citations point into the file by character offset, so the text is returned exactly as decoded:
line endings (CRLF, CR) and odd whitespace are kept. The one change is dropping a leading UTF-8
byte-order mark, which editors add invisibly and which is not part of the transcript; offsets
therefore count from the first character after it. Everything that can go wrong is reported as an
:class:`IngestError` whose message is one line a user can act on, so the ingest command can print
it next to the file name and carry on with the other files.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
import unicodedata
from pathlib import Path

from bot.errors import PanelistError

_SNIFF = 8192  # bytes inspected to tell a binary file from text
_MB = 1024 * 1024


class IngestError(PanelistError):
    """A file cannot be ingested; ``str(err)`` is one line, no traceback, fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def read_transcript(path: Path, *, max_bytes: int) -> str:
    """The file's text, decoded as UTF-8 with a leading BOM dropped and nothing else changed.

    ``max_bytes`` comes from the ``PANELIST_MAX_FILE_MB`` setting (MB = 1024 × 1024 bytes here);
    larger files are refused before being read, so a stray video in the seeds folder costs
    nothing. Raises IngestError for a missing path, a directory, an empty or whitespace-only file,
    a binary file, a file that is not UTF-8 (naming the byte offset), or one over the limit.
    """
    path = Path(path)
    shown = show(path)
    kind = file_kind(path)
    if kind == "missing":
        raise IngestError(f"{shown}: no such file")
    if kind == "folder":
        raise IngestError(f"{shown}: is a directory, not a transcript file")
    if kind != "file":
        raise IngestError(f"{shown}: {kind}; only regular files are read")
    try:
        # O_NONBLOCK: if a FIFO replaced the file since the check above, open() must not block
        # waiting for a writer; fstat on the open descriptor then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                kind = _kind_of_mode(st.st_mode)
                raise IngestError(f"{shown}: {kind}; only regular files are read")
            if st.st_size > max_bytes:
                raise IngestError(_too_big(shown, st.st_size, max_bytes))
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # grew between stat() and read()
        raise IngestError(_too_big(shown, len(data), max_bytes))
    if not data:
        raise IngestError(f"{shown}: file is empty")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00
        raise IngestError(f"{shown}: is UTF-32 encoded; re-save it as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise IngestError(f"{shown}: is UTF-16 encoded; re-save it as UTF-8")
    if b"\x00" in data[:_SNIFF] or _mostly_control(data[:_SNIFF]):
        raise IngestError(f"{shown}: looks like a binary file, not a text transcript")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(_not_utf8(shown, data, exc)) from None
    if b"\x00" in data:
        raise IngestError(f"{shown}: looks like a binary file, not a text transcript")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise IngestError(f"{shown}: file is empty (only whitespace)")
    return text


def show(path: Path | str) -> str:
    """The path fit for a one-line message (a newline in a file name must not split it)."""
    return "".join(c if c.isprintable() else "?" for c in str(path))


def file_kind(path: Path) -> str:
    """ "file", "folder", "missing", or a short phrase for anything else, without opening it.

    ``stat`` never blocks, unlike ``open`` on a FIFO with no writer, which hangs forever.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return "dangling symlink (its target does not exist)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "missing"
        return f"cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if stat.S_ISREG(st.st_mode):
        return "file"
    return _kind_of_mode(st.st_mode)


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"


def _too_big(shown: str, size: int, limit: int) -> str:
    return (
        f"{shown}: file is {size / _MB:.1f} MB ({size:,} bytes), over the "
        f"{limit / _MB:g} MB limit; raise PANELIST_MAX_FILE_MB to ingest it"
    )


def _not_utf8(shown: str, data: bytes, exc: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    return (
        f"{shown}: not valid UTF-8 (byte 0x{data[exc.start]:02X} at byte offset {exc.start}, "
        f"line {line}); re-save the file as UTF-8"
    )


def _mostly_control(sample: bytes) -> bool:
    """Mostly non-text even without a NUL: many control characters or undecodable bytes.

    A legacy-encoded text file (Latin-1 accents) has a few undecodable bytes and gets the more
    useful "not valid UTF-8" message instead; only a sample that is largely noise counts.
    """
    text = sample.decode("utf-8", errors="replace")
    if not text:
        return False
    control = sum(
        1 for c in text if c not in "\t\n\r\f\v" and unicodedata.category(c) in ("Cc", "Co")
    )
    return control > len(text) / 10 or text.count("\ufffd") > len(text) / 3
