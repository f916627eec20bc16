"""Attachment files: ``<data_dir>/attachments/<attachment uuid>.<ext>``, written atomically.

The same rules as `lockgate.images.storage` (not imported: `images` sits above the call path,
and `conversations` deletes attachment files): a name is built from the row id and the verified
type, never from input, and refused on the way back unless it could have been built so; a
write goes to a temporary file in the same directory and is renamed into place, so a reader
never sees half an image. Disk work runs in a worker thread.
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

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
DIRECTORY = "attachments"
_FILE_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z]+$")


class AttachmentStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, file_name: str) -> Path:
        """The path of a stored file; refuses any name we could not have generated."""
        if not _FILE_NAME.match(file_name):
            raise ValueError(f"not an attachment file name: {file_name!r}")
        return self.root / file_name

    async def write(self, attachment_id: uuid.UUID, mime_type: str, data: bytes) -> str:
        """Store ``data`` atomically and return its file name."""
        file_name = f"{attachment_id}.{EXTENSIONS[mime_type]}"
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

    async def read(self, file_name: str) -> bytes:
        """The file's bytes; FileNotFoundError when it is gone."""
        return await run_sync(self.path(file_name).read_bytes)

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


def attachment_storage(data_dir: Path) -> AttachmentStorage:
    return AttachmentStorage(data_dir / DIRECTORY)
