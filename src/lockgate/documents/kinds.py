"""What a file is: its kind from the name, checked against its bytes.

The name proposes, the bytes decide. A ``.pdf`` must start like a PDF, a ``.docx`` like a zip, and
a text or code file must decode as text and carry no binary signature: an executable renamed
``notes.txt`` is ``file_type_mismatch``, not a page of mojibake sent to a model.
"""

from __future__ import annotations

import codecs
from pathlib import PurePosixPath

from lockgate.documents.errors import EncryptedDocument, TypeMismatch, UnsupportedType

MARKDOWN = frozenset({".md", ".markdown", ".mdx"})
TEXT = frozenset({".txt", ".text", ".log", ".csv", ".tsv", ".rst", ".adoc", ".org", ".tex"})
CODE = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".kts",
        ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".rb", ".php",
        ".swift", ".scala", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".r", ".lua", ".pl", ".dart",
        ".ex", ".exs", ".erl", ".hs", ".ml", ".clj", ".vue", ".svelte", ".html", ".htm", ".css",
        ".scss", ".less", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf",
        ".xml", ".proto", ".graphql", ".tf", ".gradle", ".cmake", ".mk", ".dockerfile",
    }
)  # fmt: skip
CODE_NAMES = frozenset({"dockerfile", "makefile", "justfile", "gemfile", "rakefile", "procfile"})

# Signatures of binary formats a text file must not start with.
_BINARY = (
    b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"\x7fELF",
    b"\xd0\xcf\x11\xe0", b"\x1f\x8b", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!\x1a", b"\x00asm",
    b"OggS", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"SQLite format 3\x00",
)  # fmt: skip
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Office file encrypted with a password is one
SUPPORTED = "PDF, DOCX, Markdown, plain text and source code"


def kind_of(file_name: str) -> str:
    """``pdf`` / ``docx`` / ``markdown`` / ``text`` / ``code`` from the name, or refused."""
    path = PurePosixPath(file_name.replace("\\", "/"))
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    if suffix in MARKDOWN:
        return "markdown"
    if suffix in TEXT:
        return "text"
    if suffix in CODE or path.name.lower() in CODE_NAMES:
        return "code"
    shown = suffix or "a file without an extension"
    raise UnsupportedType(f"{file_name}: {shown} files are not supported ({SUPPORTED} are).")


def check_signature(file_name: str, kind: str, data: bytes) -> None:
    """Refuse bytes that are not what the name says."""
    if kind == "pdf":
        if b"%PDF-" not in data[:1024]:  # the header may follow up to 1 KiB of junk
            raise TypeMismatch(f"{file_name} is named .pdf but is not a PDF file.")
    elif kind == "docx":
        if data.startswith(_OLE):
            raise EncryptedDocument(
                f"{file_name} is password-protected; remove the password and upload it again."
            )
        if not data.startswith(b"PK\x03\x04"):
            raise TypeMismatch(f"{file_name} is named .docx but is not a Word document.")
    elif data.startswith(_BINARY) or (b"\x00" in data[:8192] and not _utf16_bom(data)):
        raise TypeMismatch(f"{file_name} is not a text file (its content is binary).")


def decode_text(file_name: str, data: bytes) -> str:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else is refused rather
    than guessed, so what the model reads is what the file says."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if _utf16_bom(data):
            return data.decode("utf-16")
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TypeMismatch(
            f"{file_name} is not UTF-8 text; save it as UTF-8 and upload it again."
        ) from None
    if "\x00" in text:
        raise TypeMismatch(f"{file_name} is not a text file (its content is binary).")
    return text


def _utf16_bom(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
