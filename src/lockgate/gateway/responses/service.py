"""``POST /v1/responses``: a thin caller of `lockgate.calls`, like chat completions.

The key, its model allowance, rpm/tpm, budgets, the breaker, fallbacks, usage rows, metrics and
traces are the gateway's (`GatewayService`); this module decides per candidate how the request
reaches it (`Route`), and turns the answer into a Responses API answer:

* ``responses`` — an upstream serving the Responses API: the body is passed through (model
  rewritten, ``max_output_tokens`` set to what the budget reserved, ``store: false``, the
  conversation resolved from Lockgate's storage), the answer relayed with our id.
* ``chat`` — an OpenAI-compatible chat upstream or Anthropic: translated (translate.py).
* ``text`` — the simulated provider: the conversation as text.

The budget's upper bound is the size of the body sent (no token is shorter than a byte) plus
the per-message framing, plus the output cap, at the candidate's price — as for chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from decimal import ROUND_CEILING
from typing import Any, Literal

import orjson

from lockgate.calls.candidates import Candidate, Plan, candidates_for, plan
from lockgate.calls.context import ContextTooLong
from lockgate.calls.runner import Attempt, CallRunner, Event
from lockgate.gateway.params import InvalidRequest
from lockgate.gateway.relay import MILLION
from lockgate.gateway.responses.builder import ResponseBuilder, new_id
from lockgate.gateway.responses.relay import (
    PassthroughState,
    Rewrite,
    chunk_events,
    completion_events,
    passthrough_events,
    response_events,
    text_events,
)
from lockgate.gateway.responses.request import ResponsesCall
from lockgate.gateway.responses.storage import ResponseStore, with_ids
from lockgate.gateway.responses.translate import Target, chat_body, refusal
from lockgate.gateway.service import GatewayService, upstream_error
from lockgate.providers.base import ChatMessage, ChatRequest, OpenAIWire, Role, Usage
from lockgate.providers.pricing import QUANTUM
from lockgate.providers.responses_wire import ResponsesWire
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING

Kind = Literal["responses", "chat", "text"]


@dataclass(frozen=True, slots=True)
class Route:
    kind: Kind
    body: dict[str, Any]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p.get("text"), str))


def text_messages(instructions: str | None, items: list[dict[str, Any]]) -> list[ChatMessage]:
    """The conversation's text (what the simulated provider answers, and what usage is
    estimated from when an upstream reports none)."""
    messages = [ChatMessage("system", instructions)] if instructions else []
    for item in items:
        if item["type"] == "message":
            role: Role = "assistant" if item["role"] == "assistant" else "user"
            if item["role"] in ("system", "developer"):
                role = "system"
            messages.append(ChatMessage(role, _text_of(item["content"])))
        elif item["type"] == "function_call_output":
            messages.append(ChatMessage("user", _text_of(item["output"])))
    return messages


def shell(call: ResponsesCall, rid: str, created_at: int) -> dict[str, Any]:
    """The response object's fields that do not depend on the answer."""
    body = call.body
    return {
        "id": rid,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": call.instructions,
        "max_output_tokens": call.max_output_tokens,
        "max_tool_calls": body.get("max_tool_calls"),
        "model": call.model,
        "output": [],
        "parallel_tool_calls": True
        if call.parallel_tool_calls is None
        else call.parallel_tool_calls,
        "previous_response_id": call.previous_response_id,
        "reasoning": call.reasoning or {"effort": None, "summary": None},
        "service_tier": "default",
        "store": call.store,
        "temperature": 1.0 if call.temperature is None else call.temperature,
        "text": {"format": call.text_format or {"type": "text"}, "verbosity": "medium"},
        "tool_choice": call.tool_choice or "auto",
        "tools": call.tools,
        "top_p": 1.0 if call.top_p is None else call.top_p,
        "truncation": body.get("truncation") or "disabled",
        "usage": None,
        "user": body.get("user"),
        "metadata": call.metadata or {},
    }


class ResponsesService:
    def __init__(self, gateway: GatewayService, store: ResponseStore) -> None:
        self.gateway = gateway
        self.store = store
        self._routes: dict[int, Route] = {}
        self._replies: dict[int, dict[str, Any]] = {}
        self._passthrough: PassthroughState | None = None

    # -- planning ----------------------------------------------------------------------------

    def _sized_plan(
        self, candidate: Candidate, body: dict[str, Any], count: int, limit: int, text: list[Any]
    ) -> Plan:
        prompt = len(orjson.dumps(body)) + PER_MESSAGE_OVERHEAD * count + REPLY_PRIMING
        price = candidate.price
        upper = (prompt * price.input_per_mtok + limit * price.output_per_mtok) / MILLION
        request = ChatRequest(model=candidate.upstream, messages=text, max_tokens=limit)
        return Plan(
            candidate=candidate,
            request=request,
            upper_bound=upper.quantize(QUANTUM, rounding=ROUND_CEILING),
            tokens=prompt + limit,
        )

    def _route(
        self, call: ResponsesCall, items: list[dict[str, Any]], candidate: Candidate, limit: int
    ) -> tuple[Plan, Route]:
        provider = candidate.provider
        text = text_messages(call.instructions, items)
        served_by = f"{candidate.model} ({provider.kind} provider {candidate.provider_name})"
        if isinstance(provider, ResponsesWire) and provider.serves_responses:
            body = {k: v for k, v in call.body.items() if k != "previous_response_id"}
            body.update(model=candidate.upstream, input=items, store=False)
            body["max_output_tokens"] = limit
            if call.stream:
                body["stream"] = True
            else:
                body.pop("stream", None)
                body.pop("stream_options", None)
            route = Route("responses", body)
            return self._sized_plan(candidate, body, len(items) + 1, limit, text), route
        target: Target = "anthropic" if provider.kind == "anthropic" else "chat"
        if not isinstance(provider, OpenAIWire):
            target = "simulated"
        refused = refusal(call, items, target, served_by)
        if refused is not None:
            raise refused
        if target == "simulated":
            system = "\n\n".join(m.content for m in text if m.role == "system")
            turns = [m for m in text if m.role != "system"]
            fitted = plan(candidate, system, turns, max_tokens=limit, temperature=call.temperature)
            return fitted, Route("text", {})
        body = chat_body(call, items, target)
        body["model"] = candidate.upstream
        config = self.gateway.file.providers[candidate.provider_name]
        body[getattr(config, "max_tokens_param", "max_tokens")] = limit
        if call.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        count = len(body["messages"])
        return self._sized_plan(candidate, body, count, limit, text), Route("chat", body)

    def plans(self, call: ResponsesCall, items: list[dict[str, Any]]) -> list[Plan | None]:
        """A plan per candidate; the primary's refusal is the client's, a fallback that cannot
        honour the request is skipped."""
        config = self.gateway.model(call.model, "chat")
        asked = call.max_output_tokens or config.max_output_tokens
        plans: list[Plan | None] = []
        for index, candidate in enumerate(
            candidates_for(call.model, self.gateway.file, self.gateway.providers)
        ):
            limit = min(asked, candidate.config.max_output_tokens)
            try:
                fitted, route = self._route(call, items, candidate, limit)
            except (InvalidRequest, ContextTooLong):
                if index == 0:
                    raise
                plans.append(None)
                continue
            self._routes[id(fitted)] = route
            plans.append(fitted)
        return plans

    # -- calling -----------------------------------------------------------------------------

    async def _prepare(self, call: ResponsesCall) -> tuple[list[dict[str, Any]], ResponseBuilder]:
        self.gateway.model(call.model, "chat")  # unknown or not allowed: before any lookup
        now = self.gateway.clock()
        history: list[dict[str, Any]] = []
        if call.previous_response_id is not None:
            history = await self.store.history(call.previous_response_id, now)
        if call.store:
            self.store.check_size(call.items)
        rid = new_id("resp")
        return history + call.items, ResponseBuilder(shell(call, rid, int(now.timestamp())), None)

    async def _runner(
        self, call: ResponsesCall, items: list[dict[str, Any]], builder: ResponseBuilder
    ) -> CallRunner:
        gateway = self.gateway
        plans = self.plans(call, items)
        first = next(p for p in plans if p is not None)
        await gateway.key_limits(first.tokens)
        admitted = await gateway.admit(call.model, plans)
        rewrite = Rewrite(
            {
                "id": builder.shell["id"],
                "model": call.model,
                "store": call.store,
                "previous_response_id": call.previous_response_id,
            }
        )

        def relay_upstream(event: dict[str, Any]) -> None:
            fields = {k: v for k, v in event.items() if k not in ("type", "sequence_number")}
            builder.event(event["type"], **fields)

        async def source(current: Plan) -> AsyncIterator[Event]:
            route = self._routes[id(current)]
            provider = current.candidate.provider
            name = current.candidate.provider_name
            if route.kind == "text":
                async for event in text_events(builder, provider.stream_chat(current.request)):
                    yield event
            elif route.kind == "chat":
                assert isinstance(provider, OpenAIWire)
                if call.stream:
                    async with aclosing(provider.chat_completion_stream(route.body)) as chunks:
                        async for event in chunk_events(builder, chunks):
                            yield event
                else:
                    reply = await provider.chat_completion(route.body)
                    for event in completion_events(builder, reply):
                        yield event
            else:
                assert isinstance(provider, ResponsesWire)
                if call.stream:
                    state = PassthroughState(rewrite, relay_upstream)
                    self._passthrough = state
                    async with aclosing(provider.stream_response(route.body)) as events:
                        async for event in passthrough_events(state, events, name):
                            yield event
                else:
                    answer = await provider.create_response(route.body)
                    answered = response_events(answer, name)
                    self._replies[id(current)] = rewrite(answer)
                    for event in answered:
                        yield event

        return CallRunner(
            gateway.gate,
            plans,
            admitted,
            user_id=gateway.key.user_id,
            retry=gateway.file.gate.retry,
            sleep=gateway.sleep,
            on_delta=lambda _attempt, _text: None,
            stopped=lambda: gateway._stopped,
            extra_limits=gateway.key.key.budget_limits,
            metrics=gateway.metrics,
            source=source,
        )

    def _final(self, last: Attempt, builder: ResponseBuilder) -> dict[str, Any]:
        reply = self._replies.pop(id(last.plan), None)
        if reply is not None:
            return reply
        if self._passthrough is not None and self._passthrough.final is not None:
            return self._passthrough.final
        tokens_in, tokens_out, _, _ = last.cost()
        completed_at = int(self.gateway.clock().timestamp())
        return builder.finish(
            last.finish_reason or "stop", Usage(tokens_in, tokens_out), completed_at
        )

    async def _save(self, call: ResponsesCall, final: dict[str, Any]) -> None:
        if call.store:
            await self.store.save(with_ids(call.items), final, self.gateway.clock())

    async def create(self, call: ResponsesCall) -> dict[str, Any]:
        items, builder = await self._prepare(call)
        runner = await self._runner(call, items, builder)
        try:
            last = await runner.run()
        finally:
            self.gateway.record(runner)
        if last.error is not None:
            raise upstream_error(last.error)
        final = self._final(last, builder)
        await self._save(call, final)
        return final

    async def stream(self, call: ResponsesCall) -> AsyncIterator[bytes]:
        """As chat: every failure before the first event is an HTTP error; after it, the
        stream ends with ``response.failed``."""
        items, builder = await self._prepare(call)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        builder.emit = queue.put_nowait
        runner = await self._runner(call, items, builder)

        async def drive() -> Attempt:
            try:
                return await runner.run()
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(drive())
        try:
            first = await queue.get()
        except BaseException:
            await self._abandon(task, runner)
            raise
        if first is None:
            last = await task
            if last.error is not None:
                self.gateway.record(runner)
                raise upstream_error(last.error)
        return self._relay(call, runner, builder, queue, task, first)

    async def _abandon(self, task: asyncio.Task[Attempt], runner: CallRunner) -> None:
        if not task.done():  # the client went away: stop paying for tokens nobody reads
            self.gateway._stopped = True
            task.cancel()
            await asyncio.wait({task})
        self.gateway.record(runner)

    async def _relay(
        self,
        call: ResponsesCall,
        runner: CallRunner,
        builder: ResponseBuilder,
        queue: asyncio.Queue[bytes | None],
        task: asyncio.Task[Attempt],
        first: bytes | None,
    ) -> AsyncIterator[bytes]:
        try:
            item = first
            while item is not None:
                yield item
                item = await queue.get()
            last = await task
            if last.error is not None:
                error = upstream_error(last.error)
                passthrough = self._passthrough
                if passthrough is not None and passthrough.started:
                    builder.started = True
                    builder.output = [passthrough.items[i] for i in sorted(passthrough.items)]
                tokens_in, tokens_out, _, _ = last.cost()
                final = builder.fail(error.code, error.message, Usage(tokens_in, tokens_out))
            else:
                final = self._final(last, builder)
            # Stored before the final event goes out: a client may continue from it at once.
            await self._save(call, final)
            if self._passthrough is not None:
                self._passthrough.close()
            while not queue.empty():
                frame = queue.get_nowait()
                if frame is not None:
                    yield frame
        finally:
            await self._abandon(task, runner)
