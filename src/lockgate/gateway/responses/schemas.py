"""The ``/v1/responses`` request body as documented in OpenAPI: the fields Lockgate reads, with
the types and ranges request.py enforces; every other field is allowed (and passed through to
an upstream serving the Responses API, or refused by name when translated).

They document; they do not parse (the endpoint reads the raw JSON by hand, as for chat
completions), so they must say exactly what request.py accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lockgate.gateway.params import MAX_OUTPUT_TOKENS
from lockgate.gateway.responses.request import MAX_METADATA
from lockgate.gateway.schemas import ModelName


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ResponsesInputTextPart(_Open):
    type: Literal["input_text", "output_text"]
    text: str


class ResponsesRefusalPart(_Open):
    type: Literal["refusal"]
    refusal: str


class ResponsesInputMessage(_Open):
    """Image, file and audio parts are not supported yet (their cost is not bounded)."""

    type: Literal["message"] | None = None
    role: Literal["user", "system", "developer", "assistant"]
    content: str | list[ResponsesInputTextPart | ResponsesRefusalPart]


class ResponsesFunctionCallItem(_Open):
    type: Literal["function_call"]
    call_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    arguments: str


class ResponsesFunctionCallOutputItem(_Open):
    type: Literal["function_call_output"]
    call_id: str = Field(min_length=1)
    output: str | list[ResponsesInputTextPart]


class ResponsesOtherItem(_Open):
    """An item of the Responses API itself (``reasoning``, hosted tool calls…): passed through
    to an upstream serving the Responses API, refused when translated."""

    type: str


class ResponsesFunctionTool(_Open):
    type: Literal["function"]
    name: str = Field(min_length=1)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ResponsesHostedTool(_Open):
    """web_search, file_search, computer_use_preview, code_interpreter, mcp…: passed through to
    an upstream serving the Responses API, refused (400, ``param``) otherwise."""

    type: str


class ResponsesFunctionChoice(_Open):
    type: Literal["function"]
    name: str = Field(min_length=1)


class ResponsesToolChoiceObject(_Open):
    type: str


class ResponsesJsonSchemaFormat(_Open):
    type: Literal["json_schema"]
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None


class ResponsesSimpleFormat(_Open):
    type: Literal["text", "json_object"]


class ResponsesTextOptions(_Open):
    format: ResponsesJsonSchemaFormat | ResponsesSimpleFormat | None = None


class ResponseCreateRequest(_Open):
    model: ModelName
    input: (
        str
        | Annotated[
            list[
                ResponsesInputMessage
                | ResponsesFunctionCallItem
                | ResponsesFunctionCallOutputItem
                | ResponsesOtherItem
            ],
            Field(min_length=1),
        ]
    )
    instructions: str | None = None
    tools: list[ResponsesFunctionTool | ResponsesHostedTool] | None = None
    tool_choice: (
        Literal["none", "auto", "required"]
        | ResponsesFunctionChoice
        | ResponsesToolChoiceObject
        | None
    ) = None
    max_output_tokens: int | None = Field(default=None, ge=16, le=MAX_OUTPUT_TOKENS)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    text: ResponsesTextOptions | None = None
    metadata: (
        Annotated[dict[str, Annotated[str, Field(max_length=512)]], Field(max_length=MAX_METADATA)]
        | None
    ) = None
    store: bool | None = Field(default=None, description="Default true: kept for 30 days")
    previous_response_id: str | None = Field(default=None, pattern=r"^resp_[A-Za-z0-9]{1,64}$")
    stream: bool | None = None
    parallel_tool_calls: bool | None = None
    reasoning: dict[str, Any] | None = None
    background: Literal[False] | None = Field(default=None, description="Not supported")
    conversation: None = Field(default=None, description="Not supported")


class ResponseObject(_Open):
    id: str
    object: Literal["response"]
    created_at: float
    status: str
    model: str
    output: list[dict[str, Any]]
    usage: dict[str, Any] | None = None


class ResponseInputItemList(_Open):
    object: Literal["list"]
    data: list[dict[str, Any]]
    first_id: str | None
    last_id: str | None
    has_more: bool


class ResponseDeleted(_Open):
    id: str
    object: Literal["response"]
    deleted: Literal[True]


REQUEST_MODELS: tuple[type[BaseModel], ...] = (ResponseCreateRequest,)
