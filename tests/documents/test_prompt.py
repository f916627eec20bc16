"""The sources block in the prompt, and the simulated provider reading it back to cite."""

from __future__ import annotations

import uuid

from lockgate.documents.prompt import Source, with_sources
from lockgate.providers.base import ChatMessage
from lockgate.providers.simulated_citations import cited_sentences, listed_sources


def source(position: int, name: str, page: int | None, text: str) -> Source:
    return Source(position, uuid.uuid4(), uuid.uuid4(), name, page, text, 0.5)


def test_the_simulated_provider_cites_the_listed_sources_in_order() -> None:
    system = with_sources(
        "Be brief.",
        [
            source(1, "report.pdf", 3, "Revenue grew twelve percent in the third quarter."),
            source(2, "notes.md", None, 'She said "no" twice.\n\nSecond paragraph.'),
            source(3, "extra.txt", None, "Not cited: only two are."),
        ],
    )
    assert system.startswith("Be brief.\n\n")
    listed = listed_sources([ChatMessage(role="system", content=system)])
    assert [(s.number, s.label) for s in listed] == [
        (1, "report.pdf, page 3"),
        (2, "notes.md"),
        (3, "extra.txt"),
    ]
    assert listed[1].text == 'She said "no" twice.\n\nSecond paragraph.'
    assert cited_sentences(listed) == [
        ' report.pdf, page 3 says: "Revenue grew twelve percent in the third quarter." [1].',
        " notes.md says: \"She said 'no' twice. Second paragraph.\" [2].",
    ]


def test_no_sources_leave_the_prompt_alone() -> None:
    assert with_sources("Be brief.", []) == "Be brief."
    assert listed_sources([ChatMessage(role="system", content="Sources:\n[1] x")]) == []
