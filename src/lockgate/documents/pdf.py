"""PDF text with pypdf (BSD-3), page by page, under limits on every decompression.

pypdf bounds each stream's decompressed size by its `Configuration`; we set those bounds to
``max_decompressed_bytes`` for the parse (a context variable, so only this thread's parse sees
them) and also count the content streams of all pages together, so a thousand small bombs are
one bomb. An encrypted PDF opens only when its user password is empty (a PDF restricted by an
owner password alone is readable by anyone, and is read); otherwise it is ``encrypted_pdf``.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError

from lockgate.documents.errors import DecompressionBomb, EncryptedPdf, TooManyPages, Unreadable
from lockgate.documents.parsing import Limits, Section, check_length
from lockgate.errors import AppError


def read_pdf(file_name: str, data: bytes, limits: Limits) -> tuple[int, list[Section]]:
    bound = limits.max_decompressed_bytes
    bomb = DecompressionBomb(
        f"{file_name} decompresses to more than {bound:,} bytes; it is refused as a "
        "decompression bomb."
    )
    with apply_configuration(
        maximum_declared_stream_length=bound,
        array_based_stream_maximum_output_length=bound,
        zlib_maximum_output_length=bound,
        lzw_maximum_output_length=bound,
        run_length_maximum_output_length=bound,
        jbig2_maximum_output_length=bound,
        brotli_maximum_output_length=bound,
        image_maximum_buffer_size=bound,
        stream_decoding_work_maximum_length=bound * 2,
        xmp_maximum_input_length=min(bound, 5_000_000),
    ):
        try:
            return _read(file_name, data, limits)
        except LimitReachedError:
            raise bomb from None
        except _Bomb:
            raise bomb from None
        except AppError:
            raise
        except FileNotDecryptedError:
            raise _encrypted(file_name) from None
        except RecursionError:
            raise Unreadable(f"{file_name} is nested too deeply to be read as a PDF.") from None
        except Exception as exc:  # pypdf on hostile input can raise anything
            # A damaged file is the uploader's problem to fix, never a 500: say so, stably.
            raise Unreadable(
                f"{file_name} could not be read as a PDF ({type(exc).__name__})."
            ) from None


class _Bomb(Exception):
    """The content streams of all pages together passed the bound."""


def _read(file_name: str, data: bytes, limits: Limits) -> tuple[int, list[Section]]:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise _encrypted(file_name)
    count = len(reader.pages)
    if count > limits.max_pages:
        raise TooManyPages(
            f"{file_name} has {count:,} pages; at most {limits.max_pages:,} can be read."
        )
    sections: list[Section] = []
    decoded = chars = 0
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        if contents is not None:
            decoded += len(contents.get_data())
            if decoded > limits.max_decompressed_bytes:
                raise _Bomb
        text = page.extract_text() or ""
        chars += len(text)
        check_length(file_name, chars, limits)
        sections.append(Section(number, text))
    return count, sections


def _encrypted(file_name: str) -> EncryptedPdf:
    return EncryptedPdf(
        f"{file_name} is encrypted with a password; remove the password and upload it again."
    )
