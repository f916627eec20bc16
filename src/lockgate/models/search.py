"""What the search indexer has embedded: one row per message it has put in the vector index.

The vectors live in the vector store (a file in the data dir, or the cache Redis); this row is the
database's memory of them, so the indexer is restart-safe: a message without a row (or with a row
of another embedder, whose vectors cannot be compared with the current one's) is embedded again by
the next sweep. Deleting a message or its conversation deletes the row with it (the vectors are
deleted by the code that deletes the conversation, `lockgate.search`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base


class MessageEmbedding(Base):
    __tablename__ = "message_embeddings"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The embedder's name (model, version): rows of another name are stale.
    embedder: Mapped[str] = mapped_column(String(200))
    # Passages of the message in the index (ids ``<message id>:<n>``); 0 for an empty message.
    chunks: Mapped[int]
    indexed_at: Mapped[datetime]
