"""Attachment files: ``<data_dir>/attachments/<attachment uuid>.<ext>``, as image files are.

The same atomic writes and name checks as `lockgate.images.storage` (a name is built from the
row id and the verified type, never from input); GIF is allowed here as well.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from anyio.to_thread import run_sync

from lockgate.images.storage import ImageStorage

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
DIRECTORY = "attachments"


class AttachmentStorage(ImageStorage):
    async def write(self, image_id: uuid.UUID, mime_type: str, data: bytes) -> str:
        file_name = f"{image_id}.{EXTENSIONS[mime_type]}"
        await run_sync(self._write, self.path(file_name), data)
        return file_name

    async def read(self, file_name: str) -> bytes:
        """The file's bytes (a worker thread); FileNotFoundError when it is gone."""
        return await run_sync(self.path(file_name).read_bytes)


def attachment_storage(data_dir: Path) -> AttachmentStorage:
    return AttachmentStorage(data_dir / DIRECTORY)
