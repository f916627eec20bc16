"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from lockgate.db.base import Base
from lockgate.models.api_key import ApiKey
from lockgate.models.audit import AuditEntry
from lockgate.models.conversation import Conversation, Message, MessageRole, MessageStatus
from lockgate.models.image import Image
from lockgate.models.stored_response import StoredResponse
from lockgate.models.usage import UsageKind, UsageOutcome, UsageRecord
from lockgate.models.usage_daily import UsageDaily
from lockgate.models.user import Invite, User, UserSession
from lockgate.models.user_limits import UserLimitOverride

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Conversation",
    "Image",
    "Invite",
    "Message",
    "MessageRole",
    "MessageStatus",
    "StoredResponse",
    "UsageDaily",
    "UsageKind",
    "UsageOutcome",
    "UsageRecord",
    "User",
    "UserLimitOverride",
    "UserSession",
]
