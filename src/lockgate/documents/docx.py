"""DOCX text with the standard library: a zip read under a decompression bound, XML without DTDs.

No third-party parser: what we need is the paragraphs of ``word/document.xml``. The zip's
declared sizes are checked first (total and ratio), then the part is inflated in pieces while
counting, because a declared size can lie. A DOCX never carries a DTD; one that does is refused
before parsing, so entity expansion ("billion laughs") cannot happen.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from lockgate.documents.errors import DecompressionBomb, TypeMismatch, Unreadable
from lockgate.documents.parsing import Limits, check_length

DOCUMENT = "word/document.xml"
MAX_RATIO = 200  # real DOCX parts compress 5-20x; a part past this is a bomb
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_READ = 64 * 1024


def read_docx(file_name: str, data: bytes, limits: Limits) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise TypeMismatch(f"{file_name} is named .docx but is not a Word document.") from None
    with archive:
        try:
            info = archive.getinfo(DOCUMENT)
        except KeyError:
            raise TypeMismatch(f"{file_name} is a zip file, not a Word document.") from None
        bound = limits.max_decompressed_bytes
        declared = sum(i.file_size for i in archive.infolist())
        if (
            declared > bound
            or info.file_size > bound
            or info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            raise _bomb(file_name, bound)
        xml = _inflate(archive, info, file_name, bound)
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise Unreadable(f"{file_name} holds a document type declaration, which DOCX never does.")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        raise Unreadable(f"{file_name} is damaged (its text is not well-formed XML).") from None
    paragraphs = []
    chars = 0
    for paragraph in root.iter(f"{_W}p"):
        text = "".join(_runs(paragraph))
        chars += len(text) + 1
        check_length(file_name, chars, limits)
        paragraphs.append(text)
    return "\n".join(paragraphs)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, bound: int) -> bytes:
    out = bytearray()
    try:
        with archive.open(info) as part:
            while piece := part.read(_READ):
                out += piece
                if len(out) > bound:
                    raise _bomb(file_name, bound)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        # RuntimeError: an encrypted zip entry; NotImplementedError: an unknown compression
        raise Unreadable(f"{file_name} is damaged or uses an unsupported zip feature.") from None
    return bytes(out)


def _runs(paragraph: ElementTree.Element) -> list[str]:
    parts = []
    for element in paragraph.iter():
        if element.tag == f"{_W}t" and element.text:
            parts.append(element.text)
        elif element.tag == f"{_W}tab":
            parts.append("\t")
        elif element.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return parts


def _bomb(file_name: str, bound: int) -> DecompressionBomb:
    return DecompressionBomb(
        f"{file_name} decompresses to more than {bound:,} bytes (or far more than it weighs); "
        "it is refused as a zip bomb."
    )
