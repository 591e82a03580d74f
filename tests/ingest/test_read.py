"""Reading transcript files: exact text back, or one clear line saying what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ingest.read import IngestError, read_transcript

LIMIT = 1024 * 1024


def _error(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(IngestError) as info:
        read_transcript(path, max_bytes=max_bytes)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_text_is_returned_unchanged_including_crlf(tmp_path: Path) -> None:
    """CRLF and CR line endings are kept so offsets match the file."""
    path = tmp_path / "t.txt"
    path.write_bytes(b"Line one\r\nLine two\rLine three\n")
    assert read_transcript(path, max_bytes=LIMIT) == "Line one\r\nLine two\rLine three\n"


def test_leading_bom_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is not part of the transcript."""
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfHello")
    assert read_transcript(path, max_bytes=LIMIT) == "Hello"


def test_missing_path(tmp_path: Path) -> None:
    """A path that does not exist is named in the message."""
    message = _error(tmp_path / "nope.vtt")
    assert "nope.vtt" in message and "no such file" in message


def test_directory(tmp_path: Path) -> None:
    """A folder is refused as not a file."""
    assert "directory" in _error(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    """A zero-byte file is reported as empty."""
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty" in _error(path)


def test_whitespace_only_file(tmp_path: Path) -> None:
    """Blank lines and NBSPs only is as good as empty."""
    path = tmp_path / "blank.txt"
    path.write_bytes("\n \t\u00a0\r\n".encode())
    assert "empty" in _error(path)


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    """A file with NUL bytes is binary, not a transcript."""
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary" in _error(path)


def test_binary_file_without_nul_bytes(tmp_path: Path) -> None:
    """Mostly control characters or undecodable bytes is binary even without a NUL."""
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes([1, 2, 3, 0xFF, 0xFE, 0x80, 0x81, 0x90]) * 200)
    assert "binary" in _error(path)


def test_non_utf8_text_names_the_byte_offset(tmp_path: Path) -> None:
    """A Latin-1 file says where the bad byte is and to re-save as UTF-8."""
    path = tmp_path / "latin1.txt"
    data = "Ligne un\nCafé au lait\n".encode("latin-1")
    path.write_bytes(data)
    message = _error(path)
    assert f"offset {data.index(0xE9)}" in message
    assert "line 2" in message
    assert "UTF-8" in message


def test_utf16_file_is_told_to_resave_as_utf8(tmp_path: Path) -> None:
    """UTF-16 (full of NUL bytes) gets the encoding advice rather than "binary"."""
    path = tmp_path / "wide.txt"
    path.write_bytes("Hello".encode("utf-16"))
    message = _error(path)
    assert "UTF-16" in message and "UTF-8" in message


def test_file_over_the_limit_names_size_limit_and_setting(tmp_path: Path) -> None:
    """Too big: the message gives the size, the limit and PANELIST_MAX_FILE_MB."""
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (3 * LIMIT))
    message = _error(path, max_bytes=2 * LIMIT)
    assert "3.0 MB" in message
    assert "2 MB" in message
    assert "PANELIST_MAX_FILE_MB" in message


def test_file_exactly_at_the_limit_is_read(tmp_path: Path) -> None:
    """The limit is inclusive."""
    path = tmp_path / "edge.txt"
    path.write_bytes(b"a" * 100)
    assert len(read_transcript(path, max_bytes=100)) == 100


def test_newline_in_a_file_name_does_not_break_the_one_line_message(tmp_path: Path) -> None:
    """Even an odd file name keeps the error on one line."""
    _error(tmp_path / "bad\nname.txt")
