"""The gateway's calls: chat completions (streamed or not), embeddings, images — each a thin
caller of `lockgate.calls` (the same gate, breaker rule and settlement as the web app; the key's
budgets and limits on top of the user's and the provider's). Usage rows go to the batched
`UsageWriter`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from typing import Any

from lockgate.cache.keys import CacheRequest
from lockgate.cache.policy import Controls
from lockgate.cache.service import Lookup, ResponseCache
from lockgate.calls.candidates import (
    Admitted,
    Candidate,
    Plan,
    admit_first,
    candidates_for,
    plan,
    refusal,
)
from lockgate.calls.context import ContextTooLong
from lockgate.calls.once import Owner
from lockgate.calls.runner import Attempt, CallRunner, Event, Source, attempt_usage
from lockgate.clock import Clock
from lockgate.errors import AppError, Forbidden, NotFound, ProviderFailed, RateLimited
from lockgate.gate import Gate, Skip, acquire_caller_limits
from lockgate.gate.headroom import HeadroomLimits, NoHeadroom
from lockgate.gate.ratelimit import HttpRateLimiter
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.gateway import cached, streaming, wire
from lockgate.gateway.auth import KeyContext
from lockgate.gateway.caching import CacheStep
from lockgate.gateway.relay import Relay, passthrough_plan, reply_events, with_images
from lockgate.observability.metrics import Metrics
from lockgate.providers.base import (
    Usage,
    openai_wire,
)
from lockgate.providers.config import ModelConfig
from lockgate.providers.errors import ProviderError, ProviderRateLimited
from lockgate.providers.registry import ProviderRegistry, Sleep
from lockgate.settings import FileConfig
from lockgate.usage.writer import UsageWriter
from lockgate.vision.errors import ImagesNotSupported
from lockgate.vision.inputs import ImageLimits


class ModelNotFound(NotFound):
    code = "model_not_found"


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"


def upstream_error(error: ProviderError | AppError) -> AppError:
    """The key holder's error: our message for the class, plus the upstream's detail only for a
    bad request (their own request; see `ProviderError.public`). 5xx, 429, auth and transport
    details stay in the logs: they describe the upstream, not the request."""
    if isinstance(error, AppError):
        return error
    message = f"{error.provider}: {error.public(requester=True)}"
    if isinstance(error, ProviderRateLimited):
        return RateLimited(message, retry_after=error.retry_after or 1, code=error.code)
    return ProviderFailed(message, code=error.code)


class GatewayService:
    def __init__(
        self,
        key: KeyContext,
        *,
        file: FileConfig,
        providers: ProviderRegistry,
        gate: Gate,
        clock: Clock,
        metrics: Metrics,
        usage: UsageWriter,
        limiter: HttpRateLimiter,
        sleep: Sleep,
        image_limits: ImageLimits | None = None,
        cache: ResponseCache | None = None,
        hit: PendingHit | None = None,
    ) -> None:
        """``limiter`` counts the key's own rpm; ``sleep`` waits between retries;
        ``image_limits`` caps images in messages (the operator's settings); ``cache`` is the
        response cache (None: off); ``hit`` the request's global HTTP limit not counted yet:
        the admit counts it in its round trip, or the first other Redis step before itself."""
        self.key = key
        self.file = file
        self.providers = providers
        self.gate = gate
        self.clock = clock
        self.metrics = metrics
        self.usage = usage
        self.limiter = limiter
        self.sleep = sleep
        self.image_limits = image_limits or ImageLimits()
        self.cache = cache
        self.hit = hit
        self.caching = CacheStep(cache, self.owner, usage=usage, clock=clock)
        self._stopped = False  # set when the streaming client went away
        self._replies: dict[int, dict[str, Any]] = {}  # passed-through answers by plan

    def model(self, name: str, kind: str) -> ModelConfig:
        config = self.file.models.get(name)
        if config is None or config.kind != kind:
            raise ModelNotFound(f"The model {name!r} does not exist or is not a {kind} model.")
        allowed = self.key.key.allowed_models
        if allowed is not None and name not in allowed:
            raise ModelNotAllowed(f"This API key may not use the model {name!r}.")
        return config

    async def key_limits(self, tokens: int) -> None:
        """The key's own rpm (exact, shared) and tpm (60 s window, shared)."""
        await self.key_rpm()
        await self.key_tpm(tokens)

    async def count_hit(self) -> None:
        """Count the request's pending HTTP limit now (before a Redis step other than the
        admit, which counts it in its own round trip)."""
        if self.hit is not None:
            await self.hit.count()

    async def key_rpm(self) -> None:
        """The key's requests per minute: every request counts, a cache hit too."""
        key = self.key.key
        if key.rpm:
            await self.count_hit()
            await self.limiter.check_custom("key_rpm", str(key.id), f"{key.rpm}/minute")

    async def key_tpm(self, tokens: int) -> None:
        """The key's tokens per minute, then its team's and its user's rpm/tpm (run-time
        limits): what is sent upstream (a cache hit sends nothing)."""
        key = self.key.key
        if key.tpm:
            await self.count_hit()
            name = f"key:{key.id}"
            self.gate.headroom.limits[name] = HeadroomLimits(tpm=key.tpm)
            try:
                await self.gate.headroom.acquire(name, tokens)
            except NoHeadroom as exc:
                raise RateLimited(
                    f"This API key's token limit ({key.tpm}/minute) is used up.",
                    retry_after=exc.retry_after,
                ) from None
        await acquire_caller_limits(self.gate, key.user_id, key.id, tokens, before=self.count_hit)

    @property
    def owner(self) -> Owner:
        """The key pays: its user's budgets, plus the key's own."""
        return Owner(self.key.user_id, self.key.key_id, self.key.key.budget_limits)

    async def admit(self, model: str, plans: Sequence[Plan | None]) -> Admitted:
        skips: list[Skip] = []
        admitted = await admit_first(
            self.gate,
            plans,
            start=0,
            user_id=self.key.user_id,
            skips=skips,
            extra_limits=self.key.key.budget_limits,
            key_id=self.key.key_id,
            hit=self.hit,
        )
        if admitted is None:
            raise refusal(model, skips, self.gate)
        return admitted

    def plans(self, call: wire.ChatCall, config: ModelConfig) -> list[Plan | None]:
        """A plan per candidate that speaks OpenAI's wire (OpenAI-compatible providers pass the
        body through, Anthropic translates it, tools included); the simulated provider gets a
        translated text conversation and cannot take tool calls (a fallback that cannot is
        skipped)."""
        max_tokens = min(call.max_tokens or config.max_output_tokens, config.max_output_tokens)
        turns = [m for m in call.messages if m.role != "system"]
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        candidates = candidates_for(call.model, self.file, self.providers)
        plans: list[Plan | None] = []
        for index, candidate in enumerate(candidates):
            if call.images and not self.takes_images(candidate, index, call.model):
                plans.append(None)
            elif openai_wire(candidate.provider) is not None:
                plans.append(passthrough_plan(candidate, call, max_tokens))
            elif call.uses_tools:
                if index == 0:
                    raise wire.InvalidRequest(
                        f"Tool calling needs an OpenAI-compatible or Anthropic provider; "
                        f"{call.model} is served by a {candidate.provider.kind} provider.",
                        "tools",
                    )
                plans.append(None)
            else:
                try:
                    fitted = plan(
                        candidate,
                        system,
                        turns,
                        max_tokens=max_tokens,
                        temperature=call.temperature,
                        extra=call.extra,
                    )
                    plans.append(with_images(fitted, call.images))
                except ContextTooLong:
                    if index == 0:
                        raise
                    plans.append(None)
        return plans

    @staticmethod
    def takes_images(candidate: Candidate, index: int, model: str) -> bool:
        """Whether this candidate's model takes images; the primary's refusal is the client's
        (400 before anything is sent), a fallback that cannot is passed over."""
        if candidate.config.vision:
            return True
        if index == 0:
            raise ImagesNotSupported(
                f"The model {model!r} does not take images (it is not configured with "
                "vision: true).",
                "messages",
            )
        return False

    async def lookup(self, call: wire.ChatCall, controls: Controls) -> Lookup | None:
        """Steps 1 and 2: the model must be allowed, then `look_up`."""
        config = self.model(call.model, "chat")
        max_tokens = min(call.max_tokens or config.max_output_tokens, config.max_output_tokens)
        return await self.look_up(
            lambda scope: cached.cache_request(scope, call, max_tokens), controls
        )

    async def look_up(
        self, shape: Callable[[str], CacheRequest], controls: Controls
    ) -> Lookup | None:
        """Step 2 for every wire format (gateway/caching.py): the key's rpm counts first (a
        hit is a request). The caller checked the model."""
        await self.key_rpm()
        if self.cache is not None:
            await self.count_hit()
        return await self.caching.look_up(shape, controls)

    @property
    def cache_headers(self) -> dict[str, str]:
        return self.caching.headers

    async def save(self, last: Attempt, *, tool_calls: bool | None = None) -> None:
        await self.caching.save(last, tool_calls=tool_calls)

    async def chat(self, call: wire.ChatCall, relay: Relay | None) -> CallRunner:
        """Plan every candidate, apply the key's token limit, admit one; return the runner."""
        config = self.model(call.model, "chat")
        plans = self.plans(call, config)
        first = next(p for p in plans if p is not None)
        await self.key_tpm(first.tokens)
        admitted = await self.admit(call.model, plans)

        async def source(current: Plan) -> AsyncIterator[Event]:
            provider = current.candidate.provider
            wire_provider = openai_wire(provider)
            if wire_provider is None:
                events = provider.stream_chat(current.request)
                translated = events if relay is None else relay.translated(events)
                async for event in translated:
                    yield event
            elif relay is not None:
                body = self.upstream_body(call, current)
                async with aclosing(wire_provider.chat_completion_stream(body)) as chunks:
                    async for relayed in relay.passthrough(chunks):
                        yield relayed
            else:
                reply = await wire_provider.chat_completion(self.upstream_body(call, current))
                self._replies[id(current)] = reply
                for answered in reply_events(reply):
                    yield answered

        return self.runner(plans, admitted, source, stopped=lambda: self._stopped)

    def runner(
        self,
        plans: Sequence[Plan | None],
        admitted: Admitted,
        source: Source,
        *,
        stopped: Callable[[], bool],
    ) -> CallRunner:
        """The call path's runner for this key, whatever the wire format: its user, its budget
        limits on fallbacks, the retry settings, metrics; ``source`` speaks to the provider."""
        return CallRunner(
            self.gate,
            plans,
            admitted,
            user_id=self.key.user_id,
            retry=self.file.gate.retry,
            sleep=self.sleep,
            on_delta=lambda _attempt, _text: None,
            stopped=stopped,
            extra_limits=self.key.key.budget_limits,
            metrics=self.metrics,
            source=source,
            key_id=self.key.key_id,
        )

    def upstream_body(self, call: wire.ChatCall, current: Plan) -> dict[str, Any]:
        """The client's body for an OpenAI-compatible upstream: its model name, the output limit
        the budget reserved for, and (streaming) usage always on, since it settles the bill."""
        provider_config = self.file.providers[current.candidate.provider_name]
        param = getattr(provider_config, "max_tokens_param", "max_tokens")
        body = dict(call.extra)
        body["model"] = current.request.model
        body["messages"] = call.raw_messages
        body[param] = current.request.max_tokens
        if call.temperature is not None:
            body["temperature"] = call.temperature
        if call.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def record(self, runner: CallRunner) -> None:
        """Queue the usage row of every attempt (written in batches, see usage/writer.py)."""
        now = self.clock()
        for attempt in runner.attempts:
            self.usage.add(
                attempt_usage(
                    attempt, user_id=self.key.user_id, created_at=now, api_key_id=self.key.key_id
                )
            )

    async def complete(self, call: wire.ChatCall, controls: Controls) -> dict[str, Any]:
        found = await self.lookup(call, controls)
        if found is not None and found.entry is not None:
            return cached.completion(found, call.model)
        runner = await self.chat(call, None)
        try:
            last = await runner.run()
        finally:
            self.record(runner)
        if last.error is not None:
            raise upstream_error(last.error)
        await self.save(last)
        provider = last.plan.candidate.provider_name
        reply = self._replies.pop(id(last.plan), None)
        if reply is not None:
            reply["model"] = call.model
            reply["lockgate"] = {"provider": provider}
            return reply
        tokens_in, tokens_out, _, _ = last.cost()
        return wire.completion(
            wire.completion_id(),
            call.model,
            last.content,
            last.finish_reason or "stop",
            Usage(tokens_in, tokens_out),
            provider,
        )

    async def stream(self, call: wire.ChatCall, controls: Controls) -> AsyncIterator[bytes]:
        """Admission happens before the first byte, and so does every failure before the
        answer starts (retries and fallbacks included): those are plain HTTP errors, which the
        SDKs raise as their usual exceptions. Once a chunk is out, errors are in the stream."""
        found = await self.lookup(call, controls)
        if found is not None and found.entry is not None:
            return cached.stream(found, call.model, call.include_usage)
        relay = Relay(call.model, call.include_usage)
        runner = await self.chat(call, relay)

        task, first = await streaming.start(
            runner, relay.get, relay.close, lambda task: self._abandon(task, runner)
        )
        if first is None:  # ended before anything was sent
            last = await task
            if last.error is not None:
                self.record(runner)
                raise upstream_error(last.error)
        # From here on `_relay` records the usage rows (in its `finally`), once.
        return self._relay(call, runner, relay, task, first)

    async def _abandon(self, task: asyncio.Task[Attempt], runner: CallRunner) -> None:
        await streaming.abandon(task, self._stop, lambda: self.record(runner))

    def _stop(self) -> None:
        self._stopped = True  # the client went away: stop paying for tokens nobody reads

    async def _relay(
        self,
        call: wire.ChatCall,
        runner: CallRunner,
        relay: Relay,
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
                yield wire.error_chunk(upstream_error(last.error).message, last.error.code)
            elif openai_wire(last.plan.candidate.provider) is None:
                yield relay.finish(last.finish_reason or "stop")
                if call.include_usage:
                    tokens_in, tokens_out, _, _ = last.cost()
                    yield relay.usage(Usage(tokens_in, tokens_out))
            if last.error is None:  # complete: stored before [DONE], the client may leave at it
                await self.save(last)
            yield wire.DONE
        finally:
            await self._abandon(task, runner)
