"""The gateway's calls: chat completions (streamed or not), embeddings, images — each through
the same gate as chat (key budgets and limits on top of the user's and the provider's)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from lockgate.chat.routing import Admitted, admit_first, candidates_for, plans_for, refusal
from lockgate.chat.runner import Attempt, CallRunner, record_attempt
from lockgate.errors import AppError, Forbidden, NotFound, ProviderFailed, RateLimited
from lockgate.gate.headroom import HeadroomLimits, NoHeadroom
from lockgate.gate.ratelimit import LIMITER_STATE, HttpRateLimiter
from lockgate.gate.service import Skip, Ticket
from lockgate.gateway import wire
from lockgate.gateway.auth import KeyContext
from lockgate.models import UsageKind, UsageOutcome
from lockgate.providers.base import ChatMessage, ImageRequest, Provider, Usage
from lockgate.providers.config import ModelConfig
from lockgate.providers.errors import ProviderError, ProviderRateLimited
from lockgate.providers.pricing import cost, image_cost, price_for
from lockgate.providers.tokenizer import prompt_tokens_upper_bound
from lockgate.state import AppState
from lockgate.usage.service import record_usage


class ModelNotFound(NotFound):
    code = "model_not_found"


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"


def upstream_error(error: ProviderError | AppError) -> AppError:
    if isinstance(error, AppError):
        return error
    if isinstance(error, ProviderRateLimited):
        return RateLimited(error.message, retry_after=error.retry_after or 1, code=error.code)
    return ProviderFailed(f"{error.provider}: {error.message}", code=error.code)


class GatewayService:
    def __init__(self, state: AppState, key: KeyContext, request: Request) -> None:
        self.state = state
        self.key = key
        self.request = request
        self.tz = state.config.file.gate.budgets.timezone
        self._stopped = False  # set when the streaming client went away

    def model(self, name: str, kind: str) -> ModelConfig:
        config = self.state.config.file.models.get(name)
        if config is None or config.kind != kind:
            raise ModelNotFound(f"The model {name!r} does not exist or is not a {kind} model.")
        allowed = self.key.key.allowed_models
        if allowed is not None and name not in allowed:
            raise ModelNotAllowed(f"This API key may not use the model {name!r}.")
        return config

    async def key_limits(self, tokens: int) -> None:
        """The key's own rpm (exact, shared) and tpm (60 s window, shared)."""
        key = self.key.key
        if key.rpm:
            limiter = self.request.scope.get("state", {}).get(LIMITER_STATE)
            if isinstance(limiter, HttpRateLimiter):
                await limiter.check_custom("key_rpm", str(key.id), f"{key.rpm}/minute")
        if key.tpm:
            name = f"key:{key.id}"
            self.state.gate.headroom.limits[name] = HeadroomLimits(tpm=key.tpm)
            try:
                await self.state.gate.headroom.acquire(name, tokens)
            except NoHeadroom as exc:
                raise RateLimited(
                    f"This API key's token limit ({key.tpm}/minute) is used up.",
                    retry_after=exc.retry_after,
                ) from None

    async def admit(self, model: str, plans: list[Any]) -> Admitted:
        skips: list[Skip] = []
        admitted = await admit_first(
            self.state.gate,
            plans,
            start=0,
            user_id=self.key.user.id,
            skips=skips,
            extra_limits=self.key.budget_limits(self.tz),
        )
        if admitted is None:
            raise refusal(model, skips, self.state.gate)
        return admitted

    async def chat(
        self, call: wire.ChatCall, queue: asyncio.Queue[str | None] | None
    ) -> CallRunner:
        """Plan every candidate, apply the key's limits, admit one; return the runner."""
        config = self.model(call.model, "chat")
        max_tokens = min(call.max_tokens or config.max_output_tokens, config.max_output_tokens)
        turns = [m for m in call.messages if m.role != "system"]
        system = "\n\n".join(m.content for m in call.messages if m.role == "system")
        plans = plans_for(
            candidates_for(call.model, self.state.config.file, self.state.providers),
            system,
            turns,
            max_tokens=max_tokens,
            temperature=call.temperature,
            extra=call.extra,
        )
        first = next(p for p in plans if p is not None)
        await self.key_limits(first.tokens)
        admitted = await self.admit(call.model, plans)

        async def relay(_attempt: Attempt, text: str) -> None:
            if queue is not None:
                await queue.put(text)

        return CallRunner(
            self.state.gate,
            plans,
            admitted,
            user_id=self.key.user.id,
            retry=self.state.config.file.gate.retry,
            sleep=self.state.chat.retry_sleep if self.state.chat else asyncio.sleep,
            on_delta=relay,
            stopped=lambda: self._stopped,
            extra_limits=self.key.budget_limits(self.tz),
            metrics=self.state.metrics,
        )

    async def record(self, runner: CallRunner) -> None:
        now = self.state.clock()
        async with self.state.sessionmaker() as db:
            for attempt in runner.attempts:
                record_attempt(
                    db,
                    attempt,
                    user_id=self.key.user.id,
                    created_at=now,
                    api_key_id=self.key.key_id,
                )
            await db.commit()

    async def complete(self, call: wire.ChatCall) -> dict[str, Any]:
        runner = await self.chat(call, None)
        try:
            last = await runner.run()
        finally:
            await asyncio.shield(self.record(runner))
        if last.error is not None:
            raise upstream_error(last.error)
        tokens_in, tokens_out, _, _ = last.cost()
        return wire.completion(
            wire.completion_id(),
            call.model,
            last.content,
            last.finish_reason or "stop",
            Usage(tokens_in, tokens_out),
            last.plan.candidate.provider_name,
        )

    async def stream(self, call: wire.ChatCall) -> AsyncIterator[bytes]:
        """Admission happens before the first byte, so refusals are plain HTTP errors."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        runner = await self.chat(call, queue)
        return self._relay(call, runner, queue)

    async def _relay(
        self, call: wire.ChatCall, runner: CallRunner, queue: asyncio.Queue[str | None]
    ) -> AsyncIterator[bytes]:
        cid, created = wire.completion_id(), int(time.time())

        async def drive() -> Attempt:
            try:
                return await runner.run()
            finally:
                await queue.put(None)

        task = asyncio.create_task(drive())
        try:
            yield wire.chunk(cid, created, call.model, {"role": "assistant", "content": ""})
            while (text := await queue.get()) is not None:
                yield wire.chunk(cid, created, call.model, {"content": text})
            last = await task
            if last.error is not None:
                yield wire.error_chunk(str(last.error.message), last.error.code)
            else:
                yield wire.chunk(cid, created, call.model, {}, last.finish_reason or "stop")
                if call.include_usage:
                    tokens_in, tokens_out, _, _ = last.cost()
                    yield wire.usage_chunk(cid, created, call.model, Usage(tokens_in, tokens_out))
            yield wire.DONE
        finally:
            if not task.done():  # the client went away: stop paying for tokens nobody reads
                self._stopped = True
                task.cancel()
                await asyncio.wait({task})
            await asyncio.shield(self.record(runner))

    async def embed(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("model")
        if not isinstance(name, str):
            raise wire.InvalidRequest("model is required.", "model")
        config = self.model(name, "embedding")
        raw = body.get("input")
        inputs = [raw] if isinstance(raw, str) else raw
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(i, str) for i in inputs)
        ):
            raise wire.InvalidRequest("input must be a string or an array of strings.", "input")
        price = price_for(config.upstream_name(name), config.price)
        bound_tokens = prompt_tokens_upper_bound([ChatMessage("user", i) for i in inputs])
        upper = cost(price, Usage(bound_tokens, 0))
        await self.key_limits(bound_tokens)
        ticket, provider = await self._admit_single(name, config, upper, bound_tokens)
        started = time.monotonic()
        try:
            result = await provider.embed(config.upstream_name(name), inputs)
        except ProviderError as exc:
            await ticket.failed(Decimal(0), unhealthy=exc.retryable)
            await self._record_simple(UsageKind.EMBEDDING, config, name, started, error=exc)
            raise upstream_error(exc) from None
        amount = cost(price, result.usage)
        await ticket.succeeded(amount)
        await self._record_simple(
            UsageKind.EMBEDDING,
            config,
            name,
            started,
            tokens=result.usage.input_tokens,
            amount=amount,
        )
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": vector}
                for i, vector in enumerate(result.vectors)
            ],
            "model": name,
            "usage": {
                "prompt_tokens": result.usage.input_tokens,
                "total_tokens": result.usage.input_tokens,
            },
        }

    async def images(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("model") or next(
            (n for n, m in self.state.config.file.models.items() if m.kind == "image"), None
        )
        if not isinstance(name, str):
            raise ModelNotFound("No image model is configured.")
        config = self.model(name, "image")
        prompt, n = body.get("prompt"), body.get("n", 1)
        size = body.get("size") or config.image_sizes[0]
        if not isinstance(prompt, str) or not prompt.strip():
            raise wire.InvalidRequest("prompt is required.", "prompt")
        if not isinstance(n, int) or not 1 <= n <= 10:
            raise wire.InvalidRequest("n must be between 1 and 10.", "n")
        if size not in config.image_sizes:
            raise wire.InvalidRequest(
                f"size must be one of {', '.join(config.image_sizes)}.", "size"
            )
        price = price_for(config.upstream_name(name), config.price)
        upper = image_cost(price, n)
        await self.key_limits(0)
        ticket, provider = await self._admit_single(name, config, upper, 0)
        started = time.monotonic()
        try:
            images = await provider.generate_images(
                ImageRequest(model=config.upstream_name(name), prompt=prompt, size=size, n=n)
            )
        except ProviderError as exc:
            await ticket.failed(Decimal(0), unhealthy=exc.retryable)
            await self._record_simple(UsageKind.IMAGE, config, name, started, error=exc)
            raise upstream_error(exc) from None
        amount = image_cost(price, len(images))
        await ticket.succeeded(amount)
        await self._record_simple(
            UsageKind.IMAGE, config, name, started, images=len(images), amount=amount
        )
        return {
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(i.data).decode()} for i in images],
        }

    async def _admit_single(
        self, name: str, config: ModelConfig, upper: Decimal, tokens: int
    ) -> tuple[Ticket, Provider]:
        try:
            ticket = await self.state.gate.admit(
                config.provider,
                user_id=self.key.user.id,
                upper_bound=upper,
                tokens=tokens,
                extra_limits=self.key.budget_limits(self.tz),
            )
        except Skip as skip:
            raise refusal(name, [skip], self.state.gate) from None
        return ticket, self.state.providers.get(config.provider)

    async def _record_simple(
        self,
        kind: UsageKind,
        config: ModelConfig,
        name: str,
        started: float,
        *,
        tokens: int = 0,
        images: int = 0,
        amount: Decimal = Decimal(0),
        error: ProviderError | None = None,
    ) -> None:
        async with self.state.sessionmaker() as db:
            record_usage(
                db,
                user_id=self.key.user.id,
                kind=kind,
                provider=config.provider,
                model=name,
                outcome=UsageOutcome.ERROR if error else UsageOutcome.OK,
                created_at=self.state.clock(),
                input_tokens=tokens,
                images=images,
                cost_usd=amount,
                latency_ms=int((time.monotonic() - started) * 1000),
                api_key_id=self.key.key_id,
                error_code=error.code if error else None,
            )
            await db.commit()
