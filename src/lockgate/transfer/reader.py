"""Reading an uploaded file: spooled as it arrives, checked, then parsed one conversation at a
time (ijson), so neither the upload nor its parse is ever whole in memory.

``spool`` counts bytes as they arrive and stops at the limit (413 before the rest is read; the
body-limit middleware already refused a declared ``Content-Length`` over it) and checks UTF-8
incrementally. ``read_conversations`` then yields each conversation as a validated Lockgate
one, whichever the format: a Lockgate export (an object with ``format`` and ``version``) or
ChatGPT's ``conversations.json`` (an array of objects with a ``mapping``).
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

import ijson
from pydantic import ValidationError

from lockgate.transfer import chatgpt
from lockgate.transfer.errors import (
    ImportEmpty,
    ImportInvalid,
    ImportMalformed,
    ImportNotUTF8,
    ImportTooLarge,
    UnknownFormat,
    UnsupportedVersion,
)
from lockgate.transfer.schema import FORMAT, VERSION, ExportedConversation

SourceFormat = Literal["lockgate", "chatgpt"]
IN_MEMORY = 1024 * 1024
"""Uploads up to this size stay in memory; larger ones go to a temporary file."""
BOM = codecs.BOM_UTF8
WHITESPACE = b" \t\r\n"


ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Upload:
    file: IO[bytes]
    size: int
    start: int  # past a UTF-8 byte order mark, if any
    zipped: bool = False  # a zip archive (ChatGPT's download as it comes): not checked as text

    def rewind(self) -> IO[bytes]:
        self.file.seek(self.start)
        return self.file

    def close(self) -> None:
        self.file.close()


async def spool(chunks: AsyncIterator[bytes], limit: int) -> Upload:
    """The body in a spooled file; :class:`ImportTooLarge` as soon as it passes ``limit``."""
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    text = TextCheck()
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ImportTooLarge(limit)
            text.feed(chunk)
            file.write(chunk)
        text.end()
    except BaseException:
        file.close()
        raise
    file.seek(0)
    start = len(BOM) if file.read(len(BOM)) == BOM else 0
    return Upload(file, size, start, zipped=bool(text.zipped))


class TextCheck:
    """UTF-8 checked as the bytes arrive, unless they turn out to be a zip archive."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.head = b""
        self.zipped: bool | None = None

    def feed(self, chunk: bytes) -> None:
        if self.zipped is None:
            self.head += chunk
            if len(self.head) < len(ZIP_MAGIC):
                return
            self.zipped = self.head.startswith(ZIP_MAGIC)
            chunk, self.head = self.head, b""
        if not self.zipped:
            self._decode(chunk)

    def end(self) -> None:
        if self.zipped is None:  # shorter than the magic number: text
            self.zipped = False
            self._decode(self.head)
        if not self.zipped:
            self._decode(b"", final=True)

    def _decode(self, data: bytes, *, final: bool = False) -> None:
        try:
            self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            raise ImportNotUTF8() from None


def _first_byte(upload: Upload) -> bytes:
    file = upload.rewind()
    while True:
        block = file.read(4096)
        if not block:
            return b""
        stripped = block.lstrip(WHITESPACE)
        if stripped:
            return stripped[:1]


def detect(upload: Upload) -> SourceFormat:
    first = _first_byte(upload)
    if not first:
        raise ImportEmpty()
    try:
        if first == b"[":
            return _detect_array(upload)
        if first == b"{":
            _check_header(upload)
            return "lockgate"
        for _ in ijson.parse(upload.rewind()):
            pass  # valid JSON of the wrong kind, or not JSON at all?
    except ijson.JSONError:
        raise ImportMalformed() from None
    raise UnknownFormat()


def _detect_array(upload: Upload) -> SourceFormat:
    for item in ijson.items(upload.rewind(), "item"):
        if chatgpt.is_chatgpt(item):
            return "chatgpt"
        raise UnknownFormat()
    return "chatgpt"  # an empty list: a ChatGPT export with no conversation


def _check_header(upload: Upload) -> None:
    """The top-level ``format`` and ``version``, read without building the conversations."""
    found: dict[str, Any] = {}
    has_conversations = False
    for prefix, event, value in ijson.parse(upload.rewind()):
        if prefix in ("format", "version") and event in ("string", "number"):
            found[prefix] = value
        elif prefix == "conversations" and event == "start_array":
            has_conversations = True
        if has_conversations and len(found) == 2:
            break
    if found.get("format") != FORMAT:
        raise UnknownFormat()
    if found.get("version") != VERSION:
        raise UnsupportedVersion(found.get("version"), VERSION)
    if not has_conversations:
        raise ImportInvalid("conversations", "missing (a list of conversations)")


def _where(base: str, error: ValidationError) -> ImportInvalid:
    first = error.errors()[0]
    path = base
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return ImportInvalid(path, first["msg"])


def _lockgate(item: Any, where: str) -> ExportedConversation:
    try:
        conversation = ExportedConversation.model_validate(item)
    except ValidationError as exc:
        raise _where(where, exc) from None
    seen: set[Any] = set()
    for index, message in enumerate(conversation.messages):
        if message.id in seen:
            raise ImportInvalid(f"{where}.messages[{index}].id", "used twice")
        if message.parent_id is not None and message.parent_id not in seen:
            raise ImportInvalid(
                f"{where}.messages[{index}].parent_id",
                "not an earlier message of this conversation",
            )
        seen.add(message.id)
    return conversation


def read_conversations(
    upload: Upload, source: SourceFormat, now: datetime
) -> Iterator[ExportedConversation]:
    """Every conversation to import, validated, in file order (ChatGPT's empty ones skipped)."""
    prefix = "conversations.item" if source == "lockgate" else "item"
    base = "conversations" if source == "lockgate" else ""
    try:
        for index, item in enumerate(ijson.items(upload.rewind(), prefix)):
            where = f"{base}[{index}]"
            if source == "lockgate":
                yield _lockgate(item, where)
            else:
                converted = chatgpt.convert(item, where, now)
                if converted is not None:
                    yield converted
    except ijson.JSONError:
        raise ImportMalformed() from None
