"""The simulated provider's answer when the prompt carries numbered sources: it cites them.

Lockgate puts retrieved passages in the system prompt as ``Sources:`` then ``[n] label`` and the
passage (`lockgate.documents.prompt`). Read back here, they make a deterministic cited answer,
so the demo (`make run`) shows citations and tests can follow one::

    You asked about "What was the revenue". report.pdf, page 2 says: "Revenue grew 12% to
    $4.1M in the third quarter" [1]. notes.md says: "…" [2].

Only the two best sources are cited (the first two listed: the retriever ranks them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lockgate.providers.base import ChatMessage

HEADER = "\nSources:\n"
CITED = 2
EXCERPT_WORDS = 14
_ENTRY = re.compile(r"^\[(\d+)\] (.+)$", re.M)


@dataclass(frozen=True, slots=True)
class Listed:
    number: int
    label: str
    text: str


def listed_sources(messages: Sequence[ChatMessage]) -> list[Listed]:
    """The sources of the system message, in order; [] when it lists none."""
    system = next((m.content for m in messages if m.role == "system"), "")
    at = system.rfind(HEADER)  # the block is last (a system prompt may quote the word)
    if at == -1:
        return []
    block = system[at + len(HEADER) :]
    entries = list(_ENTRY.finditer(block))
    found = []
    for index, entry in enumerate(entries):
        end = entries[index + 1].start() if index + 1 < len(entries) else len(block)
        text = block[entry.end() : end].strip()
        found.append(Listed(int(entry.group(1)), entry.group(2).strip(), text))
    return found


def cited_sentences(sources: Sequence[Listed]) -> list[str]:
    """One sentence per cited source, quoting its opening words, ending with its number."""
    sentences = []
    for source in sources[:CITED]:
        words = source.text.replace('"', "'").split()
        excerpt = " ".join(words[:EXCERPT_WORDS]) + ("…" if len(words) > EXCERPT_WORDS else "")
        sentences.append(f' {source.label} says: "{excerpt}" [{source.number}].')
    return sentences
