"""``POST /v1/responses``: a thin caller of `lockgate.calls`, like chat completions.

The key, its model allowance, rpm/tpm, budgets, the breaker, fallbacks, usage rows, metrics and
traces are the gateway's (`GatewayService`); plan.py decides per candidate how the request
reaches it; this module runs the call (`CallRunner`), turns the answer into a Responses API
answer or event stream (builder.py, relay.py) and stores it (storage.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, cast

from lockgate.cache.policy import Controls
from lockgate.cache.service import Lookup
from lockgate.calls.candidates import Plan
from lockgate.calls.runner import Attempt, CallRunner, Event
from lockgate.gateway import streaming
from lockgate.gateway.responses import cached
from lockgate.gateway.responses.builder import ResponseBuilder, new_id, shell
from lockgate.gateway.responses.plan import Planner
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
from lockgate.gateway.service import GatewayService, upstream_error
from lockgate.providers.base import OpenAIWire, Usage
from lockgate.providers.responses_wire import ResponsesWire


async def _frames(frames: list[bytes]) -> AsyncIterator[bytes]:
    for frame in frames:
        yield frame


class ResponsesService:
    def __init__(self, gateway: GatewayService, store: ResponseStore) -> None:
        self.gateway = gateway
        self.store = store
        self.planner = Planner(gateway.file, gateway.providers)
        self._replies: dict[int, dict[str, Any]] = {}
        self._passthrough: PassthroughState | None = None
        self._stopped = False  # set when the streaming client went away

    # -- calling -----------------------------------------------------------------------------

    async def _prepare(
        self, call: ResponsesCall, controls: Controls
    ) -> tuple[list[dict[str, Any]], ResponseBuilder, Lookup | None]:
        """The resolved conversation, the answer's builder, and the cache's lookup (the key's
        rpm counted there, hit or not)."""
        config = self.gateway.model(call.model, "chat")  # unknown or not allowed: 4xx first
        now = self.gateway.clock()
        history: list[dict[str, Any]] = []
        if call.previous_response_id is not None:
            history = await self.store.history(call.previous_response_id, now)
        if call.store:
            self.store.check_size(call.items)
        items = history + call.items
        limit = config.max_output_tokens
        max_tokens = min(call.max_output_tokens or limit, limit)
        found = await self.gateway.look_up(
            lambda scope: cached.cache_request(scope, call, items, max_tokens), controls
        )
        rid = new_id("resp")
        builder = ResponseBuilder(shell(call, rid, int(now.timestamp())), None)
        return items, builder, found

    async def _replay(
        self, call: ResponsesCall, found: Lookup, builder: ResponseBuilder
    ) -> dict[str, Any]:
        """A hit, answered and (``store: true``) stored like a live answer."""
        final = cached.replay(found, builder, int(self.gateway.clock().timestamp()))
        await self._save(call, final)
        return final

    async def _runner(
        self, call: ResponsesCall, items: list[dict[str, Any]], builder: ResponseBuilder
    ) -> CallRunner:
        gateway = self.gateway
        plans = self.planner.plans(call, items)
        first = next(p for p in plans if p is not None)
        await gateway.key_tpm(first.tokens)  # the rpm was counted by the lookup
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
            route = self.planner.routes[id(current)]
            provider = current.candidate.provider
            name = current.candidate.provider_name
            if route.kind == "text":
                async for event in text_events(builder, provider.stream_chat(current.request)):
                    yield event
            elif route.kind == "chat":
                chat = cast(OpenAIWire, provider)  # the planner routed it here for that
                if call.stream:
                    async with aclosing(chat.chat_completion_stream(route.body)) as chunks:
                        async for event in chunk_events(builder, chunks):
                            yield event
                else:
                    reply = await chat.chat_completion(route.body)
                    for event in completion_events(builder, reply):
                        yield event
            else:
                upstream = cast(ResponsesWire, provider)
                if call.stream:
                    state = PassthroughState(rewrite, relay_upstream)
                    self._passthrough = state
                    async with aclosing(upstream.stream_response(route.body)) as events:
                        async for event in passthrough_events(state, events, name):
                            yield event
                else:
                    answer = await upstream.create_response(route.body)
                    answered = response_events(answer, name)
                    self._replies[id(current)] = rewrite(answer)
                    for event in answered:
                        yield event

        return gateway.runner(plans, admitted, source, stopped=lambda: self._stopped)

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

    async def create(self, call: ResponsesCall, controls: Controls) -> dict[str, Any]:
        items, builder, found = await self._prepare(call, controls)
        if found is not None and found.entry is not None:
            return await self._replay(call, found, builder)
        runner = await self._runner(call, items, builder)
        try:
            last = await runner.run()
        finally:
            self.gateway.record(runner)
        if last.error is not None:
            raise upstream_error(last.error)
        final = self._final(last, builder)
        await self.gateway.save(last, tool_calls=not cached.text_only(final))
        await self._save(call, final)
        return final

    async def stream(self, call: ResponsesCall, controls: Controls) -> AsyncIterator[bytes]:
        """As chat: every failure before the first event is an HTTP error; after it, the
        stream ends with ``response.failed``."""
        items, builder, found = await self._prepare(call, controls)
        if found is not None and found.entry is not None:
            frames: list[bytes] = []
            builder.emit = frames.append
            await self._replay(call, found, builder)  # stored before any event goes out
            return _frames(frames)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        builder.emit = queue.put_nowait
        runner = await self._runner(call, items, builder)

        task, first = await streaming.start(
            runner,
            queue.get,
            lambda: queue.put_nowait(None),
            lambda task: self._abandon(task, runner),
        )
        if first is None:
            last = await task
            if last.error is not None:
                self.gateway.record(runner)
                raise upstream_error(last.error)
        return self._relay(call, runner, builder, queue, task, first)

    async def _abandon(self, task: asyncio.Task[Attempt], runner: CallRunner) -> None:
        await streaming.abandon(task, self._stop, lambda: self.gateway.record(runner))

    def _stop(self) -> None:
        self._stopped = True  # the client went away: stop paying for tokens nobody reads

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
                # complete: offered to the response cache (a text answer only is stored)
                await self.gateway.save(last, tool_calls=not cached.text_only(final))
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
