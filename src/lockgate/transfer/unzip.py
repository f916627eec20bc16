"""ChatGPT's data export as it is downloaded: a zip holding ``conversations.json``.

Only that member is read, and at most ``limit`` bytes of it whatever its header claims (a zip
bomb stops at the limit with a 413); every other member (images, chat.html) is never
decompressed. The member then goes through the same checks as an uploaded JSON file.
"""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from typing import IO

from lockgate.errors import BadRequest
from lockgate.transfer.errors import ImportTooLarge, UnknownFormat
from lockgate.transfer.reader import BOM, IN_MEMORY, TextCheck, Upload

MEMBER = "conversations.json"
BLOCK = 64 * 1024


class BadZip(BadRequest):
    code = "import_bad_zip"
    message = "The file looks like a zip archive but cannot be read (damaged or encrypted)."


class NoConversationsInZip(UnknownFormat):
    message = "The zip archive holds no conversations.json (ChatGPT's data export has one)."


def conversations_member(upload: Upload, limit: int) -> Upload:
    """The archive's ``conversations.json`` as an upload of its own; closes ``upload``."""
    try:
        with zipfile.ZipFile(upload.rewind()) as archive:
            info = _member(archive)
            if info.file_size > limit:
                raise ImportTooLarge(limit)
            if info.flag_bits & 0x1:
                raise BadZip()
            with archive.open(info) as source:
                return _copy(source, limit)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error):
        raise BadZip() from None
    finally:
        upload.close()


def _member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    found = [
        i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == MEMBER and not i.is_dir()
    ]
    if not found:
        raise NoConversationsInZip()
    return min(found, key=lambda i: i.filename.count("/"))


def _copy(source: IO[bytes], limit: int) -> Upload:
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    text = TextCheck()
    size = 0
    try:
        while block := source.read(BLOCK):
            size += len(block)
            if size > limit:
                raise ImportTooLarge(limit)
            text.feed(block)
            file.write(block)
        text.end()
        if text.zipped:
            raise UnknownFormat()
    except BaseException:
        file.close()
        raise
    file.seek(0)
    start = len(BOM) if file.read(len(BOM)) == BOM else 0
    return Upload(file, size, start)
