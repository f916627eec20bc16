"""How a ``/v1/responses`` request reaches each candidate (`Route`), and the plan the budget
reserves for there.

* ``responses`` — an upstream serving the Responses API: the client's body passed through with
  the model rewritten, ``max_output_tokens`` set to what the budget reserved, ``store: false``,
  and the conversation resolved from Lockgate's storage instead of ``previous_response_id``.
* ``chat`` — an OpenAI-compatible chat upstream or Anthropic: translated (translate.py).
* ``text`` — the simulated provider: the conversation as text (fitted to its context window).

The budget's upper bound of a ``responses`` or ``chat`` route is the size of the body sent (no
token is shorter than a byte) plus the per-message framing, plus the output cap, at the
candidate's price — as for chat completions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING
from typing import Any, Literal

import orjson

from lockgate.calls.candidates import Candidate, Plan, candidates_for, plan
from lockgate.calls.context import ContextTooLong
from lockgate.gateway.params import InvalidRequest
from lockgate.gateway.relay import MILLION
from lockgate.gateway.responses.request import ResponsesCall
from lockgate.gateway.responses.translate import Target, chat_body, refusal
from lockgate.providers.base import ChatMessage, ChatRequest, Role, openai_wire
from lockgate.providers.pricing import QUANTUM
from lockgate.providers.registry import ProviderRegistry
from lockgate.providers.responses_wire import responses_wire
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, REPLY_PRIMING
from lockgate.settings import FileConfig

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


@dataclass(slots=True)
class Planner:
    """The plans of one request, and the route of each (by the plan's identity)."""

    file: FileConfig
    providers: ProviderRegistry
    routes: dict[int, Route] = field(default_factory=dict)

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
        if responses_wire(provider) is not None:
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
        if openai_wire(provider) is None:
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
        config = self.file.providers[candidate.provider_name]
        body[getattr(config, "max_tokens_param", "max_tokens")] = limit
        if call.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        count = len(body["messages"])
        return self._sized_plan(candidate, body, count, limit, text), Route("chat", body)

    def plans(self, call: ResponsesCall, items: list[dict[str, Any]]) -> list[Plan | None]:
        """A plan per candidate; the primary's refusal is the client's, a fallback that cannot
        honour the request is skipped."""
        asked = call.max_output_tokens or self.file.models[call.model].max_output_tokens
        plans: list[Plan | None] = []
        for index, candidate in enumerate(candidates_for(call.model, self.file, self.providers)):
            limit = min(asked, candidate.config.max_output_tokens)
            try:
                fitted, route = self._route(call, items, candidate, limit)
            except (InvalidRequest, ContextTooLong):
                if index == 0:
                    raise
                plans.append(None)
                continue
            self.routes[id(fitted)] = route
            plans.append(fitted)
        return plans
