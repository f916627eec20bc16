"""The retrieved passages as numbered sources in the system prompt, and how to cite them.

The block goes through the call path with the rest of the prompt, so the gate's upper bound
counts it. Its shape is stable (the `simulated` provider reads it to cite deterministically)::

    <the conversation's system prompt>

    Answer from the numbered sources below (passages of the user's documents) when they are
    relevant. Cite each claim that uses one with its number in brackets, like [1] or [2][3]. …

    Sources:
    [1] report.pdf, page 3
    <passage>

    [2] notes.md
    <passage>
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

INSTRUCTIONS = (
    "Answer from the numbered sources below (passages of the user's documents) when they are "
    "relevant. Cite each claim that uses one with its number in brackets, like [1] or [2][3]. "
    "If the sources do not hold the answer, say so, and do not invent citations."
)
HEADER = "Sources:"


@dataclass(frozen=True, slots=True)
class Source:
    position: int
    chunk_id: uuid.UUID
    document_id: uuid.UUID
    file_name: str
    page: int | None
    text: str
    similarity: float

    @property
    def label(self) -> str:
        return f"{self.file_name}, page {self.page}" if self.page else self.file_name


def with_sources(system_prompt: str, sources: Sequence[Source]) -> str:
    if not sources:
        return system_prompt
    listed = "\n\n".join(f"[{s.position}] {s.label}\n{s.text}" for s in sources)
    block = f"{INSTRUCTIONS}\n\n{HEADER}\n{listed}"
    return f"{system_prompt.rstrip()}\n\n{block}" if system_prompt.strip() else block
