"""A conversation's parameters (model, temperature, max output tokens, system prompt): checked
once, where they are saved, so a send never starts with a combination that cannot work.

The same rules hold for a conversation, a preset and the result of applying a preset to a
conversation, each a :class:`Parameters`; ``None`` means "the server's default" (for a preset's
model: "keep the conversation's"). Each failure has its own stable code (422)::

    unknown_model              not a configured chat model
    temperature_out_of_range   outside 0..2 (OpenAI's range; Anthropic's 0..1 is clamped there)
    max_tokens_too_large       more than the model's max_output_tokens
    system_prompt_too_long     over 20,000 characters, or no room left in the model's context
                               window for it, the reply's max tokens and a short message

The token check uses the estimate that `calls.context.fit_to_context` and the gate's upper
bound use, so a prompt accepted here is one the send path can fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockgate.errors import UnknownModel, Unprocessable
from lockgate.providers.config import ModelConfig
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, estimate_tokens
from lockgate.settings import FileConfig

MAX_SYSTEM_PROMPT_CHARS = 20_000
MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 2.0
# A system prompt must leave room for at least a short user message next to the reply.
MESSAGE_ROOM_TOKENS = 64


class TemperatureOutOfRange(Unprocessable):
    code = "temperature_out_of_range"
    message = f"Temperature must be between {MIN_TEMPERATURE:g} and {MAX_TEMPERATURE:g}."


class MaxTokensTooLarge(Unprocessable):
    code = "max_tokens_too_large"


class SystemPromptTooLong(Unprocessable):
    code = "system_prompt_too_long"


@dataclass(frozen=True, slots=True)
class Parameters:
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    system_prompt: str = ""


def chat_model(file: FileConfig, name: str | None) -> tuple[str, ModelConfig] | None:
    """The named chat model (or the default when ``name`` is None); None when there is none."""
    name = name or file.effective_default_model
    config = file.models.get(name) if name else None
    if name is None or config is None or config.kind != "chat":
        return None
    return name, config


def check(params: Parameters, file: FileConfig) -> None:
    """Raise the first rule ``params`` break (see the module docstring)."""
    resolved = chat_model(file, params.model)
    if params.model is not None and resolved is None:
        available = ", ".join(file.chat_models) or "none"
        raise UnknownModel(f"Unknown chat model {params.model!r}. Available: {available}.")
    temperature = params.temperature
    # Written so that NaN (which JSON parsers may let through) fails too.
    if temperature is not None and not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise TemperatureOutOfRange(
            f"Temperature {temperature:g} is out of range: use {MIN_TEMPERATURE:g} to "
            f"{MAX_TEMPERATURE:g} (lower is more focused, higher more varied)."
        )
    if len(params.system_prompt) > MAX_SYSTEM_PROMPT_CHARS:
        raise SystemPromptTooLong(
            f"The system prompt is {len(params.system_prompt):,} characters; "
            f"at most {MAX_SYSTEM_PROMPT_CHARS:,} are allowed."
        )
    if resolved is None:
        return  # no chat model configured at all: a send says so
    name, model = resolved
    if params.max_tokens is not None and params.max_tokens > model.max_output_tokens:
        raise MaxTokensTooLarge(
            f"max_tokens {params.max_tokens} is more than {name} allows "
            f"({model.max_output_tokens})."
        )
    reply = reply_tokens(file, model, params.max_tokens)
    prompt = estimate_tokens(params.system_prompt) + PER_MESSAGE_OVERHEAD
    if params.system_prompt.strip() and prompt + reply + MESSAGE_ROOM_TOKENS > model.context_window:
        raise SystemPromptTooLong(
            f"The system prompt (about {prompt:,} tokens) and the {reply:,} tokens kept for the "
            f"reply leave no room for a message in {name}'s context window of "
            f"{model.context_window:,} tokens. Shorten the prompt or lower the max tokens."
        )


def reply_tokens(file: FileConfig, model: ModelConfig, max_tokens: int | None) -> int:
    """The output cap a send uses: the one set, else the server's default, within the model's."""
    if max_tokens is None:
        return min(file.chat.default_max_tokens, model.max_output_tokens)
    return min(max_tokens, model.max_output_tokens)
