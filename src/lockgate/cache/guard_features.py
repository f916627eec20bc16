"""What the cache guard compares: the salient features of one text, read in one pass.

``features(text)`` normalises (NFKC, straight apostrophes), tokenises once, reads case for names
only, and returns a frozen :class:`Features` whose fields the rules in ``guard.py`` compare.

    >>> f = features("Convert $10 to EUR before Friday, please")
    >>> f.numbers, f.units, f.dates
    (('10',), ('usd', 'eur'), ('friday',))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from lockgate.cache import guard_lexicon as lx
from lockgate.cache.guard_lexicon import stem

_TOKEN = re.compile(
    r"""
    (?P<url>https?://[^\s<>"'`]+|www\.[^\s<>"'`]+)
   |(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
   |`(?P<code>[^`]+)`
   |"(?P<dq>[^"]{1,200})"
   |“(?P<cq>[^”]{1,200})”
   |«(?P<gq>[^»]{1,200})»
   |„(?P<lq>[^“”]{1,200})[“”]
   |(?<!\w)'(?P<sq>[^'\n]{1,200})'(?!\w)
   |(?P<date>\d{4}-\d{1,2}-\d{1,2})
   |(?P<time>\d{1,2}:\d{2}(?::\d{2})?)
   |(?<![\w.])(?P<num>-?\d+(?:,\d{3})*(?:\.\d+)*(?:[^\W\d_]+)?)
   |(?P<lang>(?<!\w)(?:[cf]\+\+|[cf]\#|\.net)(?!\w))
   |(?P<word>[^\W\d]\w*(?:['.\-/]\w+)*(?:\(\))?)
   |(?P<sym>[$€£¥₹%°+\u00d7\u00f7*=<>→#@/-])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_SENTENCE_BREAK = set(".!?:;([{\"'“«•*-\n")
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
_CAMEL = re.compile(r"[a-z][A-Z]")
_PHRASE_WORDS = 3


@dataclass(frozen=True, slots=True)
class Features:
    language: str  # "en", "fr", …, or a script name ("cyrillic", "cjk", …)
    words: tuple[str, ...]  # casefolded word tokens, in order
    stemmed: tuple[str, ...]  # their stems, in the same order
    numbers: tuple[str, ...]
    units: tuple[str, ...]
    dates: tuple[str, ...]
    literals: frozenset[str]  # URLs, e-mails, quoted strings, code
    names: frozenset[str]  # words this text marks as names (stems, codes as written)
    negated: bool
    poles: dict[str, frozenset[str]]
    questions: frozenset[str]
    asks_for: str | None  # "subject" ("who killed X") or "object" ("who did X kill")
    relations: dict[str, frozenset[str]]
    converts: bool
    stems: frozenset[str]
    content: frozenset[str]

    @property
    def words_set(self) -> frozenset[str]:
        return frozenset(self.words)


@dataclass(slots=True)
class _Token:
    kind: str  # num, word, sym
    text: str  # casefolded
    original: str
    sentence_start: bool


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")


def features(text: str) -> Features:
    text = normalise(text)
    literals, tokens = _tokenise(text)
    words = tuple(t.text for t in tokens if t.kind == "word")
    stemmed = tuple(map(stem, words))
    language = _language(text, words)
    numbers, units, dates = _quantities(tokens)
    poles, questions = _poles_and_questions(words, tokens)
    return Features(
        language=language,
        words=words,
        stemmed=stemmed,
        numbers=numbers,
        units=units,
        dates=dates,
        literals=literals,
        names=_names(tokens),
        negated=any(w in lx.NEGATIONS or w.endswith("n't") for w in words),
        poles=poles,
        questions=questions,
        asks_for=_asks_for(words),
        relations=_relations(tokens),
        converts=any(w in lx.CONVERSION_VERBS for w in words) or "from" in words,
        stems=frozenset(stemmed),
        content=_content(words, stemmed),
    )


def _asks_for(words: tuple[str, ...]) -> str | None:
    """Whether the first who/what asks for the doer or for the one done to: "who did Brutus
    kill" (object) against "who killed Brutus" (subject). None when the word after it is another
    auxiliary or a noun we cannot tell from a verb ("what is", "which plan")."""
    for i, word in enumerate(words[:-1]):
        if word in ("who", "what", "whom"):
            following = words[i + 1]
            if following in ("do", "does", "did"):
                return "object"
            if following in lx.STOPWORDS or following in lx.DETERMINERS:
                return None
            return "subject"
    return None


def _content(words: tuple[str, ...], stemmed: tuple[str, ...]) -> frozenset[str]:
    """The words rule 10 compares: not function words, not what another rule reads (numbers,
    units, dates, negations), not the head of a two-word action ("turn" in "turn on")."""
    content = set()
    for i, word in enumerate(words):
        if (
            word in lx.STOPWORDS
            or word in lx.UNITS
            or word in lx.DAYS
            or word in lx.MONTHS
            or word in lx.NEGATIONS
            or word.endswith("n't")
            or _is_number_word(word)
            or tuple(words[i : i + 2]) in lx.PHRASES
        ):
            continue
        content.add(stemmed[i])
    return frozenset(content)


def _tokenise(text: str) -> tuple[frozenset[str], list[_Token]]:
    literals: set[str] = set()
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "sym"
        value = match.group(kind)
        if kind in ("url", "email"):
            literals.add(value.casefold().rstrip(".,;:!?)"))
        elif kind in ("code", "dq", "cq", "gq", "lq", "sq"):
            literals.add(" ".join(value.casefold().split()))
        elif kind in ("date", "time"):
            parts = re.split(r"[-:]", value)
            tokens.append(_Token("num", ":".join(str(int(p)) for p in parts), value, False))
        elif kind == "num":
            digits = value.rstrip("".join({c for c in value if c.isalpha()}))
            start = _at_sentence_start(text, match.start())
            tokens.append(_Token("num", _number(digits), digits, start))
            suffix = value[len(digits) :].casefold()
            if suffix and suffix not in _ORDINAL_SUFFIX:
                tokens.append(_Token("word", suffix, suffix, False))
        elif kind in ("word", "lang"):
            start = _at_sentence_start(text, match.start())
            tokens.append(_Token("word", value.casefold(), value, start))
        else:
            tokens.append(_Token("sym", value, value, False))
    return frozenset(literals), tokens


def _at_sentence_start(text: str, index: int) -> bool:
    i = index - 1
    saw_newline = False
    while i >= 0 and text[i].isspace():
        saw_newline = saw_newline or text[i] == "\n"
        i -= 1
    return i < 0 or saw_newline or text[i] in _SENTENCE_BREAK


def _number(value: str) -> str:
    value = value.replace(",", "")
    sign = "-" if value.startswith("-") else ""
    digits = value.lstrip("-")
    if "." not in digits:
        digits = str(int(digits))
    return sign + digits


def _is_number_word(word: str) -> bool:
    parts = word.split("-")
    return all(p in lx.NUMBER_WORDS or p in lx.MULTIPLIERS or p in lx.ORDINALS for p in parts)


def _word_number(word: str) -> int | None:
    if word in lx.ORDINALS:
        return lx.ORDINALS[word]
    if _is_number_word(word) and "-" in word:
        return sum(lx.NUMBER_WORDS.get(p, 0) for p in word.split("-"))
    return lx.NUMBER_WORDS.get(word)


def _quantities(tokens: list[_Token]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    numbers: list[str] = []
    units: list[str] = []
    dates: list[str] = []
    run: int | None = None  # a written number being read ("two hundred and five")
    total = 0
    previous: _Token | None = None
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        after_number = previous is not None and previous.kind == "num"
        value = _word_number(token.text) if token.kind == "word" else None
        if value is not None and not (
            token.text == "one"
            and previous is not None
            and previous.text in lx.ONE_AS_PRONOUN_AFTER
        ):
            run = (run or 0) + value
        elif token.kind == "word" and token.text in lx.MULTIPLIERS:
            run = max(run or 1, 1) * lx.MULTIPLIERS[token.text]
            if lx.MULTIPLIERS[token.text] >= 1000:
                total, run = total + run, 0
        elif token.text == "and" and run is not None and nxt and _word_number(nxt.text) is not None:
            pass
        else:
            if run is not None:
                numbers.append(str(total + run))
                run, total = None, 0
                after_number = True
            _read_quantity(token, previous, nxt, after_number, numbers, units, dates)
        previous = token
    if run is not None:
        numbers.append(str(total + run))
    return tuple(numbers), _dedupe(units), _dedupe(dates)


def _read_quantity(
    token: _Token,
    previous: _Token | None,
    nxt: _Token | None,
    after_number: bool,
    numbers: list[str],
    units: list[str],
    dates: list[str],
) -> None:
    text = token.text
    if token.kind == "num":
        numbers.append(text)
    elif text in lx.FRACTIONS:
        numbers.append(lx.FRACTIONS[text])
    elif text in lx.UNITS and (after_number or text not in lx.UNITS_AFTER_NUMBER_ONLY):
        unit = lx.UNITS[text]
        if unit == "deg" and nxt is not None and nxt.text in ("c", "f"):
            unit = "celsius" if nxt.text == "c" else "fahrenheit"
        units.append(unit)
    elif text in lx.MONTHS:
        near_number = after_number or (nxt is not None and nxt.kind == "num")
        proper = token.original[:1].isupper() and not token.sentence_start
        if text not in lx.AMBIGUOUS_MONTHS or near_number or proper:
            dates.append(lx.MONTHS[text])
    elif text in lx.DAYS or stem(text) in lx.DAYS:
        dates.append(lx.DAYS.get(text) or lx.DAYS[stem(text)])


def _dedupe(items: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return tuple(out)


def _names(tokens: list[_Token]) -> frozenset[str]:
    words = [t for t in tokens if t.kind == "word"]
    letters = [t.original for t in words if t.original[:1].isalpha()]
    capitalised = sum(1 for w in letters if w[:1].isupper())
    title_case = len(letters) >= 5 and capitalised >= 0.8 * len(letters)
    names = set()
    for token in words:
        word, text = token.original, token.text
        if _looks_like_code(word, shouting=title_case):
            names.add(text)
        elif title_case or not word[:1].isupper() or text in ("i", "i'm", "i've", "i'd", "i'll"):
            continue
        elif not token.sentence_start:
            names.add(stem(text))
    return frozenset(names)


def _looks_like_code(word: str, *, shouting: bool) -> bool:
    if word.endswith("()") or "_" in word.strip("_") or _CAMEL.search(word) or "+" in word:
        return True
    if any(c.isdigit() or c == "#" for c in word) or word.startswith("."):
        return True
    if "." in word and any(len(part) > 1 for part in word.split(".")):
        return True
    return not shouting and len(word) >= 2 and word.isupper() and word.isalpha()


def _language(text: str, words: tuple[str, ...]) -> str:
    scripts: dict[str, int] = {"latin": 0}
    for char in text:
        if char.isascii():
            scripts["latin"] += char.isalpha()
        elif char.isalpha():
            script = _script(char)
            scripts[script] = scripts.get(script, 0) + 1
    main = max(scripts, key=lambda s: scripts[s])
    if main != "latin":
        return main
    scores = {
        lang: sum(1 for w in words if w in vocabulary)
        for lang, vocabulary in lx.LANGUAGE_WORDS.items()
    }
    best = max((lang for lang in scores if lang != "en"), key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] and scores[best] >= 2 else "en"


def _script(char: str) -> str:
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "other"
    first = name.split(" ", 1)[0]
    if first in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL"):
        return "cjk"
    return first.casefold()


def _poles_and_questions(
    words: tuple[str, ...], tokens: list[_Token]
) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    poles: dict[str, set[str]] = {}
    questions: set[str] = set()
    i = 0
    while i < len(words):
        pair = tuple(words[i : i + 2])
        if pair in lx.PHRASES or pair in lx.QUESTION_KINDS:
            if pair in lx.PHRASES:
                axis, pole = lx.PHRASES[pair]
                poles.setdefault(axis, set()).add(pole)
            else:
                questions.add(lx.QUESTION_KINDS[pair])
            i += 2
            continue
        word = words[i]
        if (word,) in lx.PHRASES:
            axis, pole = lx.PHRASES[(word,)]
            poles.setdefault(axis, set()).add(pole)
        elif (word,) in lx.QUESTION_KINDS:
            questions.add(lx.QUESTION_KINDS[(word,)])
        elif word in lx.POLES:
            axis, pole = lx.POLES[word]
            poles.setdefault(axis, set()).add(pole)
        i += 1
    for axis, pole in _symbol_poles(tokens):
        poles.setdefault(axis, set()).add(pole)
    return {axis: frozenset(p) for axis, p in poles.items()}, frozenset(questions)


def _symbol_poles(tokens: list[_Token]) -> Iterator[tuple[str, str]]:
    between = {"-": "sub", "/": "div", "x": "mul"}
    for i, token in enumerate(tokens):
        if token.kind == "sym" and token.text in lx.POLES:
            yield lx.POLES[token.text]
        elif token.text in ("<", ">"):
            yield ("compare", "less" if token.text == "<" else "more")
        elif (
            token.text in between
            and 0 < i < len(tokens) - 1
            and tokens[i - 1].kind == tokens[i + 1].kind == "num"
        ):
            yield ("arith", between[token.text])


def _relations(tokens: list[_Token]) -> dict[str, frozenset[str]]:
    """Each relation word's object: the next few words up to a function word ("from an array in
    JavaScript" → {array}; "from a JavaScript array" → {javascript, array})."""
    relations: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        relation = lx.RELATIONS.get(token.text)
        if relation is None:
            continue
        phrase: set[str] = set()
        for following in tokens[i + 1 :]:
            word = following.text
            if word in lx.DETERMINERS and not phrase:
                continue
            if relation == "to" and word in lx.CONVERSION_VERBS and not phrase:
                break
            if word in lx.STOPWORDS or word in lx.RELATIONS or len(phrase) == _PHRASE_WORDS:
                break
            phrase.add(lx.UNITS.get(word) or stem(word))
        if phrase:
            relations.setdefault(relation, set()).update(phrase)
    return {relation: frozenset(objects) for relation, objects in relations.items()}
