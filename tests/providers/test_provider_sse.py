from collections.abc import AsyncIterator

import pytest

from lockgate.providers.sse import ServerSentEvent, iter_lines, iter_sse, iter_sse_chunks


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _events(*lines: str) -> list[ServerSentEvent]:
    return [event async for event in iter_sse(_lines(*lines))]


async def test_named_event_and_data_are_paired() -> None:
    events = await _events("event: ping", 'data: {"type": "ping"}', "")
    assert events == [ServerSentEvent("ping", '{"type": "ping"}')]


async def test_unnamed_event_is_a_message() -> None:
    assert await _events("data: [DONE]", "") == [ServerSentEvent("message", "[DONE]")]


async def test_multiline_data_is_joined_with_newlines() -> None:
    assert await _events("data: a", "data:b", "") == [ServerSentEvent("message", "a\nb")]


async def test_comments_and_unknown_fields_are_ignored() -> None:
    events = await _events(": keep-alive", "id: 7", "retry: 100", "data: x", "")
    assert events == [ServerSentEvent("message", "x")]


async def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert await _events("", "", "event: ping", "") == []


async def test_pending_event_at_end_of_input_is_dispatched() -> None:
    assert await _events("data: tail") == [ServerSentEvent("message", "tail")]


async def _chunks(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _lines_of(*chunks: bytes) -> list[str]:
    return [line async for line in iter_lines(_chunks(*chunks))]


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ((b"a\nb\n",), ["a", "b"]),
        ((b"da", b"ta: x", b"\n\n"), ["data: x", ""]),
        ((b"a\r\n\r\nb\r\n",), ["a", "", "b"]),
        ((b"a\r", b"\nb\n"), ["a", "b"]),  # CRLF split between two reads: one line ending
        ((b"a\r", b"\r", b"b"), ["a", "", "b"]),  # bare CRs are line endings too
        ((b"\xc3", b"\xa9t\xc3\xa9\n"), ["\u00e9t\u00e9"]),  # a character split across reads
        ((b"tail without ending",), ["tail without ending"]),
        ((b"ends with cr\r",), ["ends with cr"]),
        ((b"",), []),
    ],
)
async def test_lines_are_cut_on_the_three_sse_endings_whatever_the_chunking(
    chunks: tuple[bytes, ...], lines: list[str]
) -> None:
    assert await _lines_of(*chunks) == lines


async def test_unicode_line_separators_inside_data_are_not_line_endings() -> None:
    text = 'data: {"t": "a\u2028b\u0085c"}\n'
    assert await _lines_of(text.encode()) == [text[:-1]]


async def test_a_line_longer_than_any_buffer_comes_out_whole() -> None:
    pieces = [b"data: "] + [b"x" * 65_536] * 40 + [b"\n"]
    assert await _lines_of(*pieces) == ["data: " + "x" * 65_536 * 40]


async def test_events_straight_from_chunks_are_the_events_of_the_lines() -> None:
    chunks = (b"event: a\r", b"\ndata: 1\r\ndata:", b" 2\n\n: ping\n\nda", b"ta: tail")
    expected = [ServerSentEvent("a", "1\n2"), ServerSentEvent("message", "tail")]
    direct = [event async for event in iter_sse_chunks(_chunks(*chunks))]
    via_lines = [event async for event in iter_sse(iter_lines(_chunks(*chunks)))]
    assert (direct, via_lines) == (expected, expected)
