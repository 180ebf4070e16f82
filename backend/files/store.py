"""Where file bytes live: a small key → bytes interface, and its local-disk implementation.

Files are content-addressed: the original is stored under its SHA-256 (`ab/cd/<sha256>`) and the copies
made from it (display copy, thumbnail) beside it (`ab/cd/<sha256>.display.jpg`). The same key always
holds the same bytes, so writing a key twice, or from two requests at once, is harmless. The database row
(tables.StoredFile), written after the bytes, is what says a file is on the server.

`FileStore` is the seam for a cloud object store later: it needs only put/get/exists/delete of whole objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from backend.settings import Settings

SHA256_RE = re.compile(r"[0-9a-f]{64}")
# Keys are made by the functions below from a checked hash; the store still refuses anything that could
# leave its root (an absolute path, `..`) in case a future caller passes something else.
_KEY_RE = re.compile(r"[0-9a-z]+(?:/[0-9a-z]+)*(?:\.[0-9a-z]+)*")


class FileStore(Protocol):
    """Whole objects by key: bytes in, bytes out."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None when there are none."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove `key`; no error when it is not there."""
        ...


def is_sha256(value: str) -> bool:
    """A SHA-256 as files are named: 64 lowercase hexadecimal characters."""
    return SHA256_RE.fullmatch(value) is not None


def original_key(sha256: str) -> str:
    # Two levels of 256 folders keep any one folder small on a plain file system.
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def display_key(sha256: str) -> str:
    return f"{original_key(sha256)}.display.jpg"


def thumb_key(sha256: str) -> str:
    return f"{original_key(sha256)}.thumb.jpg"


class LocalFileStore:
    """Files under a folder of the local disk (`GIAMSAT_DATA_DIR/files`), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if _KEY_RE.fullmatch(key) is None:
            raise ValueError(f"not a file store key: {key!r}")
        return self.root / key

    def _put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write a temporary file beside the target and rename it over: a reader never sees half a file,
        # and two writers of the same key both end with the same complete bytes.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # evidence: on disk before the row that says it is there
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    # Disk I/O of up to a few megabytes runs in a worker thread, off the event loop.

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, key)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)


def file_store(settings: Settings) -> FileStore:
    """The store the app uses: files under `GIAMSAT_DATA_DIR/files`."""
    return LocalFileStore(settings.data_dir / "files")
