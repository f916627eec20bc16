"""``/v1/messages``: Anthropic's Messages API, a thin caller of `lockgate.calls` like ``/v1`` chat.

Each candidate (the model, then its fallbacks) is planned by what its provider speaks:

* Anthropic (`AnthropicWire`): the client's body passed through, with the upstream model name
  and ``max_tokens`` capped to what the budget reserved for; the answer relayed as sent.
* OpenAI-compatible (`OpenAIWire`): translated (providers/messages_chat.py) and the answer
  translated back (``message``, or the event stream built in messages_relay.py).
* Text only (the simulated provider): the conversation's text, images as placeholders; tool use
  is refused for the model asked for, and a fallback that cannot take it is passed over.

The key's limits, the budgets, the breaker, retries and fallbacks, usage rows and metrics are
those of `GatewayService` (whose pieces this reuses): nothing here admits or settles by itself.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from lockgate.cache.policy import Controls
from lockgate.cache.service import Lookup
from lockgate.calls.candidates import Candidate, Plan, candidates_for, plan
from lockgate.calls.context import ContextTooLong
from lockgate.calls.runner import Attempt, CallRunner, Event
from lockgate.error_handlers import anthropic_error
from lockgate.errors import AppError, BadRequest
from lockgate.gateway import messages_cached, streaming
from lockgate.gateway.messages_relay import MessageStream, message_events
from lockgate.gateway.messages_wire import TOOL_PROMPT_TOKENS, MessagesCall, event
from lockgate.gateway.params import InvalidRequest
from lockgate.gateway.relay import bounded_plan, with_images
from lockgate.gateway.service import GatewayService, upstream_error
from lockgate.providers.base import Usage, anthropic_wire, openai_wire
from lockgate.providers.errors import ProviderBadRequest, ProviderError
from lockgate.providers.image_tokens import rule_for
from lockgate.providers.messages_chat import stop_reason, to_chat_body, to_message
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING, estimate_tokens
from lockgate.vision.inputs import ImageLimits

# What `count_tokens` accepts of a Messages body (Anthropic refuses other fields there).
COUNTED_FIELDS = ("messages", "system", "tools", "tool_choice", "thinking")


def client_error(error: ProviderError | AppError) -> AppError:
    """`upstream_error`, except that an upstream's refusal of the request (or our refusal to
    translate it) is the client's 400 ``invalid_request_error``, as Anthropic answers it."""
    if isinstance(error, ProviderBadRequest):
        return BadRequest(f"{error.provider}: {error.public(requester=True)}", code=error.code)
    return upstream_error(error)


class MessagesService:
    def __init__(self, gateway: GatewayService) -> None:
        self.gateway = gateway
        self._stopped = False  # the streaming client went away
        self._bodies: dict[int, dict[str, Any]] = {}  # translated chat bodies, by plan
        self._replies: dict[int, dict[str, Any]] = {}  # non-streamed answers, by plan

    @property
    def image_limits(self) -> ImageLimits:
        return self.gateway.image_limits

    def plans(self, call: MessagesCall) -> list[Plan | None]:
        config = self.gateway.model(call.model, "chat")
        max_tokens = min(call.max_tokens, config.max_output_tokens)
        candidates = candidates_for(call.model, self.gateway.file, self.gateway.providers)
        plans: list[Plan | None] = []
        for index, candidate in enumerate(candidates):
            if call.images and not self.gateway.takes_images(candidate, index, call.model):
                plans.append(None)
            elif anthropic_wire(candidate.provider) is not None:
                plans.append(self._plan(candidate, call, call.prompt_bound, max_tokens))
            elif openai_wire(candidate.provider) is not None:
                plans.append(self._translated(candidate, index, call, max_tokens))
            else:
                plans.append(self._text(candidate, index, call, max_tokens))
        return plans

    def _plan(self, candidate: Candidate, call: MessagesCall, prompt: int, max_tokens: int) -> Plan:
        return bounded_plan(
            candidate,
            prompt=prompt,
            images=call.images,
            messages=call.messages,
            max_tokens=max_tokens,
            temperature=call.temperature,
        )

    def _translated(
        self, candidate: Candidate, index: int, call: MessagesCall, max_tokens: int
    ) -> Plan | None:
        """The OpenAI chat body for this candidate, bounded by its own size (the translation
        re-encodes the same content, not always in fewer bytes)."""
        try:
            body = to_chat_body(call.body, provider=candidate.provider_name)
        except ProviderBadRequest as exc:
            if index == 0:
                raise InvalidRequest(f"{call.model}: {exc.message}") from None
            return None
        prompt = (
            len(orjson.dumps(body))
            - sum(image.encoded for image in call.images)
            + PER_MESSAGE_OVERHEAD * len(body["messages"])
            + REPLY_PRIMING
            + (TOOL_PROMPT_TOKENS if call.uses_tools else 0)
        )
        planned = self._plan(candidate, call, prompt, max_tokens)
        self._bodies[id(planned)] = body
        return planned

    def _text(
        self, candidate: Candidate, index: int, call: MessagesCall, max_tokens: int
    ) -> Plan | None:
        if call.uses_tools:
            if index == 0:
                raise InvalidRequest(
                    f"Tool use needs an Anthropic or OpenAI-compatible provider; {call.model} "
                    f"is served by a {candidate.provider.kind} provider.",
                    "tools",
                )
            return None
        try:
            fitted = plan(
                candidate,
                call.system,
                call.turns,
                max_tokens=max_tokens,
                temperature=call.temperature,
            )
        except ContextTooLong:
            if index == 0:
                raise
            return None
        return with_images(fitted, call.images)

    async def runner(self, call: MessagesCall, stream: MessageStream | None) -> CallRunner:
        """Plan every candidate, apply the key's limits, admit one; return the runner."""
        plans = self.plans(call)
        first = next(p for p in plans if p is not None)
        await self.gateway.key_tpm(first.tokens)  # the rpm was counted by the lookup
        admitted = await self.gateway.admit(call.model, plans)

        async def source(current: Plan) -> AsyncIterator[Event]:
            provider = current.candidate.provider
            anthropic = anthropic_wire(provider)
            openai = openai_wire(provider)
            if anthropic is not None:
                body = self.anthropic_body(call, current)
                if stream is not None:
                    async with aclosing(anthropic.messages_stream(body)) as events:
                        async for relayed in stream.passthrough(events):
                            yield relayed
                    return
                reply = await anthropic.messages(body)
            elif openai is not None:
                body = self.chat_body(call, current)
                if stream is not None:
                    async with aclosing(openai.chat_completion_stream(body)) as chunks:
                        async for built in stream.translated(chunks):
                            yield built
                    return
                reply = to_message(await openai.chat_completion(body), model=call.model)
            else:
                texts = provider.stream_chat(current.request)
                async for item in texts if stream is None else stream.texts(texts):
                    yield item
                return
            self._replies[id(current)] = reply
            for answered in message_events(reply):
                yield answered

        gateway = self.gateway
        return gateway.runner(plans, admitted, source, stopped=lambda: self._stopped)

    @staticmethod
    def anthropic_body(call: MessagesCall, current: Plan) -> dict[str, Any]:
        """The client's body for an Anthropic upstream: its model name and the output limit
        the budget reserved for; ``stream`` as the client asked."""
        body = dict(call.body)
        body["model"] = current.request.model
        body["max_tokens"] = current.request.max_tokens
        body.pop("stream", None)
        if call.stream:
            body["stream"] = True
        return body

    def chat_body(self, call: MessagesCall, current: Plan) -> dict[str, Any]:
        """The translated body for an OpenAI-compatible upstream, with its model name, the
        output limit under the name it takes, and (streaming) usage always on."""
        provider_config = self.gateway.file.providers[current.candidate.provider_name]
        param = getattr(provider_config, "max_tokens_param", "max_tokens")
        body = dict(self._bodies[id(current)])
        body["model"] = current.request.model
        body[param] = current.request.max_tokens
        if call.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def lookup(self, call: MessagesCall, controls: Controls) -> Lookup | None:
        """The model must be allowed; then the key's rpm and the cache (`look_up`)."""
        config = self.gateway.model(call.model, "chat")
        max_tokens = min(call.max_tokens, config.max_output_tokens)
        return await self.gateway.look_up(
            lambda scope: messages_cached.cache_request(scope, call, max_tokens), controls
        )

    async def complete(self, call: MessagesCall, controls: Controls) -> dict[str, Any]:
        found = await self.lookup(call, controls)
        if found is not None and found.entry is not None:
            return messages_cached.message(found, call.model)
        runner = await self.runner(call, None)
        try:
            last = await runner.run()
        finally:
            self.gateway.record(runner)
        if last.error is not None:
            raise client_error(last.error)
        await self.gateway.save(last)  # text blocks only: any other block is `Delivered`
        reply = self._replies.pop(id(last.plan), None)
        if reply is not None:
            reply["model"] = call.model
            return reply
        tokens_in, tokens_out, _, _ = last.cost()
        content = [{"type": "text", "text": last.content}] if last.content else []
        return {
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "role": "assistant",
            "model": call.model,
            "content": content,
            "stop_reason": stop_reason(last.finish_reason),
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }

    async def stream(self, call: MessagesCall, controls: Controls) -> AsyncIterator[bytes]:
        """As `GatewayService.stream`: admission and every failure before the first event are
        plain HTTP errors (the SDK raises its usual exceptions); after it, an ``error`` event."""
        found = await self.lookup(call, controls)
        if found is not None and found.entry is not None:
            return messages_cached.stream(found, call.model)
        relay = MessageStream(call.model)
        runner = await self.runner(call, relay)

        task, first = await streaming.start(
            runner, relay.get, relay.close, lambda task: self._abandon(task, runner)
        )
        if first is None:  # ended before anything was sent
            last = await task
            if last.error is not None:
                self.gateway.record(runner)
                raise client_error(last.error)
        return self._relay(runner, relay, task, first)

    async def _abandon(self, task: asyncio.Task[Attempt], runner: CallRunner) -> None:
        await streaming.abandon(task, self._stop, lambda: self.gateway.record(runner))

    def _stop(self) -> None:
        self._stopped = True  # the client went away: stop paying for tokens nobody reads

    async def _relay(
        self,
        runner: CallRunner,
        relay: MessageStream,
        task: asyncio.Task[Attempt],
        first: bytes | None,
    ) -> AsyncIterator[bytes]:
        try:
            item = first
            while item is not None:
                yield item
                item = await relay.get()
            last = await task
            if last.error is not None:
                failed = client_error(last.error)
                _, body = anthropic_error(failed.status, failed.code, failed.message)
                yield event("error", body)
            else:
                tokens_in, tokens_out, _, _ = last.cost()
                ending = relay.finish(stop_reason(last.finish_reason), Usage(tokens_in, tokens_out))
                # Complete: offered to the cache before message_stop (the client may leave then).
                await self.gateway.save(last, tool_calls=not relay.text_only)
                yield ending
        finally:
            await self._abandon(task, runner)

    async def count_tokens(self, call: MessagesCall) -> tuple[int, str]:
        """(input tokens, ``upstream`` or ``estimate``): the model's Anthropic upstream counts
        them; for any other provider it is an estimate (`estimate_tokens` on the text and tool
        definitions, each image by its token formula on its real size, else its maximum)."""
        config = self.gateway.model(call.model, "chat")
        candidate = candidates_for(call.model, self.gateway.file, self.gateway.providers)[0]
        if call.images:
            self.gateway.takes_images(candidate, 0, call.model)
        await self.gateway.key_limits(0)
        provider = anthropic_wire(candidate.provider)
        if provider is not None:
            body = {k: call.body[k] for k in COUNTED_FIELDS if call.body.get(k) is not None}
            body["model"] = candidate.upstream
            try:
                return await provider.count_tokens(body), "upstream"
            except ProviderError as exc:
                raise client_error(exc) from None
        rule = rule_for(candidate.upstream, config.max_image_tokens)
        tools = call.body.get("tools")
        counted = (
            sum(estimate_tokens(message.content) for message in call.messages)
            + sum(image.tokens(rule) - estimate_tokens(image.describe()) for image in call.images)
            + (estimate_tokens(orjson.dumps(tools).decode()) if tools else 0)
            + PER_MESSAGE_OVERHEAD * len(call.messages)
            + REPLY_PRIMING
        )
        return max(1, counted), "estimate"
