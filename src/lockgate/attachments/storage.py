"""Attachment files: ``<data_dir>/attachments/<attachment uuid>.<ext>`` (`lockgate.files`)."""

from __future__ import annotations

from pathlib import Path

from lockgate.files import FileStore

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
DIRECTORY = "attachments"


class AttachmentStorage(FileStore):
    extensions = EXTENSIONS
    kind = "an attachment"


def attachment_storage(data_dir: Path) -> AttachmentStorage:
    return AttachmentStorage(data_dir / DIRECTORY)
