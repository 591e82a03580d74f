"""One writer per data directory: an advisory ``flock`` on ``<data dir>/ingest.lock``.

Two ingests on one store race: one can delete as "orphans" the vectors the other has written but
not yet committed to the catalog, and both rewrite the same catalog rows. Every command that
writes the store (``ingest``, ``ingest --rebuild``, ``doctor --repair``) therefore takes this
lock first and fails at once, naming the holder's pid, when another one holds it. Readers (``ask``,
``search``, the bot) never take it: SQLite and Chroma serve them the last committed state.

The kernel drops a ``flock`` when its holder dies, SIGKILL included, so a stale lock file never
blocks anyone; the pid written into it is only there for the message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import PanelistError

LOCK_NAME = "ingest.lock"


class StoreLockedError(PanelistError):
    """Another process is writing this data directory; one line for the user."""


class WriterLock:
    """Exclusive, non-blocking writer lock on a data directory (a context manager)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> WriterLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StoreLockedError(f"cannot lock {self.path}: {exc.strerror}") from None
            holder = holder_pid(self.path)
            who = f" (pid {holder})" if holder else ""
            raise StoreLockedError(
                f"another ingest is running{who} on {self.path.parent}; wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def holder_pid(path: Path) -> int | None:
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def writer_active(data_dir: Path) -> bool:
    """True while some process holds the writer lock (readers use it to excuse a transient
    catalog/vector difference rather than report the store as damaged)."""
    path = Path(data_dir) / LOCK_NAME
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
