"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from lockgate.db.base import Base
from lockgate.models.api_key import ApiKey
from lockgate.models.attachment import Attachment, MessageAttachment
from lockgate.models.audit import AuditEntry
from lockgate.models.conversation import Conversation, Message, MessageRole, MessageStatus
from lockgate.models.document import Document, DocumentChunk, DocumentStatus, MessageSource
from lockgate.models.folder import Folder
from lockgate.models.image import Image
from lockgate.models.oidc_identity import OidcIdentity
from lockgate.models.preset import Preset
from lockgate.models.prompt import Prompt
from lockgate.models.search import MessageEmbedding
from lockgate.models.share import Share, ShareMessage
from lockgate.models.stored_response import StoredResponse
from lockgate.models.team import ProviderLimits, Team, TeamMember, TeamRole, UserLimits
from lockgate.models.usage import UsageKind, UsageOutcome, UsageRecord
from lockgate.models.usage_daily import UsageDaily
from lockgate.models.user import Invite, User, UserSession

__all__ = [
    "ApiKey",
    "Attachment",
    "AuditEntry",
    "Base",
    "Conversation",
    "Document",
    "DocumentChunk",
    "DocumentStatus",
    "Folder",
    "Image",
    "Invite",
    "Message",
    "MessageAttachment",
    "MessageEmbedding",
    "MessageRole",
    "MessageSource",
    "MessageStatus",
    "OidcIdentity",
    "Preset",
    "Prompt",
    "ProviderLimits",
    "Share",
    "ShareMessage",
    "StoredResponse",
    "Team",
    "TeamMember",
    "TeamRole",
    "UsageDaily",
    "UsageKind",
    "UsageOutcome",
    "UsageRecord",
    "User",
    "UserLimits",
    "UserSession",
]
