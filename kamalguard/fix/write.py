"""Safe writes: a temp file in the same folder, fsync, then an atomic rename over the target.

The file mode is kept, a symlink's target is written (the link stays a link), and a file that changed
since kamalguard read it is refused rather than overwritten.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from ..source.text import InputError


class WriteRefused(InputError):
    pass


def write_atomic(path: str, data: bytes, expected: bytes | None) -> None:
    """Replace the file at `path` (symlinks resolved) with `data`, if it still holds `expected`; with
    `expected=None`, create it, if it still does not exist."""
    real = os.path.realpath(path)
    if expected is None:
        if os.path.lexists(path):
            raise WriteRefused(f"{path}: appeared since kamalguard looked; nothing written, run fix again")
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        try:
            with open(real, "rb") as handle:
                current = handle.read()
        except OSError as exc:
            raise WriteRefused(f"{path}: cannot be read back before writing ({exc.strerror})") from None
        if current != expected:
            raise WriteRefused(f"{path}: changed since kamalguard read it; nothing written, run fix again")
        mode = stat.S_IMODE(os.stat(real).st_mode)
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
