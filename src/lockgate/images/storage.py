"""Image files on disk: ``<data_dir>/images/<image uuid>.<ext>``, written atomically.

A file name is built from the row id and the verified MIME type only, never from user input, so a
prompt such as ``../../etc/passwd`` cannot reach the file system. Writes go to a temporary file in
the same directory and are renamed into place, so a reader never sees half an image::

    storage = ImageStorage(settings.data_dir / "images")
    name = await storage.write(image_id, "image/png", data)   # '3f2c...e1.png'
    stat = await storage.stat(name)                           # None when the file is gone

Disk work runs in a worker thread (``anyio.to_thread``) to keep the event loop free.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

import anyio
from anyio.to_thread import run_sync

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_FILE_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z]+$")


def sniff_mime(data: bytes) -> str | None:
    """The MIME type the bytes' magic number says, among the ones we store.

    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n...")
    'image/png'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def file_name_for(image_id: uuid.UUID, mime_type: str) -> str:
    return f"{image_id}.{EXTENSIONS[mime_type]}"


class ImageStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, file_name: str) -> Path:
        """The path of a stored file; refuses any name we could not have generated."""
        if not _FILE_NAME.match(file_name):
            raise ValueError(f"not an image file name: {file_name!r}")
        return self.root / file_name

    async def write(self, image_id: uuid.UUID, mime_type: str, data: bytes) -> str:
        """Store ``data`` atomically and return its file name."""
        file_name = file_name_for(image_id, mime_type)
        await run_sync(self._write, self.path(file_name), data)
        return file_name

    def _write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    async def stat(self, file_name: str) -> os.stat_result | None:
        try:
            return await anyio.Path(self.path(file_name)).stat()
        except FileNotFoundError:
            return None

    async def remove(self, file_names: Iterable[str]) -> None:
        """Delete files; already missing ones are fine. Shielded, so cleanup survives cancel."""
        with anyio.CancelScope(shield=True):
            for file_name in file_names:
                await anyio.Path(self.path(file_name)).unlink(missing_ok=True)
