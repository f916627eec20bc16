"""The word lists the semantic-cache guard (``guard.py``) reads, kept apart from its logic.

Every table maps a surface form (NFKC, casefolded) to a canonical token, so that two wordings of
the same thing compare equal ("kilometres" and "km" are both ``km``) and two different things never
do ("usd" and "eur"). The lists are small on purpose: the guard is a refusal rule, and a word that
is missing from them only means the cosine threshold alone decides for it.
"""

from __future__ import annotations

from types import MappingProxyType


def _words(text: str) -> list[str]:
    return text.split()


def stem(word: str) -> str:
    """A light English stemmer, enough for "delete", "deletes", "deleted" and "deleting" to be
    one word: a possessive, then one inflection, then a final "e" are cut."""
    word = word.removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = _undouble(word[:-3])
    elif len(word) > 4 and word.endswith("ed"):
        word = _undouble(word[:-2])
    elif len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    """ "formatt" → "format", "stopp" → "stop"; "install" and "pass" keep theirs."""
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" and word[-1].isalpha():
        return word[:-1]
    return word


def _table(groups: dict[str, str]) -> MappingProxyType[str, str]:
    """``{"canonical": "form form …"}`` → a read-only ``{form: canonical}``."""
    table: dict[str, str] = {}
    for canonical, forms in groups.items():
        for form in forms.split():
            table[form] = canonical
    return MappingProxyType(table)


# --- numbers written as words -----------------------------------------------------------------

NUMBER_WORDS = MappingProxyType(
    {
        **{
            w: i
            for i, w in enumerate(
                _words(
                    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
                    "fourteen fifteen sixteen seventeen eighteen nineteen"
                )
            )
        },
        **{
            w: 10 * (i + 2)
            for i, w in enumerate(_words("twenty thirty forty fifty sixty seventy eighty ninety"))
        },
        "dozen": 12,
        "twice": 2,
        "thrice": 3,
    }
)
MULTIPLIERS = MappingProxyType(
    {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
)
ORDINALS = MappingProxyType(
    {
        w: i + 1
        for i, w in enumerate(
            _words(
                "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
            )
        )
    }
)
FRACTIONS = MappingProxyType({"half": "0.5", "quarter": "0.25"})
# "one" is a pronoun after these ("which one", "the one", "no one"), not a number
ONE_AS_PRONOUN_AFTER = frozenset(
    _words("which this that the each any every no another same right wrong new old other only")
)

# --- units and currencies ---------------------------------------------------------------------

UNITS = _table(
    {
        "usd": "usd $ us$ dollar dollars buck bucks",
        "eur": "eur € euro euros",
        "gbp": "gbp £ sterling quid",
        "pound": "pound pounds",
        "jpy": "jpy ¥ yen",
        "cny": "cny yuan rmb renminbi",
        "inr": "inr ₹ rupee rupees",
        "chf": "chf franc francs",
        "cad": "cad",
        "aud": "aud",
        "btc": "btc bitcoin bitcoins",
        "eth": "eth ether ethereum",
        "percent": "% percent pct percentage",
        "km": "km kilometer kilometers kilometre kilometres",
        "mi": "mi mile miles",
        "m": "m meter meters metre metres",
        "cm": "cm centimeter centimeters centimetre centimetres",
        "mm": "mm millimeter millimeters millimetre millimetres",
        "ft": "ft foot feet",
        "inch": "inch inches",
        "yd": "yd yard yards",
        "kg": "kg kgs kilogram kilograms kilo kilos",
        "g": "g gram grams",
        "lb": "lb lbs",
        "oz": "oz ounce ounces",
        "l": "l liter liters litre litres",
        "ml": "ml milliliter milliliters millilitre millilitres",
        "gal": "gal gallon gallons",
        "cup": "cup cups",
        "tbsp": "tbsp tablespoon tablespoons",
        "tsp": "tsp teaspoon teaspoons",
        "celsius": "°c celsius centigrade",
        "fahrenheit": "°f fahrenheit",
        "kelvin": "kelvin",
        "deg": "° degree degrees deg",
        "mph": "mph",
        "kph": "kph km/h kmh",
        "b": "byte bytes",
        "kb": "kb kilobyte kilobytes kib",
        "mb": "mb megabyte megabytes mib",
        "gb": "gb gigabyte gigabytes gib",
        "tb": "tb terabyte terabytes tib",
        "bit": "bit bits",
        "mbps": "mbps",
        "gbps": "gbps",
        "ms": "ms millisecond milliseconds msec",
        "s": "s sec secs second seconds",
        "min": "mins minute minutes",
        "h": "h hr hrs hour hours",
        "day": "day days",
        "week": "week weeks",
        "month": "month months",
        "year": "year years yr yrs",
        "decade": "decade decades",
        "century": "century centuries",
        "kcal": "kcal calorie calories",
        "w": "watt watts",
        "kw": "kw kilowatt kilowatts",
        "kwh": "kwh",
        "v": "volt volts",
        "a": "amp amps ampere amperes",
        "hz": "hz hertz",
        "mhz": "mhz",
        "ghz": "ghz",
        "px": "px pixel pixels",
        "pt": "pt",
        "rem": "rem",
        "dpi": "dpi",
        "acre": "acre acres",
        "ha": "hectare hectares",
        "am": "am a.m",
        "pm": "pm p.m",
        "token": "token tokens",
        "user": "user users",
        "seat": "seat seats",
    }
)
# units that are ordinary words too: counted only right after a number ("5 m", "3 am")
UNITS_AFTER_NUMBER_ONLY = frozenset(
    _words("m g l a v s h w pt min am a.m pm p.m user users seat seats cup cups")
)

# --- dates and times --------------------------------------------------------------------------

MONTHS = _table(
    {
        "january": "january jan",
        "february": "february feb",
        "march": "march",
        "april": "april apr",
        "may": "may",
        "june": "june jun",
        "july": "july jul",
        "august": "august aug",
        "september": "september sep sept",
        "october": "october oct",
        "november": "november nov",
        "december": "december dec",
    }
)
# month names that are also common words: a month only when capitalised mid-sentence or next to
# a number ("May 3", "3 march")
AMBIGUOUS_MONTHS = frozenset({"march", "may", "dec", "jan"})
DAYS = _table(
    {
        "monday": "monday mon",
        "tuesday": "tuesday tue tues",
        "wednesday": "wednesday",
        "thursday": "thursday thu thur thurs",
        "friday": "friday fri",
        "saturday": "saturday",
        "sunday": "sunday",
        "today": "today",
        "tonight": "tonight",
        "tomorrow": "tomorrow",
        "yesterday": "yesterday",
        "weekend": "weekend weekends",
        "weekday": "weekday weekdays",
        "morning": "morning mornings",
        "afternoon": "afternoon afternoons",
        "evening": "evening evenings",
        "night": "night nights overnight",
        "noon": "noon midday",
        "midnight": "midnight",
        "spring": "spring",
        "summer": "summer",
        "autumn": "autumn",
        "winter": "winter",
    }
)

# --- negation ---------------------------------------------------------------------------------

NEGATIONS = frozenset(
    _words(
        "not no never none nothing nobody nowhere neither nor without cannot cant dont doesnt "
        "didnt isnt arent wasnt werent wont shouldnt couldnt wouldnt havent hasnt hadnt unable "
        "neednt mustnt aint nope"
    )
)
ANTONYM_PREFIXES = ("non-", "non", "un", "in", "im", "il", "ir", "dis", "anti-", "anti")
ANTONYM_STEM_MIN = 4

# --- opposite poles: (axis, pole) -------------------------------------------------------------
#
# Comparison axes are strict: a pole on one side and none on the other is a refusal ("is X more
# expensive" is not "is X expensive"). Action axes refuse only opposite poles ("delete a file" is
# not "create a file"; "get rid of a file" may still be "delete a file").

STRICT_AXES = frozenset({"compare", "extreme", "order", "arith"})
POLES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        form: (axis, pole)
        for axis, poles in {
            "compare": {
                "more": "more greater larger bigger higher above exceed exceeds exceeding longer "
                "heavier taller older",
                "less": "less fewer smaller lower below beneath shorter lighter younger",
            },
            "extreme": {
                "max": "max maximum most highest largest biggest greatest top longest heaviest "
                "tallest",
                "min": "minimum least lowest smallest fewest bottom shortest lightest",
            },
            "order": {
                "before": "before earlier preceding",
                "after": "after later following afterwards",
            },
            "arith": {
                "add": "plus sum +",
                "sub": "minus subtract subtracted subtracting",
                "mul": "times multiply multiplied multiplying \u00d7 *",
                "div": "divide divided dividing quotient \u00f7",
                "pow": "power squared cubed exponent",
                "root": "root sqrt",
            },
            "age": {
                "old": "oldest earliest",
                "new": "newest latest recent",
            },
            "sequence": {
                "next": "next upcoming coming",
                "prev": "previous prior past",
                "last": "last final",
            },
            "speed": {"fast": "faster fastest quicker quickest", "slow": "slower slowest"},
            "price": {
                "cheap": "cheaper cheapest cheap inexpensive affordable",
                "dear": "expensive pricier priciest costlier",
            },
            "quality": {"best": "best better", "worst": "worst worse"},
            "change": {
                "up": "increase increasing raise grow extend boost upgrade upgrading",
                "down": "decrease decreasing reduce shrink shorten downgrade downgrading",
            },
            "edit": {
                "add": "add adding insert create creating append include",
                "remove": "remove removing delete deleting erase drop exclude",
            },
            "switch": {
                "on": "enable enabling activate",
                "off": "disable disabling deactivate off",
            },
            "permit": {
                "allow": "allow permit grant accept approve whitelist unblock",
                "deny": "deny block forbid reject refuse ban revoke decline blacklist",
            },
            "run": {
                "start": "start starting begin launch resume restart",
                "stop": "stop stopping end halt terminate kill",
                "pause": "pause suspend freeze",
            },
            "door": {"open": "open opening", "close": "close closing shut"},
            "transfer": {
                "up": "upload uploading",
                "down": "download downloading",
                "in": "import importing",
                "out": "export exporting",
            },
            "crypt": {"enc": "encrypt encode encrypting encoding", "dec": "decrypt decode"},
            "trade": {"buy": "buy buying purchase", "sell": "sell selling"},
            "git": {"push": "push", "pull": "pull fetch"},
            "truth": {"true": "true", "false": "false"},
            "case": {"upper": "uppercase upper capital", "lower": "lowercase"},
            "sort": {"asc": "ascending asc", "desc": "descending desc reverse"},
            "sync": {"sync": "sync synchronous synchronously", "async": "async asynchronous"},
            "visibility": {"public": "public", "private": "private"},
            "io": {"read": "read reading", "write": "write writing"},
            "flow": {"send": "send sending", "receive": "receive receiving"},
            "money": {"credit": "credit", "debit": "debit charge"},
            "direction": {
                "north": "north northern",
                "south": "south southern",
                "east": "east eastern",
                "west": "west western",
                "left": "left",
                "right": "right",
                "horizontal": "horizontal horizontally",
                "vertical": "vertical vertically",
            },
            "undo": {"undo": "undo", "redo": "redo"},
            "quant": {"all": "all every entire whole", "some": "some several few"},
        }.items()
        for pole, forms in poles.items()
        for form in forms.split()
    }
)
# two-word actions that a single word cannot tell apart
PHRASES = MappingProxyType(
    {
        ("log", "in"): ("session", "in"),
        ("sign", "in"): ("session", "in"),
        ("log", "on"): ("session", "in"),
        ("login",): ("session", "in"),
        ("signin",): ("session", "in"),
        ("log", "out"): ("session", "out"),
        ("sign", "out"): ("session", "out"),
        ("log", "off"): ("session", "out"),
        ("logout",): ("session", "out"),
        ("sign", "up"): ("session", "up"),
        ("signup",): ("session", "up"),
        ("register",): ("session", "up"),
        ("turn", "on"): ("switch", "on"),
        ("switch", "on"): ("switch", "on"),
        ("turn", "off"): ("switch", "off"),
        ("switch", "off"): ("switch", "off"),
        ("scroll", "up"): ("direction", "up"),
        ("scroll", "down"): ("direction", "down"),
        ("zoom", "in"): ("zoom", "in"),
        ("zoom", "out"): ("zoom", "out"),
    }
)

# the first words of those phrases say nothing alone ("turn on" and "enable" are one action)
PHRASE_HEADS = frozenset({"turn", "switch", "log", "sign", "scroll", "zoom"})

# --- what a question asks for -----------------------------------------------------------------

QUESTION_KINDS = MappingProxyType(
    {
        ("why",): "why",
        ("how", "come"): "why",
        ("reason",): "why",
        ("when",): "when",
        ("what", "time"): "when",
        ("what", "year"): "when",
        ("what", "date"): "when",
        ("which", "year"): "when",
        ("where",): "where",
        ("who",): "who",
        ("whom",): "who",
        ("whose",): "who",
        ("how", "much"): "how-much",
        ("how", "many"): "how-many",
        ("how", "long"): "how-long",
        ("how", "old"): "how-old",
        ("how", "far"): "how-far",
        ("how", "big"): "how-big",
        ("how", "often"): "how-often",
    }
)

STRICT_QUESTIONS = frozenset({"why", "how-many", "how-long", "how-old", "how-far", "how-often"})

# --- relations whose object must agree ("convert a list to a string") -------------------------

RELATIONS = _table(
    {
        "to": "to into →",
        "from": "from",
        "than": "than",
        "against": "against",
        "by": "by",
        "of": "of",
    }
)
CONVERSION_VERBS = frozenset(
    _words(
        "convert converting conversion translate translating translation change changing switch "
        "switching turn turning migrate migrating migration move moving cast casting transform "
        "transforming transfer transferring copy copying map mapping port porting rename renaming "
        "redirect forward compile go going export import upgrade downgrade"
    )
)
DETERMINERS = frozenset(
    _words("a an the my your our their his her its this that these those some any one")
)

# --- English function words, sentence starters, and a few other languages' ------------------

STOPWORDS = frozenset(
    _words("""a an the and or but if then else of in on at by for with about as into like through
    to from using via within per many much
    over under again further once here there all any both each other such own same so than too
    very just also only i me my mine myself we us our ours you your yours he him his she her it
    its they them their what which who whom whose this that these those am is are was were be
    been being have has had having do does did doing can could would should will shall may might
    must need ought please kindly thanks thank hi hello hey help how when where why get got
    getting way ways want wanted wanting trying try tell explain show give know let make
    s t d ll m re ve whats hows wheres im ive id dont possible able really actually exactly
    quick quickly simple simply best good going anyone someone somebody there's what's it's
    i'm i've i'd you're can't don't doesn't isn't won't""")
)
STARTERS = STOPWORDS | frozenset(
    _words("""what how why when where who which whose is are was were do does did can could would
    should will shall may might must please tell explain show give list find write create make
    compose draft generate produce build design plan outline rewrite rephrase paraphrase
    proofread edit review correct improve optimize optimise refactor debug implement solve
    answer analyze analyse evaluate estimate predict name say send book order buy cancel renew
    schedule remind turn switch enable disable open close start stop run use try learn teach
    draw sort count search look read play watch call text email upload download share move
    copy paste print sign log connect disconnect upgrade downgrade restore recover transfer
    pay charge refund return exchange track ship contact report block unblock allow
    help reset change update delete remove add set get install configure fix check convert
    translate calculate compute summarize summarise describe define compare recommend suggest
    i we you my our hi hello hey thanks thank ok okay so also and but if in on for with at from
    to after before during since until the a an this that these those there here any some is
    yes no not step steps guide need want looking trying having getting unable can't cannot
    i'm i've quick question urgent hello, issue problem error""")
)
LANGUAGE_WORDS = MappingProxyType(
    {
        "en": frozenset(
            _words("the and is are what how do does can you my your with this that of for not why")
        ),
        "fr": frozenset(
            _words(
                "le la les est sont une des du et je tu vous nous mon ma mes ne pas comment "
                "pourquoi quel quelle avec pour dans sur qui que c'est"
            )
        ),
        "de": frozenset(
            _words(
                "der die das ist sind ein eine und ich du sie wir mein meine nicht wie warum was "
                "mit für auf kann können wo wann kein keine"
            )
        ),
        "es": frozenset(
            _words(
                "el la los las es son un una y yo tú usted mi mis como cómo por qué para con "
                "dónde cuándo está puedo puede del"
            )
        ),
        "it": frozenset(
            _words(
                "il lo gli le è sono uno una e io tu mio mia non come perché per con dove quando "
                "posso può della"
            )
        ),
        "pt": frozenset(
            _words(
                "o os as é são um uma e eu você meu minha não como por que para com onde quando "
                "posso pode está"
            )
        ),
        "nl": frozenset(
            _words(
                "de het een is zijn en ik jij mijn niet hoe waarom wat met voor op kan waar wanneer"
            )
        ),
    }
)

# rule 11 looks at substitutions of up to this many content words on each side
MAX_SWAPPED_WORDS = 2

# --- words that may replace each other in a paraphrase (rule 10 only) --------------------------

_SYNONYM_GROUPS = """
fix repair solve resolve troubleshoot
buy purchase
cost price fee
error issue problem bug glitch fault
car automobile vehicle
phone mobile cellphone smartphone
photo picture image pic
movie film
app application program software
computer pc
email e-mail mail
internet web online
website site webpage
refund reimbursement
cancel terminate
subscription plan membership
connect pair link
available include included
keep kept retain
switch move migrate
download copy
pay accept
forgot forget lost
big large huge
small little tiny
quick fast rapid speedy
show display
use utilize utilise employ
need require
choose pick select
search find look
shipping delivery shipment
package parcel
arrive come
work function operate
broken damaged faulty defective
change modify alter edit update switch
delete remove erase
create generate produce
write compose draft
invoice bill
charge bill
meaning definition mean define
translate say
find see locate view
exit quit
specific particular certain
people others folks
colour color
tall height high
probability chance odds likelihood
simplify reduce
accept take
calculate compute
author writer wrote
example sample
customer client
folder directory
shop store
kid child children
summarize summarise condense
tv television
wifi wi-fi wireless
laptop notebook
"""


def _synonyms(groups: str) -> MappingProxyType[str, frozenset[int]]:
    """stem → the groups (line numbers) it belongs to; a word may sit in several."""
    table: dict[str, set[int]] = {}
    for index, line in enumerate(groups.strip().splitlines()):
        for word in line.split():
            table.setdefault(stem(word), set()).add(index)
    return MappingProxyType({word: frozenset(ids) for word, ids in table.items()})


SYNONYMS = _synonyms(_SYNONYM_GROUPS)
# a word and another of the same pole ("delete", "remove") are synonyms too
POLE_STEMS = MappingProxyType({stem(word): pole for word, pole in POLES.items()})
STARTER_STEMS = frozenset(stem(word) for word in STARTERS)


def is_starter(word: str) -> bool:
    """A common word that a sentence may begin with (so its capital says nothing)."""
    return word in STARTERS or stem(word) in STARTER_STEMS
