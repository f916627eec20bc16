"""What an uploaded file must be before it is stored: a real, readable, bounded image.

The type comes from the bytes (their magic number, then the format's own header parser),
never from the file name or the Content-Type the browser sent: ``cat.png`` holding a PDF is
refused. The pixel count is read from the header and checked **before** anything is decoded,
so a 50,000 x 50,000 "decompression bomb" of a few kilobytes is refused at the cost of reading
its first bytes. ``verify()`` then walks the file's structure (PNG chunk CRCs, truncation)
without decoding pixels.

>>> sniff(b"%PDF-1.7 ...") is None
True
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from lockgate.attachments.errors import (
    AttachmentEmpty,
    AttachmentTooLarge,
    AttachmentUnreadable,
    NotAnImage,
    TooManyPixels,
)
from lockgate.vision.inputs import dimensions


@dataclass(frozen=True, slots=True)
class Limits:
    """Per file: bytes (``LOCKGATE_MAX_IMAGE_BYTES``) and pixels (``..._ATTACHMENT_PIXELS``)."""

    max_bytes: int
    max_pixels: int


@dataclass(frozen=True, slots=True)
class CheckedImage:
    mime_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type the magic number says (PNG, JPEG, GIF, WebP), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise AttachmentTooLarge(
            f"The image is over {limits.max_bytes} bytes (LOCKGATE_MAX_IMAGE_BYTES)."
        )


def check_image(data: bytes, limits: Limits) -> CheckedImage:
    """The image's verified type and size, or the refusal (see `lockgate.attachments.errors`)."""
    if not data:
        raise AttachmentEmpty()
    check_size(len(data), limits)
    magic = sniff(data)
    if magic is None:
        raise NotAnImage()
    found = dimensions(data)
    if found is None or found[0] != magic:
        raise AttachmentUnreadable()
    _, width, height = found
    if width < 1 or height < 1:
        raise AttachmentUnreadable()
    if width * height > limits.max_pixels:
        raise TooManyPixels(
            f"The image is {width} x {height} pixels; at most {limits.max_pixels} pixels are "
            "allowed (LOCKGATE_MAX_ATTACHMENT_PIXELS)."
        )
    _verify(data)
    return CheckedImage(magic, width, height)


def _verify(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "GIF", "WEBP")) as image:
            image.verify()
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError, EOFError) as exc:
        raise AttachmentUnreadable() from exc
    except Image.DecompressionBombError as exc:  # pragma: no cover - the pixel check is lower
        raise TooManyPixels(str(exc)) from exc
