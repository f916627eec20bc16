"""Bytes in, text out: the sections of a document (a PDF's pages, or the whole text), bounded.

Runs in a worker thread (`parse` is synchronous and CPU-bound). Every format is read under the
same limits (`Limits`): pages, extracted characters, and bytes decompressed — a small file that
inflates to gigabytes is a bomb, refused before it is inflated::

    parsed = parse("report.pdf", data, Limits.of(config))
    parsed.sections[0]          # Section(page=1, text='Quarterly results …')
"""

from __future__ import annotations

from dataclasses import dataclass

from lockgate.documents.errors import DocumentTooLong, EmptyFile, NoText
from lockgate.documents.kinds import check_signature, decode_text, kind_of
from lockgate.documents_settings import DocumentsConfig


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int
    max_text_chars: int
    max_decompressed_bytes: int

    @classmethod
    def of(cls, config: DocumentsConfig) -> Limits:
        return cls(config.max_pages, config.max_text_chars, config.max_decompressed_bytes)


@dataclass(frozen=True, slots=True)
class Section:
    page: int | None  # 1-based page of a PDF; None where a format has no pages
    text: str


@dataclass(frozen=True, slots=True)
class Parsed:
    kind: str
    pages: int | None
    sections: list[Section]


def parse(file_name: str, data: bytes, limits: Limits) -> Parsed:
    """The document's text; an `AppError` (stable code) for anything that cannot be read."""
    kind = kind_of(file_name)
    if not data:
        raise EmptyFile(f"{file_name} is empty.")
    check_signature(file_name, kind, data)
    pages: int | None = None
    if kind == "pdf":
        from lockgate.documents.pdf import read_pdf  # pypdf is imported only when needed

        pages, sections = read_pdf(file_name, data, limits)
    elif kind == "docx":
        from lockgate.documents.docx import read_docx

        sections = [Section(None, read_docx(file_name, data, limits))]
    else:
        text = decode_text(file_name, data)
        check_length(file_name, len(text), limits)
        sections = [Section(None, text)]
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        what = "scanned pages without a text layer?" if kind == "pdf" else "only whitespace"
        raise NoText(f"{file_name} holds no text to read ({what}).")
    return Parsed(kind, pages, sections)


def check_length(file_name: str, chars: int, limits: Limits) -> None:
    if chars > limits.max_text_chars:
        raise DocumentTooLong(
            f"{file_name} holds more than {limits.max_text_chars:,} characters of text; "
            "split it into smaller files."
        )
