"""Source bytes to text we can parse, and back: BOM, line endings and the final newline are recorded, not lost.

Every position kamalguard reports or edits is an index into `SourceText.text`: the decoded file without its
BOM and with CRLF turned into LF. Lines and columns are 1-based for people and 0-based inside.
"""

from __future__ import annotations

import bisect
import os
import stat

from ..record import Record

BOM = "\ufeff"
# The size limit for every file kamalguard reads (deploy files, overlays, policies, project files), in one place.
# deploy.yml files are a few kilobytes; anything this big is not one, and parsing it would only waste time.
MAX_FILE_BYTES = 2 * 1024 * 1024


class InputError(Exception):
    """A file that cannot be read at all (missing, a directory, unreadable, too big): exit code 2."""


class DecodeError(Exception):
    """The bytes are not UTF-8; `line`/`column` (1-based) say where."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


class SourceText(Record):
    __slots__ = ("_line_starts", "bom", "crlf", "mtime_ns", "path", "raw", "real_path", "text")

    def __init__(self, path: str, text: str, raw: bytes = b"", bom: bool = False, crlf: bool = False,
                 mtime_ns: int | None = None, real_path: str | None = None):
        self.path = path  # as shown to the user (relative where possible)
        self.text = text  # decoded, BOM removed, CRLF -> LF
        self.raw = raw
        self.bom = bom
        self.crlf = crlf  # the file's line breaks are CRLF (the majority of them)
        self.mtime_ns = mtime_ns
        self.real_path = real_path  # symlinks resolved: the file a write must replace
        self._line_starts: list[int] = []

    @property
    def line_starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, index: int) -> tuple[int, int]:
        """0-based (line, column) of a character index."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, index) - 1
        return line, index - starts[line]

    def index(self, line: int, column: int) -> int:
        return self.line_starts[line] + column

    def line_text(self, line: int) -> str:
        """The 0-based line's text, without its line break."""
        starts = self.line_starts
        if line >= len(starts):
            return ""
        end = self.text.find("\n", starts[line])
        return self.text[starts[line] : end if end != -1 else len(self.text)]

    def encode(self, text: str) -> bytes:
        """Turn edited text back into bytes the way this file was written: BOM and line breaks restored."""
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def decode(raw: bytes, path: str) -> SourceText:
    """Bytes to SourceText. Raises DecodeError for bytes that are not UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n")
        column = len(before) - (before.rfind(b"\n") + 1)
        raise DecodeError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); Kamal reads deploy files as UTF-8",
            line + 1,
            column + 1,
        ) from None
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    crlf_count = text.count("\r\n")
    crlf = crlf_count > 0 and crlf_count * 2 >= text.count("\n")
    if crlf_count:
        text = text.replace("\r\n", "\n")
    return SourceText(path=path, text=text, raw=raw, bom=bom, crlf=crlf)


def read(path: str, display: str | None = None) -> SourceText:
    """Read a file from disk, with a clear InputError for everything that makes it unreadable."""
    shown = display or path
    try:
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except OSError as exc:  # a symlink loop, for one
        raise InputError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if os.path.isdir(real):
        raise InputError(f"{shown}: is a directory, not a deploy file")
    try:
        st = os.stat(real)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
            # a device (/dev/zero, a terminal) or a socket never ends or never starts; a pipe (`<(...)`) is fine
            raise InputError(f"{shown}: is a device or a socket, not a deploy file")
        if st.st_size > MAX_FILE_BYTES:
            raise InputError(
                f"{shown}: is {st.st_size // 1024} KiB; kamalguard reads files up to {MAX_FILE_BYTES // 1024} KiB"
            )
        with open(real, "rb") as handle:
            raw = read_limited(handle, shown)  # the size can change after stat(), or lie (/proc)
    except PermissionError:
        raise InputError(f"{shown}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    source = decode(raw, shown)
    source.mtime_ns = st.st_mtime_ns
    source.real_path = real
    return source


def read_limited(stream, shown: str) -> bytes:
    """All of a binary stream (a file, stdin), or an InputError once it passes MAX_FILE_BYTES: never more is read."""
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{shown}: is larger than {MAX_FILE_BYTES // 1024} KiB, the most kamalguard reads")
    return raw
