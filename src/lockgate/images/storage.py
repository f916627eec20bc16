"""Generated image files: ``<data_dir>/images/<image uuid>.<ext>`` (`lockgate.files`), and the
types the bytes' magic number says.
"""

from __future__ import annotations

from lockgate.files import FileStore

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def sniff_mime(data: bytes) -> str | None:
    """The MIME type the bytes' magic number says, among the ones we store.

    >>> sniff_mime(b"\\x89PNG\\r\\n\\x1a\\n...")
    'image/png'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageStorage(FileStore):
    extensions = EXTENSIONS
    kind = "an image"
