"""Files only their owner can read: what the newsletter writes holds secrets (.env), the list
(the store, exports, rejects) and live links (every outbox message carries a working
unsubscribe link, a confirmation one may confirm someone).

Every file is created 0600 and every folder made here 0700, whatever the umask: the mode is
given at creation (so the file is never readable by others, not even for a moment) and set
again exactly, since the umask only ever takes bits away. Folders that already exist keep
their mode: the owner may have opened a parent folder on purpose.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "create_private",
    "open_private",
    "private_folder",
    "write_private",
]

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_folder(path: Path) -> Path:
    """`path` as a folder; each folder made here, it and its missing parents, is 0700."""
    missing, parent = [], path
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(folder, DIR_MODE)
    return path


def create_private(path: Path) -> bool:
    """An empty 0600 file at `path` unless one is there (for SQLite, which then keeps its own
    journal and WAL files at the database file's mode); whether it was made."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    _exact(fd)
    os.close(fd)
    return True


def write_private(path: Path, data: bytes | str, *, sync: bool = False) -> None:
    """`data` (text as UTF-8) at `path` as a 0600 file, atomically: written aside, then renamed
    over, so a reader never sees half a file. `sync` waits until it is on disk."""
    private_folder(path.parent)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        _exact(fd)
        with os.fdopen(fd, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def open_private(path: Path) -> io.TextIOWrapper:
    """A UTF-8 text file to write as it goes (CSV: newline=""), created or emptied, 0600."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    _exact(fd)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _exact(fd: int) -> None:
    if hasattr(os, "fchmod"):  # POSIX; elsewhere the mode given to open is all there is
        os.fchmod(fd, FILE_MODE)
