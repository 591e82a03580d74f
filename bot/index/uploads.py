"""Adding one uploaded file (``/panelist add-transcript``) to the index, never losing what is there.

Why its own module: an upload has no folder of its own on the operator's disk, yet a source must
keep a file behind it (``ingest --prune`` removes sources whose files are gone, and re-ingesting
compares against it). Uploads therefore live under ``<data dir>/uploads/<owner>/<digest>/<name>``:
``owner`` is who added it (a Discord server id), ``digest`` the content's hash, so a new version
lands beside the old one instead of over it. Under the data directory's writer lock
(bot/index/lock.py), the ordinary ingest path reads, checks and indexes the new copy (the same
checks as ``panelist ingest``: size, binary, encoding, empty, parse); the catalog moves to it in
the same transaction as its passages, and only then is the old copy removed. Any failure removes
the new copy and changes nothing else; a kill at any moment leaves the previous index on its
own file, and at worst a stray folder, which the next upload clears.

Sources are identified by file name, so an upload may replace only an earlier upload of the same
owner: never a file the operator ingested from disk, and never another server's upload.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import unicodedata
from pathlib import Path

from bot.guard.unicode import INVISIBLE_RE
from bot.index.ingest import _NOT_TRANSCRIPTS, TRANSCRIPT_SUFFIXES, FileResult, Progress, ingest
from bot.index.lock import WriterLock
from bot.index.store import Store
from bot.ingest.parse import FORMAT_NAMES
from bot.ingest.read import IngestError

log = logging.getLogger(__name__)

UPLOADS = "uploads"
INCOMING = ".incoming"  # downloads in progress; leftovers older than this are cleared
_STALE_INCOMING_S = 3600.0
MAX_NAME_CHARS = 100


class UploadRefused(IngestError):
    """The upload cannot be added as it is; one line the uploader can act on."""


def uploads_dir(data_dir: Path) -> Path:
    return Path(data_dir) / UPLOADS


def incoming_dir(data_dir: Path) -> Path:
    """Where downloads are written before they are added (same file system: moved, not copied)."""
    path = uploads_dir(data_dir) / INCOMING
    path.mkdir(parents=True, exist_ok=True)
    return path


def formats_line() -> str:
    suffixes = ", ".join(sorted(TRANSCRIPT_SUFFIXES))
    return f"I read {suffixes} files ({', '.join(FORMAT_NAMES)})"


def _printable(text: str) -> str:
    """``text`` as it can be shown in one line: every non-printable character becomes "?"."""
    return "".join(c if c.isprintable() else "?" for c in text)


def check_name(name: str) -> str:
    """The file name an upload is indexed under, or UploadRefused saying why not.

    The name becomes the source's id and a file under the data directory, so it must be one
    plain, visible file name with a transcript suffix: no folders, no hidden or reserved names
    (a ``manifest.toml`` would configure its folder), no invisible or bidi-control characters.
    """
    shown = _printable(name)[:MAX_NAME_CHARS]
    name = unicodedata.normalize("NFC", name)
    suffix = Path(name).suffix.lower()
    if suffix not in TRANSCRIPT_SUFFIXES:
        kind = f"a {_printable(suffix)[:20]} file" if suffix else "a file without a suffix"
        raise UploadRefused(f"{shown}: {kind} is not a transcript format; {formats_line()}")
    if (
        not name.isprintable()
        or INVISIBLE_RE.search(name)
        or any(c in name for c in "/\\:")
        or name.startswith(".")
        or name != name.strip()
    ):
        raise UploadRefused(
            f"{shown}: the file name has characters I can't store; rename it (letters, digits, "
            "spaces, - _ . ()) and upload it again"
        )
    if len(name) > MAX_NAME_CHARS:
        raise UploadRefused(f"{shown}…: the file name is over {MAX_NAME_CHARS} characters")
    if name.lower() in _NOT_TRANSCRIPTS:
        raise UploadRefused(f"{shown}: that name is reserved for configuration; rename the file")
    return name


def add_upload(
    store: Store,
    owner: str,
    name: str,
    downloaded: Path,
    *,
    progress: Progress | None = None,
) -> FileResult:
    """Index ``downloaded`` as source ``name`` owned by ``owner``; returns its result line.

    Takes the writer lock (StoreLockedError while another ingest runs: nothing is changed).
    ``downloaded`` is moved away or deleted in every case.
    """
    name = check_name(name)
    try:
        with WriterLock(store.data_dir) as lock:
            return _add_locked(store, owner, name, downloaded, lock, progress)
    finally:
        downloaded.unlink(missing_ok=True)


def _add_locked(
    store: Store,
    owner: str,
    name: str,
    downloaded: Path,
    lock: WriterLock,
    progress: Progress | None,
) -> FileResult:
    root = uploads_dir(store.data_dir).resolve()
    existing = store.catalog.source(name)
    old_path = Path(existing.path) if existing else None
    if old_path is not None:
        mine = root / owner
        if not old_path.is_relative_to(root):
            raise UploadRefused(
                f"{name}: a discussion with that file name is already indexed from the bot's own "
                "files; rename yours and upload it again"
            )
        if not old_path.is_relative_to(mine):
            raise UploadRefused(
                f"{name}: another server added a discussion with that file name; rename yours "
                "and upload it again"
            )
    digest = _sha256(downloaded)[:16]
    folder = root / owner / digest
    new_path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    downloaded.replace(new_path)
    ok = False
    try:
        # The catalog moves to the new copy in the same transaction as its passages (or, for
        # identical content, in one update), so a kill leaves it on the old copy, still there.
        report = ingest(store, [new_path], progress=progress, held=lock, replacing=[name])
        results = [r for r in report.files if r.source == name] or report.files
        if not results:  # cannot happen for one regular file; refuse rather than guess
            raise UploadRefused(f"{name}: the file was not read")
        result = results[0]
        ok = result.status != "failed"
        return result
    finally:
        if ok and old_path is not None and old_path != new_path:
            _remove_folder(old_path.parent, root)
        elif not ok and new_path != old_path:
            _remove_folder(folder, root)
        _clear_strays(store, root)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _remove_folder(folder: Path, root: Path) -> None:
    """Delete one upload folder (``<owner>/<digest>``), never anything outside ``root``."""
    if folder.resolve().parent.parent == root:
        shutil.rmtree(folder, ignore_errors=True)


def _clear_strays(store: Store, root: Path) -> None:
    """Upload folders no source points at (a kill between placing a file and its catalog swap),
    and downloads abandoned in ``.incoming`` more than an hour ago. Under the writer lock."""
    live = {Path(r.path).parent for r in store.catalog.sources()}
    for owner in root.iterdir() if root.is_dir() else ():
        if owner.name == INCOMING:
            for stale in owner.iterdir():
                try:
                    if time.time() - stale.stat().st_mtime > _STALE_INCOMING_S:
                        stale.unlink(missing_ok=True)
                except OSError:
                    pass
            continue
        if not owner.is_dir():
            continue
        for folder in owner.iterdir():
            if folder.is_dir() and folder.resolve() not in live:
                log.info("removing an upload no source uses: %s", folder.name)
                shutil.rmtree(folder, ignore_errors=True)
