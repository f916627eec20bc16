"""HTTP only: /api/v1/conversations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from lockgate.attachments.repository import AttachmentRepository
from lockgate.attachments.storage import attachment_storage
from lockgate.auth.deps import CurrentUser
from lockgate.conversations.schemas import (
    BranchSelect,
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    ConversationUpdate,
    MessagePage,
)
from lockgate.conversations.service import ConversationService
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


async def get_service(db: SessionDep, state: StateDep) -> ConversationService:
    return ConversationService(db, state.clock, file=state.config.file)


ServiceDep = Annotated[ConversationService, Depends(get_service)]
Limit = Annotated[int, Query(ge=1, le=200)]
ConversationsLimit = Annotated[None, Depends(endpoint_limit("conversations"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createConversation",
    responses=error_responses(401, 403, 404, 422),
)
async def create_conversation(
    body: ConversationCreate, user: CurrentUser, service: ServiceDep, _limit: ConversationsLimit
) -> ConversationOut:
    conversation = await service.create(user.id, body)
    await service.db.commit()
    return ConversationOut.model_validate(conversation)


@router.get("", operation_id="listConversations", responses=error_responses(400, 401, 404, 422))
async def list_conversations(
    user: CurrentUser,
    service: ServiceDep,
    _limit: ConversationsLimit,
    limit: Limit = 50,
    cursor: str | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Search titles and messages")
    ] = None,
    folder_id: Annotated[
        uuid.UUID | None, Query(description="Only the conversations in this folder")
    ] = None,
    archived: Annotated[
        bool, Query(description="List the archived conversations instead of the others")
    ] = False,
) -> ConversationPage:
    """Own conversations: pinned first, then most recently active (cursor pagination).

    Archived ones are left out unless ``archived=true`` (then only they are listed)."""
    return await service.list(
        user.id, limit=limit, cursor=cursor, query=q, folder_id=folder_id, archived=archived
    )


@router.get(
    "/{conversation_id}",
    operation_id="getConversation",
    responses=error_responses(401, 404, 422),
)
async def get_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, service: ServiceDep, limit: Limit = 100
) -> ConversationDetail:
    """A conversation with the latest ``limit`` messages of its current branch (older ones via
    /messages), each with its sibling ids for a branch switcher."""
    return await service.detail(conversation_id, user.id, limit=limit)


@router.get(
    "/{conversation_id}/messages",
    operation_id="listMessages",
    responses=error_responses(400, 401, 404, 422),
)
async def list_messages(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    service: ServiceDep,
    limit: Limit = 100,
    cursor: str | None = None,
) -> MessagePage:
    """The current branch, a page at a time (``next_cursor``: the older messages)."""
    conversation = await service.get(conversation_id, user.id)
    return await service.message_page(conversation, limit=limit, cursor=cursor)


@router.put(
    "/{conversation_id}/branch",
    operation_id="switchBranch",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def switch_branch(
    conversation_id: uuid.UUID,
    body: BranchSelect,
    user: CurrentUser,
    service: ServiceDep,
    _limit: ConversationsLimit,
    limit: Limit = 100,
) -> ConversationDetail:
    """Show another branch: the one through ``message_id`` (an edit or an answer the switcher
    offers), down to the newest message under it. Refused (409 ``reply_in_progress``) while an
    answer in this conversation is being written."""
    detail = await service.switch_branch(conversation_id, user.id, body.message_id, limit=limit)
    await service.db.commit()
    return detail


@router.patch(
    "/{conversation_id}",
    operation_id="updateConversation",
    responses=error_responses(401, 403, 404, 422),
)
async def update_conversation(
    conversation_id: uuid.UUID,
    body: ConversationUpdate,
    user: CurrentUser,
    service: ServiceDep,
    _limit: ConversationsLimit,
) -> ConversationOut:
    """Rename, set parameters (model, temperature, max tokens, system prompt), move to a
    folder, pin or archive; omitted fields are left as they are."""
    conversation = await service.update(conversation_id, user.id, body)
    await service.db.commit()
    return ConversationOut.model_validate(conversation)


@router.delete(
    "/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteConversation",
    responses=error_responses(401, 403, 404),
)
async def delete_conversation(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    service: ServiceDep,
    state: StateDep,
    _limit: ConversationsLimit,
) -> None:
    """Delete a conversation and, with it, every message and attached image.

    Its live replies are stopped first (settled and billed as cancelled, like a stop), so
    nothing keeps generating or spending for a conversation that is gone. A reply live on
    another replica stops itself at its next save, when it finds its row deleted.
    """
    await service.get(conversation_id, user.id)  # 404 before touching anything
    # End our read transaction: the stopped replies save their final state while we wait, and
    # on SQLite an open transaction here would hold the lock they need.
    await service.db.commit()
    await state.chat.stop_conversation(conversation_id)
    # Its images: the rows go with the conversation (ON DELETE CASCADE), the files once that
    # is committed (a file without a row is harmless; a row without its file would not be).
    files = await AttachmentRepository(service.db).file_names_of_conversation(conversation_id)
    await service.delete(conversation_id, user.id)
    await service.db.commit()
    if state.search is not None:  # its vectors too (an archived conversation keeps them)
        await state.search.forget_conversation(conversation_id)
    if state.documents is not None:  # the rows went with the conversation; now the vectors
        await state.documents.index.forget_conversation(conversation_id)
    await attachment_storage(state.config.settings.data_dir).remove(files)
