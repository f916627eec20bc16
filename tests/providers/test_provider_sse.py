from collections.abc import AsyncIterator

from lockgate.providers.sse import ServerSentEvent, iter_sse


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
