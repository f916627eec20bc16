"""Every refusal of an attachment, each with a stable code (the tree, for reading)::

AttachmentNotFound      404 attachment_not_found       not yours, or no such attachment
AttachmentEmpty         422 attachment_empty           zero bytes
AttachmentTooLarge      413 attachment_too_large       over LOCKGATE_MAX_IMAGE_BYTES
NotAnImage              415 attachment_not_an_image    bytes are not PNG, JPEG, GIF or WebP
AttachmentUnreadable    422 attachment_unreadable      right magic, broken or lying header
TooManyPixels           422 attachment_too_many_pixels over LOCKGATE_MAX_ATTACHMENT_PIXELS
QuotaExceeded           413 attachment_quota_exceeded  the user's files or bytes are used up
TooManyAttachments      422 too_many_attachments       over LOCKGATE_MAX_IMAGES_PER_REQUEST
AttachmentInUse         409 attachment_in_use          sent already (delete the conversation)
ModelCannotSeeImages    422 model_cannot_see_images    the model is not ``vision: true``
"""

from __future__ import annotations

from lockgate.errors import AppError, Conflict, NotFound, PayloadTooLarge, Unprocessable


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    message = "Attachment not found."


class AttachmentEmpty(Unprocessable):
    code = "attachment_empty"
    message = "The file is empty."


class AttachmentTooLarge(PayloadTooLarge):
    code = "attachment_too_large"


class NotAnImage(AppError):
    status = 415
    code = "attachment_not_an_image"
    message = "The file is not a PNG, JPEG, GIF or WebP image (whatever its name says)."


class AttachmentUnreadable(Unprocessable):
    code = "attachment_unreadable"
    message = "The image is damaged or incomplete and cannot be read."


class TooManyPixels(Unprocessable):
    code = "attachment_too_many_pixels"


class QuotaExceeded(PayloadTooLarge):
    code = "attachment_quota_exceeded"


class TooManyAttachments(Unprocessable):
    code = "too_many_attachments"


class AttachmentInUse(Conflict):
    code = "attachment_in_use"


class ModelCannotSeeImages(Unprocessable):
    code = "model_cannot_see_images"
