"""The pure parts of ranking: query words, word ranks, snippets and reciprocal rank fusion."""

from __future__ import annotations

from lockgate.search.chunks import passages
from lockgate.search.fusion import K, fuse
from lockgate.search.words import Query, rank_key, snippet


def test_a_query_keeps_distinct_words_and_drops_function_words() -> None:
    assert Query.parse("  The  Flight to LISBON, the flight ").words == ("flight", "lisbon")


def test_a_query_of_function_words_only_keeps_them() -> None:
    assert Query.parse("to be").words == ("to", "be")


def test_every_word_ranks_above_some_words_and_the_phrase_above_words_apart() -> None:
    query = Query.parse("garden roses")
    both_apart = rank_key(query, "Roses grow in my garden")
    phrase = rank_key(query, "The garden roses bloom")
    one = rank_key(query, "A garden of tulips")
    assert phrase is not None
    assert both_apart is not None
    assert one is not None
    assert phrase > both_apart > one
    assert rank_key(query, "Nothing here") is None


def test_a_whole_word_ranks_above_a_word_inside_another() -> None:
    query = Query.parse("cat")
    assert rank_key(query, "the cat sat") > rank_key(query, "a category")  # type: ignore[operator]


def test_a_snippet_marks_every_match_and_keeps_the_offsets_right() -> None:
    text = "x " * 200 + "We booked a flight to Lisbon; Lisbon in May." + " y" * 200
    cut = snippet(text, ["lisbon"])
    assert cut.text.startswith("…")
    assert cut.text.endswith("…")
    assert [cut.text[s:e] for s, e in cut.marks] == ["Lisbon", "Lisbon"]


def test_a_snippet_never_builds_html() -> None:
    cut = snippet("<script>alert(1)</script> flight", ["flight"])
    assert cut.text == "<script>alert(1)</script> flight"  # plain text; the client escapes it
    assert [cut.text[s:e] for s, e in cut.marks] == ["flight"]


def test_fusion_prefers_an_item_in_both_lists() -> None:
    fused = fuse({"words": ["a", "b"], "meaning": ["c", "b"]}, {"words": 1.0, "meaning": 1.0})
    assert next(item for item, _ in fused) == "b"


def test_at_equal_ranks_the_words_list_wins() -> None:
    fused = fuse({"words": ["w"], "meaning": ["m"]}, {"words": 1.0, "meaning": 0.9})
    assert fused == [("w", 1 / (K + 1)), ("m", 0.9 / (K + 1))]


def test_passages_cut_on_paragraphs_and_stay_bounded() -> None:
    text = ("A sentence of words. " * 30 + "\n\n") * 40
    parts = passages(text, size=1_000, limit=16)
    assert len(parts) == 16
    assert all(0 < len(p) <= 1_000 for p in parts)
    assert passages("   ") == []
