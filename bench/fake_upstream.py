"""A fast fake OpenAI-format upstream for the gateway benchmark, in its own process.

Pure asyncio (uvloop when installed), HTTP/1.1 keep-alive, every response body precomputed at
start: per request it only finds the end of the headers, reads ``Content-Length`` bytes, looks
for ``"stream": true`` in the body and writes bytes it already has. It answers

* ``POST /v1/chat/completions`` — a ``chat.completion`` object, or (``"stream": true``) an SSE
  stream of ``chat.completion.chunk`` objects in OpenAI's exact shapes: a role chunk, one chunk
  per token, a ``finish_reason: "stop"`` chunk, the usage chunk (``choices: []``) and
  ``data: [DONE]``, sent with ``Transfer-Encoding: chunked`` like OpenAI;
* ``GET /v1/models`` — one model; anything else is a JSON 404.

Responses carry OpenAI's ``x-ratelimit-*`` headers (with limits far above anything the benchmark
reaches) so the gateway parses them as it would in production. It binds 127.0.0.1 only, on the
given port or (``--port 0``) a free one, and prints ``PORT <n>`` once listening.

    python bench/fake_upstream.py --port 0 [--tokens 8] [--model bench-model]

It stops on SIGTERM/SIGINT, or by itself after ``--max-seconds`` (default one hour).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
from typing import Any, cast

LOOPBACK = "127.0.0.1"
STREAM_TRUE = re.compile(rb'"stream"\s*:\s*true')
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
WORDS = ["Hello", " from", " the", " fast", " fake", " upstream", " of", " Lockgate", "."]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _reply_tokens(count: int) -> list[str]:
    return [WORDS[i % len(WORDS)] for i in range(count)]


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


RATE_LIMIT_HEADERS = (
    b"x-ratelimit-limit-requests: 100000000\r\n"
    b"x-ratelimit-limit-tokens: 100000000000\r\n"
    b"x-ratelimit-remaining-requests: 99999999\r\n"
    b"x-ratelimit-remaining-tokens: 99999999999\r\n"
    b"x-ratelimit-reset-requests: 1ms\r\n"
    b"x-ratelimit-reset-tokens: 1ms\r\n"
)


def _head(status: str, content_type: bytes, length: int | None) -> bytes:
    framing = (
        b"transfer-encoding: chunked\r\n" if length is None else b"content-length: %d\r\n" % length
    )
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\n"
        b"content-type: " + content_type + b"\r\n" + framing + RATE_LIMIT_HEADERS + b"\r\n"
    )


def build_responses(model: str, tokens: int) -> dict[str, bytes]:
    """Every response the server sends, complete with status line and headers."""
    reply = _reply_tokens(tokens)
    base = {
        "id": "chatcmpl-bench0000000000000000000000",
        "created": 1_767_225_600,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_bench",
    }
    completion = {
        **base,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(reply),
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(12, tokens),
    }
    chunk_base = {**base, "object": "chat.completion.chunk"}
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
    deltas += [{"content": token} for token in reply]
    events = [
        {
            **chunk_base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
            "usage": None,
        }
        for delta in deltas
    ]
    events.append(
        {
            **chunk_base,
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
            "usage": None,
        }
    )
    events.append({**chunk_base, "choices": [], "usage": _usage(12, tokens)})
    payloads = [b"data: " + _dumps(event) + b"\n\n" for event in events] + [b"data: [DONE]\n\n"]
    stream = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"
    models = _dumps(
        {
            "object": "list",
            "data": [{"id": model, "object": "model", "created": 0, "owned_by": "bench"}],
        }
    )
    not_found = _dumps(
        {
            "error": {
                "message": "Unknown path.",
                "type": "invalid_request_error",
                "code": None,
                "param": None,
            }
        }
    )
    completion_body = _dumps(completion)
    return {
        "completion": _head("200 OK", b"application/json", len(completion_body)) + completion_body,
        "stream": _head("200 OK", b"text/event-stream; charset=utf-8", None) + stream,
        "models": _head("200 OK", b"application/json", len(models)) + models,
        "not_found": _head("404 Not Found", b"application/json", len(not_found)) + not_found,
    }


class UpstreamProtocol(asyncio.Protocol):
    """One connection: parse requests as bytes arrive (pipelining allowed), answer each."""

    def __init__(self, responses: dict[str, bytes]) -> None:
        self._responses = responses
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    self._transport.close()
                return
            head = bytes(self._buffer[:end]).lower()
            length = 0
            marker = head.find(b"\ncontent-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker + 1)
                length = int(head[marker + 16 : line_end if line_end >= 0 else None].strip())
            if length > MAX_BODY_BYTES:
                self._transport.close()
                return
            total = end + 4 + length
            if len(self._buffer) < total:
                return
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            self._answer(head, body)

    def _answer(self, head: bytes, body: bytes) -> None:
        assert self._transport is not None
        request_line = head.split(b"\r\n", 1)[0]
        if request_line.startswith(b"post ") and b"/chat/completions" in request_line:
            key = "stream" if STREAM_TRUE.search(body) else "completion"
        elif request_line.startswith(b"get ") and b"/models" in request_line:
            key = "models"
        else:
            key = "not_found"
        self._transport.write(self._responses[key])
        if b"\nconnection: close" in head:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(port: int, model: str, tokens: int, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    responses = build_responses(model, tokens)
    server = await loop.create_server(
        lambda: UpstreamProtocol(responses), LOOPBACK, port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (printed)")
    parser.add_argument("--model", default="bench-model")
    parser.add_argument("--tokens", type=int, default=8, help="completion tokens per reply")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:  # plain asyncio still far outpaces the gateway
        runner = asyncio.run
    else:
        runner = uvloop.run
    runner(serve(args.port, args.model, args.tokens, args.max_seconds))
    sys.exit(0)


if __name__ == "__main__":
    main()
