"""The import's failures, each with a stable code. Nothing is imported when any is raised.

::

    ImportEmpty (400)              import_empty               an empty file
    ImportNotUTF8 (400)            import_not_utf8            bytes that are not UTF-8
    ImportMalformed (400)          import_malformed_json      not JSON (or cut short)
    BadZip (400, unzip.py)         import_bad_zip             a zip that cannot be read
    ImportTooLarge (413)           payload_too_large          over max_import_bytes
    TooManyConversations (413)     import_too_many_conversations
    TooManyMessages (413)          import_too_many_messages
    UnknownFormat (422)            import_unknown_format      JSON, but neither format
    UnsupportedVersion (422)       import_unsupported_version from a newer Lockgate
    ImportInvalid (422)            import_invalid             a wrong field (the message says where)
"""

from __future__ import annotations

from lockgate.errors import BadRequest, PayloadTooLarge, Unprocessable


class ImportEmpty(BadRequest):
    code = "import_empty"
    message = "The file is empty."


class ImportNotUTF8(BadRequest):
    code = "import_not_utf8"
    message = "The file is not UTF-8 text; export it again or save it as UTF-8."


class ImportMalformed(BadRequest):
    code = "import_malformed_json"
    message = "The file is not valid JSON (it may be cut short)."


class ImportTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the import limit of {limit // (1024 * 1024)} MiB "
            f"({limit} bytes); split it or ask the operator to raise LOCKGATE_MAX_IMPORT_BYTES."
        )


class TooManyConversations(PayloadTooLarge):
    code = "import_too_many_conversations"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file holds more than {limit} conversations, the import limit.")


class TooManyMessages(PayloadTooLarge):
    code = "import_too_many_messages"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The file holds more than {limit} messages, the import limit.")


class UnknownFormat(Unprocessable):
    code = "import_unknown_format"
    message = (
        "This is JSON, but neither a Lockgate export nor ChatGPT's conversations.json "
        "(a list of conversations with a 'mapping')."
    )


class UnsupportedVersion(Unprocessable):
    code = "import_unsupported_version"

    def __init__(self, version: object, supported: int) -> None:
        super().__init__(
            f"This Lockgate export has version {version!r}; this server reads version "
            f"{supported}. Update the server, or export again from it."
        )


class ImportInvalid(Unprocessable):
    """A field is missing or wrong; the message names where (``conversations[2].messages[0]``)."""

    code = "import_invalid"

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
