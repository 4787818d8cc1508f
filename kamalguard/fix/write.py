"""Safe writes: a temp file in the same folder, fsync, then an atomic rename over the target.

The file mode (and, where allowed, its owner) is kept, a symlink's target is written (the link stays a link), and
a file that changed since kamalguard read it, or that is read-only, is refused rather than overwritten: a rename
would replace a read-only file without asking, so kamalguard asks first.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from ..source.text import InputError


class WriteRefused(InputError):
    pass


def writable(path: str, expected: bytes | None):
    """Check that the file at `path` still holds `expected` (with None: still does not exist) and may be written;
    returns its stat (None for a new file). `fix --write` asks this of every file before it writes any."""
    real = os.path.realpath(path)
    if expected is None:
        if os.path.lexists(path):
            raise WriteRefused(f"{path}: appeared since kamalguard looked; nothing written, run fix again")
        return None
    try:
        with open(real, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise WriteRefused(f"{path}: cannot be read back before writing ({exc.strerror})") from None
    if current != expected:
        raise WriteRefused(f"{path}: changed since kamalguard read it; nothing written, run fix again")
    status = os.stat(real)
    if not stat.S_IMODE(status.st_mode) & 0o222 or not os.access(real, os.W_OK):  # no write bit stops root too
        raise WriteRefused(f"{path}: is read-only; nothing written (make it writable, or apply the diff by hand)")
    return status


def write_atomic(path: str, data: bytes, expected: bytes | None) -> None:
    """Replace the file at `path` (symlinks resolved) with `data`, if it still holds `expected`; with
    `expected=None`, create it, if it still does not exist."""
    real = os.path.realpath(path)
    status = writable(path, expected)
    if status is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        mode = stat.S_IMODE(status.st_mode)
    folder = os.path.dirname(real) or "."
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".kamalguard", dir=folder)
    except OSError as exc:
        raise WriteRefused(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        if status is not None:
            _keep_owner(temp, status)
        replace(temp, real)
    except OSError as exc:
        _discard(temp)
        raise WriteRefused(f"{path}: could not be written ({exc.strerror}); the original is unchanged") from None
    except BaseException:
        _discard(temp)
        raise
    _sync_folder(folder)


def replace(temp: str, real: str) -> None:
    """The rename that makes the write visible (a seam for tests that interrupt a write just before it)."""
    os.replace(temp, real)


def _keep_owner(temp: str, status: os.stat_result) -> None:
    """The new file belongs to whoever owned the old one, when this process may say so (root may; others keep
    their own files, so there is nothing to change). Windows has no owners to keep."""
    if hasattr(os, "getuid") and (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):
            os.chown(temp, status.st_uid, status.st_gid)


def _discard(temp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)


def _sync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
