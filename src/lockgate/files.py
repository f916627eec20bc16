"""Files Lockgate keeps on disk for a row (generated images, chat attachments), written atomically.

A file's name is built from its row's id and its verified MIME type only, never from user input,
and a name is refused on the way back unless it could have been built so: a prompt or an upload
name such as ``../../etc/passwd`` never reaches the file system. A write goes to a temporary file
in the same directory and is renamed into place, so a reader never sees half a file::

    store = ImageStorage(settings.data_dir / "images")       # a FileStore with its own types
    name = await store.write(image_id, "image/png", data)    # '3f2c...e1.png'
    stat = await store.stat(name)                            # None when the file is gone

Disk work runs in a worker thread (``anyio.to_thread``) to keep the event loop free.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar

import anyio
from anyio.to_thread import run_sync

_FILE_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z]+$")


class FileStore:
    """One directory of files named ``<row uuid>.<ext>``; a subclass names its MIME types."""

    extensions: ClassVar[Mapping[str, str]]  # MIME type -> file extension
    kind: ClassVar[str]  # what the files are, for error messages

    def __init__(self, root: Path) -> None:
        self.root = root

    def file_name(self, row_id: uuid.UUID, mime_type: str) -> str:
        return f"{row_id}.{self.extensions[mime_type]}"

    def path(self, file_name: str) -> Path:
        """The path of a stored file; refuses any name we could not have generated."""
        if not _FILE_NAME.match(file_name):
            raise ValueError(f"not {self.kind} file name: {file_name!r}")
        return self.root / file_name

    async def write(self, row_id: uuid.UUID, mime_type: str, data: bytes) -> str:
        """Store ``data`` atomically and return its file name."""
        file_name = self.file_name(row_id, mime_type)
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
