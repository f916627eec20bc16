"""``/v1/responses`` with the official `openai` SDK (``client.responses.*``) against a real
``lockgate serve``: to the simulated provider, to an OpenAI-format fake serving the Responses
API (passed through), to the same fake as a chat-completions-only upstream and to an Anthropic
fake (both translated)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.responses import FunctionToolParam, Response
from pydantic import BaseModel

from tests.fixtures.fake_anthropic import TEXT, TOOL_INPUT, FakeAnthropic
from tests.fixtures.fake_openai import REPLY, TOOL_ARGUMENTS, FakeOpenAI
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
FAST = {
    "type": "simulated",
    "first_token_latency": 0.001,
    "tokens_per_second": 5000,
    "directives": True,
}
PRICE = {"input_per_mtok": 1, "output_per_mtok": 2}
WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI, claude: FakeAnthropic
) -> Iterator[LockgateServer]:
    config: dict[str, Any] = {
        "providers": {
            "sim": FAST,
            "chatonly": {"type": "openai", "base_url": upstream.url},
            "openai": {"type": "openai", "base_url": upstream.url, "responses_api": True},
            "claude": {"type": "anthropic", "base_url": claude.url, "api_key_env": "ANT_KEY"},
            "broken": {
                "type": "openai",
                "base_url": upstream.fault_url("500"),
                "responses_api": True,
            },
        },
        "models": {
            "sim-small": {"provider": "sim", "price": PRICE, "max_output_tokens": 64},
            "chat-gpt": {"provider": "chatonly", "upstream": "gpt-up", "price": PRICE},
            "resp-gpt": {"provider": "openai", "upstream": "gpt-resp", "price": PRICE},
            "fake-claude": {"provider": "claude", "upstream": "claude-test-1", "price": PRICE},
            "broken-gpt": {"provider": "broken", "price": PRICE, "fallbacks": ["fake-claude"]},
        },
        "gate": {"rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"}},
    }
    with LockgateServer(
        tmp_path_factory.mktemp("responses"), config=config, env={"ANT_KEY": "sk-ant"}
    ) as running:
        yield running


@pytest.fixture(scope="module")
def account(server: LockgateServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        client.post(
            "/api/v1/auth/register", json={"email": "dev@example.com", "password": PASSWORD}
        )
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        yield client


OPEN: list[openai.OpenAI] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def sdk(server: LockgateServer, account: httpx.Client, **settings: Any) -> openai.OpenAI:
    response = account.post("/api/v1/keys", json={"name": "test", **settings})
    assert response.status_code == 201, response.text
    client = openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=response.json()["key"], max_retries=0
    )
    OPEN.append(client)
    return client


def stored_count(server: LockgateServer) -> int:
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        count: int = db.execute("SELECT COUNT(*) FROM stored_responses").fetchone()[0]
    return count


# -- plain text, streamed and not, on every kind of upstream ----------------------------------

EXPECTED = {"chat-gpt": "".join(REPLY), "resp-gpt": "".join(REPLY), "fake-claude": "".join(TEXT)}


@pytest.mark.parametrize("model", ["sim-small", "chat-gpt", "resp-gpt", "fake-claude"])
def test_create_and_retrieve(server: LockgateServer, account: httpx.Client, model: str) -> None:
    client = sdk(server, account)
    response = client.responses.create(
        model=model,
        input="Say hello [[tokens:8]]",
        instructions="Be brief.",
        max_output_tokens=40,
        metadata={"ticket": "42"},
    )
    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert (response.status, response.model) == ("completed", model)
    assert response.output_text == EXPECTED.get(model, response.output_text)
    assert response.output_text
    assert response.usage is not None
    assert response.usage.output_tokens > 0
    assert response.metadata == {"ticket": "42"}
    again = client.responses.retrieve(response.id)
    assert (again.id, again.output_text, again.status) == (
        response.id,
        response.output_text,
        "completed",
    )


@pytest.mark.parametrize("model", ["sim-small", "chat-gpt", "resp-gpt", "fake-claude"])
def test_streamed_events_in_order(
    server: LockgateServer, account: httpx.Client, model: str
) -> None:
    client = sdk(server, account)
    with client.responses.stream(model=model, input="Stream a hello [[tokens:6]]") as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    for kind in (
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.output_item.done",
    ):
        assert kind in kinds, kind
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == final.output_text
    assert text
    assert final.usage is not None
    assert final.usage.total_tokens > 0
    assert client.responses.retrieve(final.id).output_text == text


def test_passthrough_sends_the_upstream_what_lockgate_owns(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, account)
    first = client.responses.create(model="resp-gpt", input="hi", max_output_tokens=100)
    sent = upstream.requests[-1]
    assert (sent["model"], sent["store"], sent["max_output_tokens"]) == ("gpt-resp", False, 100)
    assert first.id != "resp_upstream1"  # our id, not the upstream's
    client.responses.create(
        model="resp-gpt", input="and again", previous_response_id=first.id, truncation="auto"
    )
    sent = upstream.requests[-1]
    assert "previous_response_id" not in sent
    assert sent["truncation"] == "auto"  # a field Lockgate does not read passes through
    roles = [(i.get("role"), i["type"]) for i in sent["input"]]
    assert roles == [("user", "message"), ("assistant", "message"), ("user", "message")]
    assert all("id" not in item for item in sent["input"])


def test_translated_chat_body(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, account)
    client.responses.create(
        model="chat-gpt",
        instructions="Be brief.",
        input=[{"role": "developer", "content": "No emoji."}, {"role": "user", "content": "hi"}],
        temperature=0.5,
        max_output_tokens=77,
    )
    sent = upstream.requests[-1]
    assert sent["model"] == "gpt-up"
    assert sent["max_tokens"] == 77
    assert sent["temperature"] == 0.5
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "No emoji."},
        {"role": "user", "content": "hi"},
    ]


def test_a_failed_responses_upstream_falls_back_before_anything_is_sent(
    server: LockgateServer, account: httpx.Client, claude: FakeAnthropic
) -> None:
    client = sdk(server, account)
    before = len(claude.requests)
    with client.responses.stream(model="broken-gpt", input="hi") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds.count("response.created") == 1
    assert final.output_text == "".join(TEXT)  # the fallback's answer
    assert final.model == "broken-gpt"
    assert len(claude.requests) == before + 1


# -- tools -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["chat-gpt", "resp-gpt", "fake-claude"])
@pytest.mark.parametrize("streamed", [False, True])
def test_function_call_round_trip(
    server: LockgateServer, account: httpx.Client, model: str, streamed: bool
) -> None:
    client = sdk(server, account)
    called: Response
    if streamed:
        with client.responses.stream(
            model=model, input="Weather in Paris?", tools=[WEATHER]
        ) as stream:
            kinds = [e.type for e in stream]
            called = stream.get_final_response()
        assert "response.function_call_arguments.delta" in kinds
        assert "response.function_call_arguments.done" in kinds
    else:
        called = client.responses.create(
            model=model, input="Weather in Paris?", tools=[WEATHER], tool_choice="required"
        )
    calls = [item for item in called.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", TOOL_INPUT)]
    assert json.loads(TOOL_ARGUMENTS) == TOOL_INPUT
    answer = client.responses.create(
        model=model,
        previous_response_id=called.id,
        input=[
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "18 °C"},
        ],
    )
    assert answer.output_text
    assert answer.previous_response_id == called.id


def test_function_call_output_reaches_a_chat_upstream_as_a_tool_message(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, account)
    called = client.responses.create(model="chat-gpt", input="Weather?", tools=[WEATHER])
    call = next(item for item in called.output if item.type == "function_call")
    client.responses.create(
        model="chat-gpt",
        previous_response_id=called.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18 °C"}],
    )
    messages = upstream.requests[-1]["messages"]
    assert messages[0] == {"role": "user", "content": "Weather?"}
    assert messages[1]["tool_calls"][0]["id"] == call.call_id
    assert messages[1]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": TOOL_ARGUMENTS,
    }
    assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "18 °C"}


def test_tools_on_the_simulated_provider_are_refused(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, account)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="sim-small", input="Weather?", tools=[WEATHER])
    assert info.value.param == "tools"


@pytest.mark.parametrize("model", ["chat-gpt", "sim-small", "fake-claude"])
def test_hosted_tools_are_refused_unless_passed_through(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI, model: str
) -> None:
    client = sdk(server, account)
    before = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=model, input="news?", tools=[{"type": "web_search"}])
    assert info.value.param == "tools[0].type"
    assert "hosted tool" in info.value.message
    assert len(upstream.requests) == before  # nothing was sent


def test_hosted_tools_pass_through_to_a_responses_upstream(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI
) -> None:
    client = sdk(server, account)
    client.responses.create(model="resp-gpt", input="news?", tools=[{"type": "web_search"}])
    assert upstream.requests[-1]["tools"] == [{"type": "web_search"}]


# -- structured output -------------------------------------------------------------------------


class Weather(BaseModel):
    city: str
    temperature_c: int


@pytest.mark.parametrize("model", ["chat-gpt", "resp-gpt"])
def test_structured_output(
    server: LockgateServer, account: httpx.Client, upstream: FakeOpenAI, model: str
) -> None:
    client = sdk(server, account)
    parsed = client.responses.parse(model=model, input="Weather?", text_format=Weather)
    assert parsed.output_parsed == Weather(city="Paris", temperature_c=18)
    sent = upstream.requests[-1]
    if model == "chat-gpt":
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["name"] == "Weather"
        assert sent["response_format"]["json_schema"]["strict"] is True
    else:
        assert sent["text"]["format"]["type"] == "json_schema"


@pytest.mark.parametrize("model", ["sim-small", "fake-claude"])
def test_structured_output_is_refused_where_it_cannot_be_honoured(
    server: LockgateServer, account: httpx.Client, model: str
) -> None:
    client = sdk(server, account)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.parse(model=model, input="Weather?", text_format=Weather)
    assert info.value.param == "text.format"


# -- storage -----------------------------------------------------------------------------------


def test_previous_response_id_carries_the_conversation(
    server: LockgateServer, account: httpx.Client, claude: FakeAnthropic
) -> None:
    client = sdk(server, account)
    first = client.responses.create(model="fake-claude", input="My name is Ada.")
    client.responses.create(
        model="fake-claude", input="What is my name?", previous_response_id=first.id
    )
    assert claude.requests[-1]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "My name is Ada."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "".join(TEXT)}]},
        {"role": "user", "content": [{"type": "text", "text": "What is my name?"}]},
    ]


def test_another_keys_response_is_not_found(server: LockgateServer, account: httpx.Client) -> None:
    mine, theirs = sdk(server, account), sdk(server, account)
    response = mine.responses.create(model="sim-small", input="secret")
    with pytest.raises(openai.NotFoundError):
        theirs.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        theirs.responses.create(model="sim-small", input="x", previous_response_id=response.id)
    with pytest.raises(openai.NotFoundError):
        theirs.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        theirs.responses.input_items.list(response.id)
    assert mine.responses.retrieve(response.id).id == response.id


def test_store_false_stores_nothing(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, account)
    before = stored_count(server)
    response = client.responses.create(model="sim-small", input="forget me", store=False)
    assert response.to_dict()["store"] is False
    assert stored_count(server) == before
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_delete(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, account)
    response = client.responses.create(model="sim-small", input="delete me")
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="sim-small", input="x", previous_response_id=response.id)


def test_a_chain_with_a_deleted_response_is_refused(
    server: LockgateServer, account: httpx.Client
) -> None:
    client = sdk(server, account)
    first = client.responses.create(model="sim-small", input="one [[tokens:3]]")
    second = client.responses.create(
        model="sim-small", input="two [[tokens:3]]", previous_response_id=first.id
    )
    client.responses.delete(first.id)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="sim-small", input="x", previous_response_id=second.id)
    assert info.value.param == "previous_response_id"


def test_input_items_are_paginated(server: LockgateServer, account: httpx.Client) -> None:
    client = sdk(server, account)
    texts = [f"line {n}" for n in range(5)]
    response = client.responses.create(
        model="sim-small", input=[{"role": "user", "content": t} for t in texts]
    )
    page = client.responses.input_items.list(response.id, limit=2, order="asc")
    assert [text_of(item) for item in page.data] == texts[:2]
    assert page.has_more is True
    everything = list(client.responses.input_items.list(response.id, limit=2, order="asc"))
    assert [text_of(item) for item in everything] == texts
    newest = client.responses.input_items.list(response.id)
    assert text_of(newest.data[0]) == texts[-1]


def text_of(item: Any) -> str:
    text: str = item.content[0].text
    return text


# -- refusals ----------------------------------------------------------------------------------


def test_a_model_the_key_may_not_use_is_permission_denied(
    server: LockgateServer, account: httpx.Client
) -> None:
    limited = sdk(server, account, allowed_models=["sim-small"])
    with pytest.raises(openai.PermissionDeniedError) as info:
        limited.responses.create(model="chat-gpt", input="x")
    assert info.value.code == "model_not_allowed"


def test_a_spent_key_budget_is_a_rate_limit_error(
    server: LockgateServer, account: httpx.Client
) -> None:
    broke = sdk(server, account, daily_budget_usd="0.00001")
    with pytest.raises(openai.RateLimitError) as info:
        broke.responses.create(model="sim-small", input="x", max_output_tokens=64)
    assert info.value.code == "budget_exceeded"


def test_the_keys_rate_limit_is_a_rate_limit_error(
    server: LockgateServer, account: httpx.Client
) -> None:
    slow = sdk(server, account, rpm=1)
    slow.responses.create(model="sim-small", input="x [[tokens:2]]", max_output_tokens=16)
    with pytest.raises(openai.RateLimitError) as info:
        slow.responses.create(model="sim-small", input="x", max_output_tokens=16)
    assert info.value.code == "rate_limited"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": 3}, "input"),
        ({"input": []}, "input"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        (
            {"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
            "input[0].call_id",
        ),
        ({"input": "x", "max_output_tokens": True}, "max_output_tokens"),
        ({"input": "x", "temperature": 3}, "temperature"),
        (
            {"input": "x", "text": {"format": {"type": "json_schema", "name": "a b"}}},
            "text.format.name",
        ),
        ({"input": "x", "metadata": {"k": 1}}, "metadata"),
        ({"input": "x", "previous_response_id": "nope"}, "previous_response_id"),
        ({"input": "x", "background": True}, "background"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]},
            "input[0].content[0].type",
        ),
    ],
)
def test_validation_errors_name_the_param(
    server: LockgateServer, account: httpx.Client, body: dict[str, Any], param: str
) -> None:
    client = sdk(server, account)
    with pytest.raises(openai.BadRequestError) as info:
        client.post("/responses", body={"model": "sim-small", **body}, cast_to=httpx.Response)
    assert info.value.param == param
    assert info.value.code == "invalid_request_error"


def test_usage_rows_carry_the_key(server: LockgateServer, account: httpx.Client) -> None:
    response = account.post("/api/v1/keys", json={"name": "rows"})
    key = response.json()
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key["key"], max_retries=0)
    OPEN.append(client)
    client.responses.create(model="sim-small", input="count me", max_output_tokens=16)
    with client.responses.stream(model="sim-small", input="and me") as stream:
        stream.get_final_response()
    assert account.get("/api/v1/usage").status_code == 200  # flushes the batched rows
    with sqlite3.connect(Path(server.workdir) / "data" / "lockgate.db") as db:
        rows = db.execute(
            "SELECT kind, outcome FROM usage_records WHERE api_key_id = ?",
            (key["id"].replace("-", ""),),
        ).fetchall()
    assert rows == [("chat", "ok"), ("chat", "ok")]
