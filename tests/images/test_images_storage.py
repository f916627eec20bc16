"""Image files: magic-number checks, atomic writes, safe names, and cleanup when a write fails."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from PIL import Image as PILImage

from lockgate.images.schemas import ImageGenerate
from lockgate.images.service import ImageService, StorageFailed, verify
from lockgate.images.storage import ImageStorage, sniff_mime
from lockgate.providers.base import GeneratedImage
from lockgate.providers.errors import ProviderBadResponse
from lockgate.state import AppState


def encoded(fmt: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_sniff_recognises_the_formats_we_store(fmt: str, mime: str) -> None:
    assert sniff_mime(encoded(fmt)) == mime


@pytest.mark.parametrize("data", [b"", b"GIF89a...", b"<svg xmlns='http://www.w3.org/2000/svg'/>"])
def test_sniff_refuses_anything_else(data: bytes) -> None:
    assert sniff_mime(data) is None


@pytest.mark.parametrize(
    "image",
    [
        GeneratedImage(data=encoded("JPEG"), mime_type="image/png"),
        GeneratedImage(data=b"<svg/>", mime_type="image/svg+xml"),
        GeneratedImage(data=b"<html>", mime_type="image/png"),
    ],
)
def test_verify_refuses_bytes_that_are_not_the_declared_type(image: GeneratedImage) -> None:
    with pytest.raises(ProviderBadResponse):
        verify([image], 1, provider="sim")


def test_verify_refuses_more_images_than_asked() -> None:
    png = GeneratedImage(data=encoded("PNG"), mime_type="image/png")
    with pytest.raises(ProviderBadResponse):
        verify([png, png], 1, provider="sim")


async def test_write_leaves_only_the_final_file(tmp_path: Path) -> None:
    storage = ImageStorage(tmp_path / "images")
    image_id = uuid.uuid4()
    name = await storage.write(image_id, "image/webp", b"data")
    assert (name, sorted(p.name for p in storage.root.iterdir())) == (
        f"{image_id}.webp",
        [f"{image_id}.webp"],
    )


@pytest.mark.parametrize(
    "name",
    ["../x.png", "a.png", f"{uuid.uuid4()}.png/../../etc"],
    ids=["parent", "not-ours", "ours-then-escape"],  # stable ids: the same tests in every worker
)
def test_paths_refuse_names_we_did_not_make(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not an image file name"):
        ImageStorage(tmp_path).path(name)


class FailingStorage(ImageStorage):
    """Fails the `fail_at`-th write (0-based) as a full disk would."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root)
        self.fail_at = fail_at
        self.writes = 0

    async def write(self, image_id: uuid.UUID, mime_type: str, data: bytes) -> str:
        if self.writes == self.fail_at:
            raise OSError(28, "No space left on device")
        self.writes += 1
        return await super().write(image_id, mime_type, data)


async def test_a_failed_write_removes_the_files_already_written(
    state: AppState, tmp_path: Path
) -> None:
    storage = FailingStorage(tmp_path / "images", fail_at=2)
    async with state.sessionmaker() as db:
        service = ImageService(
            db,
            clock=state.clock,
            gate=state.gate,
            models=state.config.file.models,
            providers=state.providers,
            storage=storage,
        )
        with pytest.raises(StorageFailed):
            await service.generate(uuid.uuid4(), ImageGenerate(prompt="fox", n=3, size="256x256"))
    assert (storage.writes, list(storage.root.iterdir())) == (2, [])
