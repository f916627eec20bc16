"""The semantic cache's last word: may the answer to ``candidate`` be served for ``query``?

Cosine similarity is not enough. all-MiniLM-L6-v2 scores "Convert 10 USD to EUR" against
"Convert 10 EUR to USD" at 0.978 and "safe" against "unsafe" at 0.987: a sentence model hears the
same words and misses the one that changes the answer. So after the threshold, the semantic layer
asks this pure, fast function (a fraction of a millisecond, no model, no I/O), which refuses a
hit when the two texts differ in a *salient* token. A refusal costs one paid call; a wrong hit
serves a wrong answer, so every rule leans towards refusing.

Both texts are Unicode-normalised first (NFKC; curly apostrophes made straight), then tokenised;
case is read once for names and folded everywhere else. The rules, each a refusal:

1. **Language.** The two texts must be in the same script and, for Latin script, the same guessed
   language (function-word counts for en, fr, de, es, it, pt, nl). Outside English the local model
   is unreliable, so non-English texts must have the same set of words (case, punctuation and
   word order may differ, nothing else).
2. **Numbers**, in order: digits (``1,000`` = ``1000``; versions ``3.11`` kept as written, so
   ``3.10`` is not ``3.1``), ISO dates, clock times, written numbers ("twenty-five", "two
   hundred"), ordinals ("first" = 1, "2nd" = 2), "half", "twice". "one" after "which/the/this…"
   is a pronoun, not a number.
3. **Units and currencies**, in order, so swapped entities differ: ``$``/"dollars"/USD are one
   unit, "EUR"/"€" another; "km"/"kilometres"; ``°C``; ``%``; "3 pm" vs "3 am".
4. **Dates**: months, weekdays, today/tomorrow/yesterday, parts of the day, seasons, in order
   ("May" and "March" only capitalised mid-sentence or next to a number).
5. **Negation**: one text has not/no/never/without/n't/unable… and the other has none; or one
   has an antonym made by prefix (un-, in-, im-, il-, ir-, non-, dis-, anti-) of a word stem the
   other has ("safe"/"unsafe", "install"/"uninstall", "valid"/"invalid").
6. **Names and literals**: URLs, e-mails, quoted strings and back-ticked code must be the same
   sets. Proper names (capitalised words not at a sentence's start, or at the start when they are
   not common words), acronyms, camelCase, snake_case, dotted names, words with digits: every
   such name in either text is looked up in both (by stem, whatever its case) and the names must
   be the same, so "France" is not "Germany"; their order too when the rest of the two texts is
   the same sequence of words ("Rust faster than Go" is not "Go faster than Rust"; "Does Pro
   include SSO" is still "Is SSO included in Pro"). A text written all in Title Case or capitals
   has no names by case.
7. **Opposites**: comparison words (more/less, max/min, before/after, arithmetic operators) must
   be the same on both sides; actions with opposite poles (add/remove, enable/disable,
   upload/download, log in/log out/sign up, buy/sell, encrypt/decrypt, all/some, …) refuse when
   the two sides name different poles of the same axis.
8. **Question kind**: who/what asking for the doer is not who/what asking for the one done to
   ("who did Brutus kill" is not "who killed Brutus", "what does a rabbit eat" not "what eats a
   rabbit"); "why", "how many", "how long", "how old", "how far", "how often" must be
   on both sides or neither; when both sides ask a kind (also when/where/who/how much), the
   kinds must agree.
9. **Relations**: the object of "than", "from", "against", "by", "of", and (when the text
   converts or moves something) of "to"/"into" must share a word: "convert a list to a string"
   is not "convert a string to a list"; and one object must not change its relation: "send 50
   dollars to Maria" is not "send 50 dollars from Maria".
10. **Two words traded places** and nothing else changed ("can a dog eat cat food" is not "can
    a cat eat dog food"; neighbours that trade places, "password reset", still pass).
11. **Swapped words**: when the content words (not function words, lightly stemmed) of the two
    texts differ, beyond synonyms and relatives, by one or two words on each side, the replaced
    words are the question ("reset my password" vs "change
    my password", "change my email address" vs "change my phone number").

Paraphrases still pass: other word order, other function words, politeness, punctuation, case,
synonyms, added or dropped filler.

    >>> compatible("Convert 10 USD to EUR", "How much is 10 USD in EUR?")
    True
    >>> compatible("Convert 10 USD to EUR", "Convert 10 EUR to USD")
    False
    >>> differences("Is it safe?", "Is it unsafe?")[0]
    'antonym: unsafe/safe'
"""

from __future__ import annotations

from lockgate.cache import guard_lexicon as lx
from lockgate.cache.guard_features import Features, features
from lockgate.cache.guard_lexicon import stem


def compatible(query: str, candidate: str) -> bool:
    """True when nothing salient differs: the cached answer to ``candidate`` fits ``query``."""
    return not differences(query, candidate)


def differences(query: str, candidate: str) -> tuple[str, ...]:
    """Why the two texts must not share an answer (empty when they may), one reason per rule."""
    a, b = features(query), features(candidate)
    reasons: list[str] = []
    if a.language != b.language:
        return (f"language: {a.language}/{b.language}",)
    if a.language != "en":
        if a.words_set != b.words_set or a.numbers != b.numbers:
            reasons.append(f"wording ({a.language})")
        return tuple(reasons)
    for label, left, right in (
        ("numbers", a.numbers, b.numbers),
        ("units", a.units, b.units),
        ("dates", a.dates, b.dates),
        ("literals", a.literals, b.literals),
    ):
        if left != right:
            reasons.append(f"{label}: {_show(left)}/{_show(right)}")
    question = _questions(a, b)
    if question:
        reasons.append(question)
    if a.asks_for and b.asks_for and a.asks_for != b.asks_for:
        reasons.append(f"asks for: {a.asks_for}/{b.asks_for}")
    if a.negated != b.negated:
        reasons.append("negation")
    antonym = _antonym(a, b) or _antonym(b, a)
    if antonym:
        reasons.append(f"antonym: {antonym}")
    names = _names(a, b)
    if names:
        reasons.append(names)
    reasons.extend(_poles(a, b))
    reasons.extend(_relations(a, b))
    for rule in (_transposed, _swapped_words):
        found = rule(a, b)
        if found:
            reasons.append(found)
    return tuple(reasons)


def _show(value: object) -> str:
    if isinstance(value, tuple | frozenset):
        return ",".join(sorted(value) if isinstance(value, frozenset) else value) or "-"
    return str(value)


def _questions(a: Features, b: Features) -> str | None:
    """why/when/where/who must agree; "how much" and its kin only when both sides ask one."""
    if a.questions == b.questions:
        return None
    strict_a, strict_b = a.questions & lx.STRICT_QUESTIONS, b.questions & lx.STRICT_QUESTIONS
    if strict_a != strict_b or (a.questions and b.questions):
        return f"question: {_show(a.questions)}/{_show(b.questions)}"
    return None


def _antonym(a: Features, b: Features) -> str | None:
    for mine, theirs in ((a.words_set, b.words_set), (a.stems, b.stems)):
        for word in mine - theirs:
            for prefix in lx.ANTONYM_PREFIXES:
                base = word[len(prefix) :]
                if (
                    word.startswith(prefix)
                    and len(base) >= lx.ANTONYM_STEM_MIN
                    and base in theirs
                    and base not in mine
                ):
                    return f"{word}/{base}"
    return None


def _names(a: Features, b: Features) -> str | None:
    """Every name either text marks is looked for in both (by stem, whatever its case). The
    names must be the same; their order too when the rest of the two texts is the same sequence
    of words, for then the names were swapped ("Rust faster than Go"), not the clauses."""
    known = a.names | b.names
    if not known:
        return None
    left, right = _in_order(a, known), _in_order(b, known)
    if left == right:
        return None
    shown = f"names: {','.join(left) or '-'}/{','.join(right) or '-'}"
    if set(left) != set(right):
        return shown
    skeleton_a = [s for w, s in zip(a.words, a.stemmed, strict=True) if not {w, s} & known]
    skeleton_b = [s for w, s in zip(b.words, b.stemmed, strict=True) if not {w, s} & known]
    return shown if skeleton_a == skeleton_b else None


def _in_order(f: Features, known: frozenset[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for word, stemmed in zip(f.words, f.stemmed, strict=True):
        name = word if word in known else stemmed if stemmed in known else None
        if name is not None and name not in seen:
            seen.append(name)
    return tuple(seen)


def _poles(a: Features, b: Features) -> list[str]:
    reasons = []
    for axis in sorted(a.poles.keys() | b.poles.keys()):
        left, right = a.poles.get(axis, frozenset()), b.poles.get(axis, frozenset())
        if left == right:
            continue
        if axis in lx.STRICT_AXES or (left and right):
            reasons.append(f"{axis}: {_show(left)}/{_show(right)}")
    return reasons


def _relations(a: Features, b: Features) -> list[str]:
    """A relation both texts use must reach a common object; and one object must not stand in
    different relations ("send to Maria" is not "send from Maria")."""
    reasons = []
    for relation in sorted(a.relations.keys() & b.relations.keys()):
        left, right = a.relations[relation], b.relations[relation]
        if relation == "to" and not (a.converts and b.converts):
            continue
        if not left & right:
            reasons.append(f"{relation}: {_show(left)}/{_show(right)}")
    for thing in _objects(a) & _objects(b):
        roles_a = {r for r, objects in a.relations.items() if thing in objects}
        roles_b = {r for r, objects in b.relations.items() if thing in objects}
        if roles_a.isdisjoint(roles_b):
            reasons.append(
                f"roles of {thing}: {_show(frozenset(roles_a))}/{_show(frozenset(roles_b))}"
            )
    return reasons


def _objects(f: Features) -> set[str]:
    return {thing for objects in f.relations.values() for thing in objects}


def _transposed(a: Features, b: Features) -> str | None:
    """Two words apart changed places and nothing else changed: "can a dog eat cat food".
    (Neighbours that trade places are usually a paraphrase: "password reset".)"""
    left, right = a.stemmed, b.stemmed
    if len(left) != len(right):
        return None
    changed = [i for i, (x, y) in enumerate(zip(left, right, strict=True)) if x != y]
    if len(changed) == 2 and changed[1] - changed[0] > 1:
        i, j = changed
        if left[i] == right[j] and left[j] == right[i]:
            return f"swapped: {left[i]}/{left[j]}"
    return None


def _swapped_words(a: Features, b: Features) -> str | None:
    """A few content words replaced by unrelated ones, everything else kept: the replaced words
    are the question ("email address" / "phone number"). A word with a synonym or a relative
    on the other side is a paraphrase's change, not a swap."""
    only_a, only_b = a.content - b.content, b.content - a.content
    lone_a = sorted(x for x in only_a if not any(_related(x, y) for y in only_b))
    lone_b = sorted(y for y in only_b if not any(_related(x, y) for x in only_a))
    if not lone_a or not lone_b or max(len(lone_a), len(lone_b)) > lx.MAX_SWAPPED_WORDS:
        return None
    return f"swapped word: {','.join(lone_a)}/{','.join(lone_b)}"


def _related(x: str, y: str) -> bool:
    """Same word family (a shared start of five letters or more), or listed synonyms."""
    common = 0
    for cx, cy in zip(x, y, strict=False):
        if cx != cy:
            break
        common += 1
    if common >= 5 or (common >= 4 and common == min(len(x), len(y))):
        return True
    if lx.SYNONYMS.get(x, frozenset()) & lx.SYNONYMS.get(y, frozenset()):
        return True
    pole = lx.POLE_STEMS.get(x)
    return pole is not None and pole == lx.POLE_STEMS.get(y)


__all__ = ["Features", "compatible", "differences", "features", "stem"]
