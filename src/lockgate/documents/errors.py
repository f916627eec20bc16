"""Why a document was refused, each with a stable code (the UI shows the message).

    AppError
     ├── PayloadTooLarge (413)   file_too_large, too_many_files, document_quota_exceeded,
     │                           too_many_pages, document_too_long, decompression_bomb
     ├── Unprocessable (422)     empty_file, unsupported_file_type, file_type_mismatch,
     │                           encrypted_pdf, encrypted_document,
 │                           unreadable_document, no_text_found
     └── NotFound (404)          document_not_found, passage_not_found

Nothing of a refused upload is stored: every check runs before the one commit.
"""

from __future__ import annotations

from lockgate.errors import NotFound, PayloadTooLarge, Unprocessable


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "Document not found."


class PassageNotFound(NotFound):
    code = "passage_not_found"
    message = "That passage no longer exists (its document was deleted)."


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"


class TooManyFiles(PayloadTooLarge):
    code = "too_many_files"


class QuotaExceeded(PayloadTooLarge):
    code = "document_quota_exceeded"


class TooManyPages(PayloadTooLarge):
    code = "too_many_pages"


class DocumentTooLong(PayloadTooLarge):
    code = "document_too_long"


class DecompressionBomb(PayloadTooLarge):
    code = "decompression_bomb"


class EmptyFile(Unprocessable):
    code = "empty_file"


class UnsupportedType(Unprocessable):
    code = "unsupported_file_type"


class TypeMismatch(Unprocessable):
    code = "file_type_mismatch"


class EncryptedPdf(Unprocessable):
    code = "encrypted_pdf"


class Unreadable(Unprocessable):
    code = "unreadable_document"


class NoText(Unprocessable):
    code = "no_text_found"


class EncryptedDocument(Unprocessable):
    code = "encrypted_document"
