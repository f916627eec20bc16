"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from lockgate.db.base import Base
from lockgate.models.api_key import ApiKey
from lockgate.models.conversation import Conversation, Message, MessageRole, MessageStatus
from lockgate.models.image import Image
from lockgate.models.share import Share, ShareMessage
from lockgate.models.stored_response import StoredResponse
from lockgate.models.usage import UsageKind, UsageOutcome, UsageRecord
from lockgate.models.user import Invite, User, UserSession

__all__ = [
    "ApiKey",
    "Base",
    "Conversation",
    "Image",
    "Invite",
    "Message",
    "MessageRole",
    "MessageStatus",
    "Share",
    "ShareMessage",
    "StoredResponse",
    "UsageKind",
    "UsageOutcome",
    "UsageRecord",
    "User",
    "UserSession",
]
