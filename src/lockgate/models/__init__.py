"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from lockgate.db.base import Base
from lockgate.models.conversation import Conversation, Message, MessageRole, MessageStatus
from lockgate.models.user import Invite, User, UserSession

__all__ = [
    "Base",
    "Conversation",
    "Invite",
    "Message",
    "MessageRole",
    "MessageStatus",
    "User",
    "UserSession",
]
