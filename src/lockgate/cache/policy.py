"""What may be looked up and what may be stored: the cache's rules, stated once.

**Scope.** ``owner`` (the default): a hit only comes from the same API key on ``/v1`` and the
same user in the web chat. ``global``: every caller shares answers (an operator's explicit
choice, e.g. a public FAQ bot). ``team``: the members of a team (and the keys that pay into it)
share answers; a caller in no team keeps to its own, as with ``owner``. The scope is part of
every key and tag, so two scopes (two teams) can never see each other's entries.

**Not looked up, not stored** (``x-lockgate-cache: bypass``):

- ``Cache-Control: no-cache`` on the request skips the lookup (the answer is still stored unless
  ``no-store``); ``no-store`` skips storing; both may be sent;
- a temperature above ``max_temperature``: the client asked for variety. A request *without* a
  temperature is cacheable: it did not ask for any (most SDK calls never set one), and a stored
  answer is one the model gave to exactly that request. A client that wants fresh samples sets a
  temperature above the ceiling or sends ``no-cache``;
- ``n`` > 1, ``logprobs``/``top_logprobs``, non-text output (``audio``, ``modalities``): a
  replay could not give back what was asked for;
- a regenerate in the web chat (the user asked for another answer): no lookup, but stored.

**Never stored**: errors, replies cut short (stop, disconnect, shutdown, an upstream failure
mid-stream), empty replies, tool calls, finish reasons other than ``stop`` and ``length``
(``length`` is the complete answer to a request whose ``max_tokens`` is part of the key).

**Threshold.** A request may ask for a stricter semantic threshold with the header
``x-lockgate-cache-threshold: 0.98``; a looser value is raised to the configured threshold
(a client can never widen what counts as the same question). ``1`` disables semantic hits.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lockgate.errors import BadRequest
from lockgate.settings import CacheConfig

THRESHOLD_HEADER = "x-lockgate-cache-threshold"
STATUS_HEADER = "x-lockgate-cache"
SIMILARITY_HEADER = "x-lockgate-cache-similarity"
STORABLE_FINISH = frozenset({"stop", "length"})
Result = Literal["hit", "miss", "bypass"]


class InvalidCacheThreshold(BadRequest):
    code = "invalid_cache_threshold"
    message = f"{THRESHOLD_HEADER} must be a number between 0 and 1."


@dataclass(frozen=True, slots=True)
class Controls:
    """What the request asked of the cache."""

    lookup: bool = True
    store: bool = True
    threshold: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Controls:
        """``Cache-Control`` directives (case-insensitive) and the threshold header."""
        directives = {
            part.strip().split("=", 1)[0].lower()
            for part in headers.get("cache-control", "").split(",")
        }
        threshold = None
        raw = headers.get(THRESHOLD_HEADER)
        if raw is not None:
            try:
                threshold = float(raw.strip())
            except ValueError:
                raise InvalidCacheThreshold() from None
            if not math.isfinite(threshold) or not 0 <= threshold <= 1:
                raise InvalidCacheThreshold()
        return cls(
            lookup="no-cache" not in directives,
            store="no-store" not in directives,
            threshold=threshold,
        )


REGENERATE = Controls(lookup=False)


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished reply, as the caller saw it complete."""

    text: str
    finish_reason: str | None
    tool_calls: bool = False


TeamOf = Callable[[uuid.UUID | None, uuid.UUID | None], uuid.UUID | None]
"""``(user_id, key_id) → team_id``: the team a caller pays into (the gate's, kept current)."""


def _no_team(_user: uuid.UUID | None, _key: uuid.UUID | None) -> uuid.UUID | None:
    return None


class CachePolicy:
    def __init__(self, config: CacheConfig, team_of: TeamOf = _no_team) -> None:
        self.config = config
        self.team_of = team_of

    def scope(self, *, user_id: uuid.UUID | None, key_id: uuid.UUID | None = None) -> str:
        """The scope string of a caller: its team (``scope: team``), else its key on ``/v1``,
        its user in the web chat."""
        if self.config.scope == "global":
            return "global"
        if self.config.scope == "team":
            team = self.team_of(user_id, key_id)
            if team is not None:
                return f"team:{team}"
        if key_id is not None:
            return f"key:{key_id}"
        if user_id is not None:
            return f"user:{user_id}"
        raise ValueError("a cached call needs a key or a user")

    def bypass(self, params: Mapping[str, Any], controls: Controls) -> str | None:
        """Why neither lookup nor store applies to this request, or None."""
        if not controls.lookup and not controls.store:
            return "cache_control"
        temperature = params.get("temperature")
        ceiling = self.config.max_temperature
        if (
            ceiling is not None
            and isinstance(temperature, int | float)
            and not isinstance(temperature, bool)
            and temperature > ceiling
        ):
            return "temperature"
        n = params.get("n")
        if isinstance(n, int) and not isinstance(n, bool) and n > 1:
            return "n"
        if params.get("logprobs") or params.get("top_logprobs"):
            return "logprobs"
        modalities = params.get("modalities")
        if params.get("audio") is not None or (
            isinstance(modalities, list) and any(m != "text" for m in modalities)
        ):
            return "modalities"
        return None

    def threshold(self, controls: Controls) -> float:
        """The configured threshold, or the request's stricter one."""
        asked = controls.threshold
        return self.config.threshold if asked is None else max(self.config.threshold, asked)

    def storable(self, answer: Answer) -> bool:
        return (
            bool(answer.text) and not answer.tool_calls and answer.finish_reason in STORABLE_FINISH
        )
