"""The ``/v1`` request bodies, as documented in OpenAPI: the fields Lockgate reads, with the
types and ranges wire.py and params.py enforce; every other field is allowed and passed on.

They document; they do not parse. The endpoints read the raw JSON by hand (wire.py: the hot
path forwards what it does not read, untouched), so these models must say exactly what that
code accepts — ``tests/test_schemathesis.py`` holds them to it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lockgate.gateway.params import MAX_EMBEDDING_INPUTS, MAX_MODEL_NAME, MAX_OUTPUT_TOKENS
from lockgate.images.schemas import MAX_IMAGES, MAX_PROMPT_CHARS

ModelName = Annotated[str, Field(min_length=1, max_length=MAX_MODEL_NAME, pattern=r"\S")]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextPart(_Open):
    type: Literal["text"]
    text: str


class ImageURL(_Open):
    url: str = Field(
        description="A data: URL (PNG, JPEG, GIF or WebP; checked) or an https:// URL (passed "
        "on, never fetched by Lockgate)"
    )
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Open):
    """In user messages, for a model configured with ``vision: true``."""

    type: Literal["image_url"]
    image_url: ImageURL


class ChatMessageIn(_Open):
    """``tool`` and ``function`` messages (and assistant tool calls) go to OpenAI-compatible
    upstreams only."""

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[Annotated[TextPart | ImagePart, Field(discriminator="type")]] | None = None


class StreamOptions(_Open):
    include_usage: bool | None = None


class ChatCompletionRequest(_Open):
    model: ModelName
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_TOKENS)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_TOKENS)
    temperature: float | None = Field(default=None, ge=0, le=2)
    n: Literal[1] | None = Field(default=None, description="Only 1 is supported")


class EmbeddingRequest(_Open):
    model: ModelName
    input: str | Annotated[list[str], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS)] = Field(
        description=f"A string, or an array of 1 to {MAX_EMBEDDING_INPUTS} strings"
    )


class ImageRequest(_Open):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS, pattern=r"\S")
    model: ModelName | None = None
    n: int | None = Field(default=None, ge=1, le=MAX_IMAGES)
    size: str | None = Field(default=None, max_length=32, pattern=r"\S", examples=["1024x1024"])


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    ChatCompletionRequest,
    EmbeddingRequest,
    ImageRequest,
)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring `model` as the required JSON body of a route that reads its
    body by hand (so FastAPI does not parse it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }
