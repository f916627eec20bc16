"""What identifies an answer: one request shape for every caller, and the hashes made from it.

Every caller that may be answered from the cache (the web chat, ``/v1/chat/completions``,
``/v1/responses`` and ``/v1/messages``) builds one `CacheRequest`:

- ``scope``    whose answers may be reused: ``user:<id>``, ``key:<id>`` or ``global``
               (`cache.policy.CachePolicy.scope`), never chosen by the client;
- ``model``    the model name the client asked for (fallbacks answer for it);
- ``messages`` the whole conversation as sent, system prompt included, as JSON-like dicts;
- ``params``   everything else that shapes the answer (tools, tool_choice, response_format,
               temperature, top_p, seed, the effective max_tokens, stop, ...). Callers pass
               every field they do not know to be harmless: an unknown field costs a miss,
               a forgotten one could cost a wrong answer.

Three things are derived from it:

- `exact_key`: a hash of all four after a canonical JSON normalisation (sorted keys, ``null``
  fields dropped, ``2.0`` written ``2``, strings in Unicode NFC, content parts that are all
  text joined into one string), so two requests that would send the same thing upstream have
  the same key;
- `context_tag`: the same hash without the last user message: the semantic layer only compares
  requests whose context (scope, model, parameters, system prompt, earlier turns) is identical;
- `prompt`: the last user message's text, the only part compared by meaning.

Example::

    request = CacheRequest.of("key:4f…", "gpt-4o-mini",
                              [{"role": "user", "content": "What is 2+2?"}], {"max_tokens": 64})
    request.exact_key      # 'c5b2…' (64 hex)
    request.prompt         # 'What is 2+2?'
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

KEY_VERSION = 1
"""Part of every hash: bump it when the normalisation changes, so old entries simply miss."""


def normalise(value: Any) -> Any:
    """The canonical form of a JSON value (see the module docstring)."""
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes: equal for requests that mean the same, whatever their key order."""
    return orjson.dumps(normalise(value), option=orjson.OPT_SORT_KEYS)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def text_of(content: Any) -> str | None:
    """A message's text: a string, or a list of parts that are all text (joined). None for
    anything else (images, audio, tool results): such a message is never compared by meaning."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple) and content:
        parts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text":
                return None
            text = part.get("text")
            if not isinstance(text, str):
                return None
            parts.append(text)
        return "".join(parts)
    return None


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message with all-text content parts as one string (the same prompt upstream)."""
    out = dict(message)
    text = text_of(out.get("content"))
    if text is not None:
        out["content"] = text
    return out


@dataclass(frozen=True, slots=True)
class CacheRequest:
    scope: str
    model: str
    messages: tuple[Mapping[str, Any], ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    exact_key: str = ""
    context_tag: str | None = None
    prompt: str | None = None

    @classmethod
    def of(
        cls,
        scope: str,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
    ) -> CacheRequest:
        normalised = tuple(_message(m) for m in messages)
        body = {"v": KEY_VERSION, "scope": scope, "model": model, "params": dict(params)}
        exact = digest({**body, "messages": normalised})
        prompt = context = None
        last = normalised[-1] if normalised else None
        if last is not None and last.get("role") == "user" and isinstance(last["content"], str):
            prompt = unicodedata.normalize("NFC", last["content"])
            context = digest({**body, "messages": normalised[:-1], "layer": "semantic"})
        return cls(scope, model, normalised, dict(params), exact, context, prompt)

    @classmethod
    def chat(
        cls,
        scope: str,
        model: str,
        system_prompt: str,
        turns: Sequence[tuple[str, str]],
        params: Mapping[str, Any],
    ) -> CacheRequest:
        """The web chat's shape: the system prompt (when not blank, as it is sent) and the
        (role, text) turns, newest last."""
        messages: list[dict[str, Any]] = []
        if system_prompt.strip():
            messages.append({"role": "system", "content": system_prompt})
        messages.extend({"role": role, "content": text} for role, text in turns)
        return cls.of(scope, model, messages, params)

    @property
    def semantic(self) -> bool:
        """Whether the semantic layer may look at this request (its last message is a user's
        text)."""
        return self.context_tag is not None and bool(self.prompt and self.prompt.strip())


def tag(value: str) -> str:
    """A tag value for the vector index: hex only, whatever the scope or model name holds."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
