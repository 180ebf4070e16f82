"""What the files API answers (Piccolo rows never leave the services)."""

from __future__ import annotations

import msgspec


class FileInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A file the server holds: the original as uploaded (never served itself)."""

    sha256: str
    content_type: str
    size: int
    width: int
    height: int


class FileUploaded(FileInfo, frozen=True, kw_only=True):
    """The answer to an upload; `created` is false when the server already had the file."""

    created: bool
