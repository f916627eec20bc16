"""One image in a message, as read from a request: a URL passed on, or inline bytes checked.

Lockgate **never fetches a URL a client sent** (that would let any key holder make the server
request internal addresses): an ``https://`` image goes to the upstream as it came, and its
token bound is the model's worst case. An inline image (an OpenAI ``data:`` URL, an Anthropic
``base64`` source) is decoded once to check that it is what it claims: PNG, JPEG, GIF or WebP,
its declared media type matching its bytes, at most ``max_image_bytes``. Its width and height
come from the format's header alone (Pillow's plugin classes parse the header and decode
nothing, so a 20,000 x 30,000 PNG costs the same as a thumbnail; only the first 48 KiB of the
base64 is decoded for it), and give a tighter bound.

>>> image = read_data_url("data:image/png;base64,iVBORw0KGgo=", ImageLimits(), "image_url")
Traceback (most recent call last):
lockgate.vision.errors.ImageRefused: image_url: the data is not a PNG, JPEG, GIF or WebP image.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import GifImagePlugin, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from lockgate.providers.image_tokens import ImageTokenRule, image_tokens, rule_for
from lockgate.vision.errors import ImageRefused, ImageTooLarge, TooManyImages

MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Each format's header parser; constructing one reads the header and decodes no pixel.
_PARSERS: tuple[tuple[str, Callable[[io.BytesIO], ImageFile.ImageFile]], ...] = (
    ("image/png", PngImagePlugin.PngImageFile),
    ("image/jpeg", JpegImagePlugin.JpegImageFile),
    ("image/gif", GifImagePlugin.GifImageFile),
    ("image/webp", WebPImagePlugin.WebPImageFile),
)
_URL_SCHEMES = ("https://", "http://")
HEADER_CHARS = 4 * 16 * 1024  # base64 characters read for the header: 48 KiB of image
MAX_URL_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """The operator's caps (``LOCKGATE_MAX_IMAGES_PER_REQUEST``, ``LOCKGATE_MAX_IMAGE_BYTES``)."""

    max_images: int = 20
    max_bytes: int = 5 * 1024 * 1024

    def check_count(self, count: int) -> None:
        if count > self.max_images:
            raise TooManyImages(
                f"The request has {count} images; at most {self.max_images} are allowed."
            )


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image as the upstream will get it. ``url`` for a passed-on URL; ``media_type`` and
    ``data`` (base64) for an inline one, with its decoded ``size`` and, when its header could be
    read, ``width``/``height``. ``encoded`` is how many bytes of the request body it took (they
    are not text tokens: the prompt bound counts the image by its token bound instead)."""

    url: str | None = None
    media_type: str | None = None
    data: str | None = None
    size: int = 0
    width: int | None = None
    height: int | None = None
    low_detail: bool = False
    encoded: int = 0

    @property
    def data_url(self) -> str:
        return self.url if self.url is not None else f"data:{self.media_type};base64,{self.data}"

    def tokens(self, rule: ImageTokenRule) -> int:
        """The most this image can cost on a model with this rule."""
        return image_tokens(rule, self.width, self.height, low_detail=self.low_detail)

    def describe(self) -> str:
        """A short text stand-in, for a provider that only takes text (the simulated one)."""
        if self.url is not None:
            return "[image]"
        size = f" {self.width}x{self.height}" if self.width and self.height else ""
        return f"[image {self.media_type}{size}]"


def dimensions(raw: bytes) -> tuple[str, int, int] | None:
    """(media type, width, height) from the header of PNG/JPEG/GIF/WebP bytes, else None."""
    for media_type, parser in _PARSERS:
        try:
            with parser(io.BytesIO(raw)) as image:
                width, height = image.size
        except (SyntaxError, OSError, ValueError, IndexError, EOFError, TypeError):
            continue
        return media_type, width, height
    return None


def _decode(data: str, where: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRefused(f"{where}: the image data is not valid base64.", where) from None


def _header(data: str, where: str) -> tuple[str, int, int] | None:
    """The image's (type, width, height) from its first `HEADER_CHARS` of base64 (decoding a
    5 MB photo whole costs ~100 ms of CPU on a small machine, its header microseconds); the
    whole payload only when the header lies further in (a JPEG with large metadata). The rest
    is passed on as it came: an upstream refuses base64 that is broken past the header."""
    found = dimensions(_decode(data[:HEADER_CHARS], where))
    if found is None and len(data) > HEADER_CHARS:
        found = dimensions(_decode(data, where))
    return found


def read_base64(
    media_type: object, data: object, limits: ImageLimits, where: str, *, low: bool = False
) -> ImageInput:
    """An inline image: `data` is base64 of an image of the declared `media_type`."""
    if media_type not in MEDIA_TYPES:
        raise ImageRefused(
            f"{where}: media type {media_type!r} is not one of {', '.join(MEDIA_TYPES)}.", where
        )
    if not isinstance(data, str) or not data:
        raise ImageRefused(f"{where}: the image data must be a non-empty base64 string.", where)
    if not data.isascii() or len(data) % 4:
        raise ImageRefused(f"{where}: the image data is not valid base64.", where)
    size = len(data) // 4 * 3 - (2 if data.endswith("==") else 1 if data.endswith("=") else 0)
    if size > limits.max_bytes:
        raise ImageTooLarge(
            f"{where}: the image is {size} bytes; at most {limits.max_bytes} are allowed "
            "(LOCKGATE_MAX_IMAGE_BYTES).",
            where,
        )
    found = _header(data, where)
    if found is None:
        raise ImageRefused(f"{where}: the data is not a PNG, JPEG, GIF or WebP image.", where)
    actual, width, height = found
    if actual != media_type:
        raise ImageRefused(
            f"{where}: the image is declared as {media_type} but its bytes are {actual}.", where
        )
    return ImageInput(
        media_type=actual,
        data=data,
        size=size,
        width=width,
        height=height,
        low_detail=low,
        encoded=len(data),
    )


def read_url(url: object, where: str, *, low: bool = False) -> ImageInput:
    """A URL image, passed on and never fetched; only ``https://`` and ``http://``."""
    if not isinstance(url, str) or not url.lower().startswith(_URL_SCHEMES):
        raise ImageRefused(f"{where}: an image URL must be an https:// (or http://) URL.", where)
    if len(url) > MAX_URL_LENGTH:
        raise ImageRefused(f"{where}: the image URL is over {MAX_URL_LENGTH} characters.", where)
    return ImageInput(url=url, low_detail=low, encoded=len(url))


def read_data_url(url: object, limits: ImageLimits, where: str, *, low: bool = False) -> ImageInput:
    """An OpenAI ``image_url``: a ``data:<type>;base64,<data>`` URL, or an http(s) URL."""
    if not isinstance(url, str) or not url.startswith("data:"):
        return read_url(url, where, low=low)
    header, comma, data = url.partition(",")
    media_type, _, encoding = header.removeprefix("data:").partition(";")
    if not comma or encoding != "base64":
        raise ImageRefused(f"{where}: a data URL must be data:<image type>;base64,<data>.", where)
    image = read_base64(media_type.lower(), data, limits, where, low=low)
    return ImageInput(
        media_type=image.media_type,
        data=image.data,
        size=image.size,
        width=image.width,
        height=image.height,
        low_detail=low,
        encoded=len(url),
    )


def images_tokens(images: Sequence[ImageInput], upstream: str, configured: int | None) -> int:
    """The most `images` can cost on the upstream model `upstream` (whose configured
    ``max_image_tokens`` is `configured`): the budget adds it to the prompt bound."""
    if not images:
        return 0
    rule = rule_for(upstream, configured)
    return sum(image.tokens(rule) for image in images)
