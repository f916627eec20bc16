"""The refusals of an image in a message, each with a stable code and the field it is about.

``param`` names the field (OpenAI's ``param``; under ``/v1/messages`` it is in the message)."""

from __future__ import annotations

from lockgate.errors import BadRequest, PayloadTooLarge


class ImageRefused(BadRequest):
    """400 ``invalid_image``: not an image Lockgate can pass on (not base64, not PNG, JPEG,
    GIF or WebP, a media type that does not match the bytes, a URL that is not http(s))."""

    code = "invalid_image"

    def __init__(self, message: str, param: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.param = param


class TooManyImages(ImageRefused):
    code = "too_many_images"


class ImagesNotSupported(ImageRefused):
    """400 ``images_not_supported``: the model is not configured with ``vision: true``."""

    code = "images_not_supported"


class ImageTooLarge(PayloadTooLarge):
    """413 ``image_too_large``: an inline image over ``LOCKGATE_MAX_IMAGE_BYTES``."""

    code = "image_too_large"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param
