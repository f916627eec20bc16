"""Reading an image from a request: inline bytes checked from their header alone, URLs passed
on and never fetched, and the operator's caps."""

from __future__ import annotations

import base64
import io
import struct
import time
import zlib

import pytest
from PIL import Image

from lockgate.providers.image_tokens import rule_for
from lockgate.vision.errors import ImageRefused, ImageTooLarge, TooManyImages
from lockgate.vision.inputs import (
    ImageLimits,
    dimensions,
    images_tokens,
    read_base64,
    read_data_url,
    read_url,
)

LIMITS = ImageLimits(max_images=2, max_bytes=64 * 1024)


def encoded(fmt: str, width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A PNG header claiming a huge image, with no pixel data at all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_dimensions_of_each_format(fmt: str, media_type: str) -> None:
    assert dimensions(encoded(fmt, 300, 200)) == (media_type, 300, 200)


def test_a_huge_image_is_measured_from_its_header_without_decoding() -> None:
    data = base64.b64encode(huge_png(20_000, 30_000)).decode()
    started = time.perf_counter()
    image = read_base64("image/png", data, LIMITS, "image")
    assert time.perf_counter() - started < 0.5  # 600 MP decoded would take far longer
    assert (image.width, image.height) == (20_000, 30_000)
    assert image.tokens(rule_for("gpt-4o", None)) == 1105  # its shape decides: 2x3 tiles
    assert image.tokens(rule_for("claude-opus-4-5", None)) == 1667  # the most


def test_a_data_url_is_read_and_its_bytes_are_not_prompt_text() -> None:
    raw = encoded("PNG", 64, 32)
    url = f"data:image/png;base64,{base64.b64encode(raw).decode()}"
    image = read_data_url(url, LIMITS, "image_url", low=True)
    assert (image.media_type, image.size, image.width, image.height) == (
        "image/png",
        len(raw),
        64,
        32,
    )
    assert (image.low_detail, image.encoded, image.data_url) == (True, len(url), url)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("data:image/png,plain", "data:<image type>;base64"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        (f"data:image/png;base64,{base64.b64encode(b'hello, not an image').decode()}", "not a PNG"),
        ("data:text/plain;base64,aGVsbG8=", "media type 'text/plain'"),
        (
            f"data:image/png;base64,{base64.b64encode(encoded('JPEG', 8, 8)).decode()}",
            "declared as image/png but its bytes are image/jpeg",
        ),
        ("file:///etc/passwd", "https://"),
        ("ftp://example.com/x.png", "https://"),
        ("javascript:alert(1)", "https://"),
    ],
)
def test_what_is_not_an_image_is_refused(url: str, fragment: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        read_data_url(url, LIMITS, "messages[0].content[0].image_url.url")
    assert refused.value.status == 400
    assert fragment in refused.value.message
    assert refused.value.param == "messages[0].content[0].image_url.url"


def test_an_inline_image_over_the_cap_is_413() -> None:
    data = base64.b64encode(b"\x00" * (LIMITS.max_bytes + 10)).decode()
    with pytest.raises(ImageTooLarge) as large:
        read_base64("image/png", data, LIMITS, "image")
    assert (large.value.status, large.value.code) == (413, "image_too_large")


def test_a_url_is_kept_as_it_is() -> None:
    image = read_url("https://images.example/a.png?sig=1", "image")
    assert (image.url, image.width, image.data_url) == (
        "https://images.example/a.png?sig=1",
        None,
        "https://images.example/a.png?sig=1",
    )
    assert image.tokens(rule_for("gpt-4o", None)) == 1445  # unknown size: the most


def test_count_cap() -> None:
    LIMITS.check_count(2)
    with pytest.raises(TooManyImages) as many:
        LIMITS.check_count(3)
    assert (many.value.status, many.value.code) == (400, "too_many_images")


def test_images_tokens_sums_each_images_bound() -> None:
    small = read_base64(
        "image/png", base64.b64encode(encoded("PNG", 512, 512)).decode(), LIMITS, "i"
    )
    unseen = read_url("https://images.example/b.png", "i")
    assert images_tokens([small, unseen], "gpt-4o", None) == 255 + 1445
    assert images_tokens([], "gpt-4o", None) == 0


def test_a_header_past_the_first_kilobytes_is_still_found() -> None:
    """A JPEG whose metadata (here a 200 kB ICC profile) comes before its size."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240)).save(buffer, "JPEG", icc_profile=b"\x00" * 200_000)
    data = base64.b64encode(buffer.getvalue()).decode()
    limits = ImageLimits(max_bytes=1024 * 1024)
    image = read_base64("image/jpeg", data, limits, "image")
    assert (image.width, image.height, image.size) == (320, 240, len(buffer.getvalue()))


def test_only_the_header_of_a_large_image_is_decoded() -> None:
    raw = encoded("PNG", 64, 64) + b"\x00" * 3_000_000  # trailing bytes stand for pixel data
    data = base64.b64encode(raw).decode()
    limits = ImageLimits(max_bytes=4 * 1024 * 1024)
    started = time.perf_counter()
    for _ in range(20):
        image = read_base64("image/png", data, limits, "image")
    assert (time.perf_counter() - started) / 20 < 0.01  # a whole decode takes far longer
    assert (image.size, image.width) == (len(raw), 64)
