"""Parsing every supported kind, and refusing every bad input with its stable code."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest

from lockgate.documents.chunking import chunk
from lockgate.documents.parsing import Limits, Section, parse
from lockgate.errors import AppError
from tests.documents.files import docx, encrypted_pdf, pdf

LIMITS = Limits(max_pages=10, max_text_chars=100_000, max_decompressed_bytes=256 * 1024)


def refused(name: str, data: bytes, limits: Limits = LIMITS) -> AppError:
    with pytest.raises(AppError) as caught:
        parse(name, data, limits)
    return caught.value


def test_a_pdf_is_read_page_by_page() -> None:
    parsed = parse("report.pdf", pdf(["Revenue grew in spring.", "Costs fell in autumn."]), LIMITS)
    assert (parsed.kind, parsed.pages) == ("pdf", 2)
    assert [(s.page, s.text.strip()) for s in parsed.sections] == [
        (1, "Revenue grew in spring."),
        (2, "Costs fell in autumn."),
    ]


def test_a_compressed_pdf_is_read() -> None:
    parsed = parse("c.pdf", pdf(["Compressed words here."], compress=True), LIMITS)
    assert parsed.sections[0].text.strip() == "Compressed words here."


def test_an_encrypted_pdf_is_refused() -> None:
    error = refused("secret.pdf", encrypted_pdf(["Hidden"]))
    assert (error.status, error.code) == (422, "encrypted_pdf")


def test_a_pdf_stream_that_inflates_past_the_bound_is_a_bomb() -> None:
    bomb = pdf(["x"], compress=True, padding=4 * 1024 * 1024)
    assert len(bomb) < 20_000
    error = refused("bomb.pdf", bomb)
    assert (error.status, error.code) == (413, "decompression_bomb")


def test_many_small_streams_together_are_a_bomb() -> None:
    pages = pdf(["y"] * 8, compress=True, padding=48 * 1024)  # 8 x 48 KiB > 256 KiB
    error = refused("pages.pdf", pages)
    assert error.code == "decompression_bomb"


def test_too_many_pages_are_refused() -> None:
    error = refused("long.pdf", pdf(["p"] * 11))
    assert (error.status, error.code) == (413, "too_many_pages")


def test_a_pdf_name_on_text_bytes_is_a_mismatch() -> None:
    assert refused("fake.pdf", b"just some text").code == "file_type_mismatch"


def test_a_damaged_pdf_is_unreadable() -> None:
    assert refused("broken.pdf", b"%PDF-1.4\n garbage \x00\x01").code in (
        "unreadable_document",
        "no_text_found",
    )


def test_a_docx_is_read() -> None:
    parsed = parse("memo.docx", docx(["First point.", "Second point."]), LIMITS)
    assert parsed.kind == "docx"
    assert parsed.sections == [Section(None, "First point.\nSecond point.")]


def test_a_docx_zip_bomb_is_refused() -> None:
    error = refused("bomb.docx", docx(["a"], padding=2 * 1024 * 1024))
    assert (error.status, error.code) == (413, "decompression_bomb")


def test_a_docx_with_a_dtd_is_refused_before_parsing() -> None:
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol">]>'
    assert refused("lol.docx", docx(["&lol;"], prolog=laughs)).code == "unreadable_document"


def test_a_zip_that_is_not_a_word_document_is_a_mismatch() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert refused("notword.docx", buffer.getvalue()).code == "file_type_mismatch"


def test_a_password_protected_docx_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert refused("locked.docx", ole).code == "encrypted_document"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("script.py", b"\x7fELF\x02\x01\x01\x00"),
        ("latin.md", "café".encode("latin-1")),
        ("nul.txt", b"abc\x00def"),
    ],
    ids=["png-as-txt", "elf-as-py", "latin1-as-md", "nul-byte"],
)
def test_text_that_is_not_text_is_a_mismatch(name: str, data: bytes) -> None:
    assert refused(name, data).code == "file_type_mismatch"


def test_utf16_with_a_bom_is_text() -> None:
    parsed = parse("w.txt", "\ufeffhello world".encode("utf-16"), LIMITS)
    assert parsed.sections[0].text.strip("\ufeff") == "hello world"


def test_an_empty_file_is_refused() -> None:
    assert refused("empty.md", b"").code == "empty_file"


def test_whitespace_only_has_no_text() -> None:
    assert refused("blank.txt", b"  \n\n  ").code == "no_text_found"


def test_an_unsupported_type_is_refused() -> None:
    error = refused("tool.exe", b"MZ\x90\x00")
    assert (error.status, error.code) == (422, "unsupported_file_type")


def test_text_past_the_character_limit_is_refused() -> None:
    limits = Limits(max_pages=10, max_text_chars=1000, max_decompressed_bytes=256 * 1024)
    assert refused("big.txt", b"word " * 300, limits).code == "document_too_long"


def test_code_files_are_text() -> None:
    assert parse("main.go", b"package main\n", LIMITS).kind == "code"
    assert parse("Dockerfile", b"FROM scratch\n", LIMITS).kind == "code"


def test_chunks_overlap_stay_in_bounds_and_keep_their_page() -> None:
    words = " ".join(f"w{i}" for i in range(600))
    chunks = chunk([Section(4, words)], size=500, overlap=100)
    assert len(chunks) > 4
    assert all(len(c.text) <= 500 and c.page == 4 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        assert before.text.split()[-1] in after.text.split()[:30]  # the cut is covered
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    joined = {w for c in chunks for w in c.text.split()}
    assert joined == set(words.split())


def test_chunks_never_span_pages() -> None:
    chunks = chunk([Section(1, "a " * 10), Section(2, "b " * 10)], size=500, overlap=100)
    assert [(c.page, c.text[0]) for c in chunks] == [(1, "a"), (2, "b")]
