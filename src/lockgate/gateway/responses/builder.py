"""Building a Responses API answer from a translated upstream: the ``response`` object and,
streamed, its typed events with ``sequence_number`` from 0.

Fed text deltas, tool call starts and argument pieces, it keeps the output items (a ``message``
item with one ``output_text`` part; a ``function_call`` item per tool call, in order) and, when
`emit` is given, writes the events OpenAI sends for them::

    response.created  response.in_progress                    (at the first output)
    response.output_item.added  response.content_part.added  response.output_text.delta…
    response.output_text.done   response.content_part.done   response.output_item.done
    response.output_item.added (function_call)  response.function_call_arguments.delta…
    response.function_call_arguments.done  response.output_item.done
    response.completed | response.incomplete | response.failed  (with the whole response)

Nothing is emitted before the first output: until then a failure is still an HTTP error (and
a retry or a fallback may run), as for chat completions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson

from lockgate.gateway.responses.request import ResponsesCall
from lockgate.providers.base import Usage


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def sse(event: dict[str, Any]) -> bytes:
    kind: str = event["type"]
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def usage_object(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


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


class ResponseBuilder:
    """One response's output and events. `shell` is the response object without ``status``,
    ``output``, ``usage`` and errors (id, model, the echoed request fields)."""

    def __init__(self, shell: dict[str, Any], emit: Callable[[bytes], None] | None) -> None:
        self.shell = shell
        self.output: list[dict[str, Any]] = []
        self.emit = emit
        self._sequence = 0
        self.started = False
        self._message: dict[str, Any] | None = None  # the open message item
        self._calls: dict[int, dict[str, Any]] = {}  # open function calls by upstream index

    def event(self, kind: str, **fields: Any) -> None:
        if self.emit is None:
            return
        self.emit(sse({"type": kind, "sequence_number": self._sequence, **fields}))
        self._sequence += 1

    def snapshot(self, status: str, **fields: Any) -> dict[str, Any]:
        return {**self.shell, "status": status, "output": list(self.output), **fields}

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        for kind in ("response.created", "response.in_progress"):
            self.event(kind, response=self.snapshot("in_progress", usage=None))

    def text(self, delta: str) -> None:
        self._content("output_text", delta)

    def refusal(self, delta: str) -> None:
        """The model refused (OpenAI's ``refusal``): a ``refusal`` part, not text."""
        self._content("refusal", delta)

    def _content(self, kind: str, delta: str) -> None:
        if not delta:
            return
        self.start()
        if self._message is None:
            self._close_calls()
            item: dict[str, Any] = {
                "id": new_id("msg"),
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            self._message = item
            self.output.append(item)
            self.event("response.output_item.added", output_index=self._index(item), item=item)
        message = self._message
        content = message["content"]
        if not content or content[-1]["type"] != kind:
            self._close_part()
            part: dict[str, Any] = (
                {"type": kind, "text": "", "annotations": [], "logprobs": []}
                if kind == "output_text"
                else {"type": kind, "refusal": ""}
            )
            content.append(part)
            self.event("response.content_part.added", **self._where(), part=dict(part))
        field = "text" if kind == "output_text" else "refusal"
        content[-1][field] += delta
        extra: dict[str, Any] = {"logprobs": []} if kind == "output_text" else {}
        self.event(f"response.{kind}.delta", **self._where(), delta=delta, **extra)

    def _where(self) -> dict[str, Any]:
        message = self._message
        assert message is not None
        return {
            "item_id": message["id"],
            "output_index": self._index(message),
            "content_index": len(message["content"]) - 1,
        }

    def _close_part(self) -> None:
        message = self._message
        if message is None or not message["content"]:
            return
        part = message["content"][-1]
        if part["type"] == "output_text":
            self.event("response.output_text.done", **self._where(), text=part["text"], logprobs=[])
        else:
            self.event("response.refusal.done", **self._where(), refusal=part["refusal"])
        self.event("response.content_part.done", **self._where(), part=dict(part))

    def tool_call(self, index: int, call_id: str | None, name: str | None) -> None:
        """A tool call starts (the upstream's tool call `index`), or is named late."""
        self.start()
        if index in self._calls:
            return
        self._close_message()
        item = {
            "id": new_id("fc"),
            "type": "function_call",
            "status": "in_progress",
            "call_id": call_id or new_id("call"),
            "name": name or "",
            "arguments": "",
        }
        self._calls[index] = item
        self.output.append(item)
        self.event("response.output_item.added", output_index=self._index(item), item=dict(item))

    def arguments(self, index: int, delta: str) -> None:
        if index not in self._calls:
            self.tool_call(index, None, None)
        item = self._calls[index]
        item["arguments"] += delta
        if delta:
            self.event(
                "response.function_call_arguments.delta",
                item_id=item["id"],
                output_index=self._index(item),
                delta=delta,
            )

    def _index(self, item: dict[str, Any]) -> int:
        return next(i for i, x in enumerate(self.output) if x is item)

    def _close_message(self, status: str = "completed") -> None:
        item = self._message
        if item is None:
            return
        self._close_part()
        self._message = None
        item["status"] = status
        self.event("response.output_item.done", output_index=self._index(item), item=item)

    def _close_calls(self, status: str = "completed") -> None:
        calls, self._calls = self._calls, {}
        for item in calls.values():
            item["status"] = status
            if not item["arguments"]:
                item["arguments"] = "{}"
            where = {"item_id": item["id"], "output_index": self._index(item)}
            self.event(
                "response.function_call_arguments.done",
                **where,
                name=item["name"],
                arguments=item["arguments"],
            )
            self.event("response.output_item.done", output_index=where["output_index"], item=item)

    def finish(self, finish_reason: str, usage: Usage, completed_at: int) -> dict[str, Any]:
        """The final response (and its closing events): ``length`` and ``content_filter`` make
        it ``incomplete`` with OpenAI's reason, anything else ``completed``."""
        self.start()
        incomplete = {"length": "max_output_tokens", "content_filter": "content_filter"}
        reason = incomplete.get(finish_reason)
        status = "completed" if reason is None else "incomplete"
        item_status = "completed" if reason is None else "incomplete"
        self._close_message(item_status)
        self._close_calls(item_status)
        final = self.snapshot(
            status,
            usage=usage_object(usage),
            incomplete_details={"reason": reason} if reason else None,
            completed_at=completed_at if reason is None else None,
        )
        self.event(f"response.{status}", response=final)
        return final

    def fail(self, code: str, message: str, usage: Usage) -> dict[str, Any]:
        """The final response of a call that failed after its output began."""
        self.start()
        self._close_message("incomplete")
        self._close_calls("incomplete")
        final = self.snapshot(
            "failed",
            usage=usage_object(usage),
            error={"code": "server_error", "message": message, "lockgate_code": code},
        )
        self.event("response.failed", response=final)
        return final
