"""The ``/v1/messages`` request bodies, as documented in OpenAPI (Anthropic's Messages API).

Like schemas.py they document and do not parse (messages_wire.py reads the body by hand), so
they say no more than that code enforces: a body they reject, it rejects too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lockgate.gateway.params import MAX_OUTPUT_TOKENS
from lockgate.gateway.schemas import ModelName


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextBlock(_Open):
    type: Literal["text"]
    text: str


class Base64ImageSource(_Open):
    type: Literal["base64"]
    media_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"]
    data: str = Field(min_length=1, description="Base64 of the image (checked, never decoded)")


class URLImageSource(_Open):
    type: Literal["url"]
    url: str = Field(
        pattern=r"^[hH][tT][tT][pP][sS]?://",
        description="Passed on to the upstream; Lockgate never fetches it",
    )


class ImageBlock(_Open):
    type: Literal["image"]
    source: Annotated[Base64ImageSource | URLImageSource, Field(discriminator="type")]


class ToolUseBlock(_Open):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]


class ToolResultBlock(_Open):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[Annotated[TextBlock | ImageBlock, Field(discriminator="type")]] | None = (
        None
    )


class ThinkingBlock(_Open):
    type: Literal["thinking", "redacted_thinking"]


ContentBlock = Annotated[
    TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock,
    Field(discriminator="type"),
]


class MessageParam(_Open):
    """Images and tool results in user turns; tool use and thinking in assistant turns."""

    role: Literal["user", "assistant"]
    content: str | list[ContentBlock]


class ToolParam(_Open):
    """A custom tool; server tools (web search, code execution...) are refused."""

    name: str = Field(min_length=1, max_length=128, pattern=r"\S")
    input_schema: dict[str, Any]
    type: Literal["custom"] | None = None


class ToolChoice(_Open):
    type: Literal["auto", "any", "tool", "none"]


class _MessagesBody(_Open):
    model: ModelName
    messages: list[MessageParam] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[ToolParam] | None = None
    tool_choice: ToolChoice | None = None


class MessagesRequest(_MessagesBody):
    """Anthropic's Messages API body; fields not listed pass to an Anthropic upstream."""

    max_tokens: int = Field(ge=1, le=MAX_OUTPUT_TOKENS)
    stream: bool | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0, le=2**31 - 1)
    stop_sequences: list[Annotated[str, Field(min_length=1)]] | None = None
    metadata: dict[str, Any] | None = None


class CountTokensRequest(_MessagesBody):
    """What ``count_tokens`` counts: the prompt of a Messages API body."""


class TokenCount(BaseModel):
    input_tokens: int


MESSAGES_REQUEST_MODELS: tuple[type[BaseModel], ...] = (MessagesRequest, CountTokensRequest)
