"""Real documents made in the test, byte by byte: PDFs (one text page each, optionally
compressed or encrypted), DOCX zips, and the bombs of both. Nothing is downloaded."""

from __future__ import annotations

import io
import textwrap
import zipfile
import zlib
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(pages: Sequence[str], *, compress: bool = False, padding: int = 0) -> bytes:
    """A valid PDF, one page per string (Helvetica, lines of at most 80 characters). ``padding``:
    that many spaces appended to each page's content stream (with ``compress``, a bomb)."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, text in enumerate(pages):
        lines = textwrap.wrap(text, 80) or [""]
        ops = "BT /F1 10 Tf 14 TL 40 800 Td " + " ".join(f"({_escape(x)}) '" for x in lines)
        content = (ops + " ET" + " " * padding).encode("latin-1")
        contents_ref = 5 + 2 * index
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
            f"<< /Font << /F1 3 0 R >> >> /Contents {contents_ref} 0 R >>".encode()
        )
        if compress:
            data = zlib.compress(content, 9)
            objects.append(
                f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
                + data
                + b"\nendstream"
            )
        else:
            objects.append(
                f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
            )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def encrypted_pdf(pages: Sequence[str], password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(pages))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(paragraphs: Sequence[str], *, prolog: str = "", padding: int = 0) -> bytes:
    """A minimal Word document; ``padding`` spaces inside the body (a zip bomb when large)."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document xmlns:w="{W}">'
        f"<w:body>{body}{' ' * padding}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()
