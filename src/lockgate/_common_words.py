"""Words people build would-be secrets from, for :mod:`lockgate.secret_strength`.

Not a dictionary of English: the few hundred words most often seen in hand-made secrets and
placeholders (configuration vocabulary, the commonest English words, password favourites). A
word found here is credited as one pick from a list of this size, not as random letters.
"""

from __future__ import annotations

_TEXT = """
secret secrets password passwd passphrase pass key keys token tokens auth login admin root user
users default defaults example sample test testing demo dev development prod production staging
local localhost server service app application api config configuration setting settings env
change changeme replace random characters character string value here your my our the this that
insecure unsafe safe secure security private public hidden internal lockgate gateway chat
openai anthropic model models llm django flask fastapi rails laravel node python java docker
kubernetes helm compose redis postgres postgresql sqlite database db session sessions cookie
cookies signing sign signature hash salt pepper crypto cipher encrypt encryption jwt hmac
super very really long longer strong stronger strongest good best great simple easy hard
company team project product office home work world hello welcome letmein qwerty asdf zxcv
iloveyou love monkey dragon master shadow sunshine princess football baseball soccer hockey
batman superman trustno1 whatever freedom flower summer winter spring autumn fall
correct horse battery staple purple orange yellow green blue red black white silver gold
one two three four five six seven eight nine ten hundred thousand million first second third
and for with from into onto over under about after before again against all also always
any are because been being both but can could did does doing done down each even every few
get got had has have having her him his how its just know like make many more most much must
need never new next not now off old only other out own same see should since some still such
take than them then there these they thing think time too two upon use used using was way
well were what when where which while who why will would year years yes yet you day days
password1 admin123 secret123 abc abcd abcdef qwertyuiop asdfgh zxcvbn
please dont do not share keep safe forget remember note notes temp temporary tmp placeholder
put set fill fillme todo fixme xxx foo bar baz qux spam eggs lorem ipsum dolor sit amet
access manager management control panel portal dashboard backend frontend web site http https
"""

COMMON_WORDS: frozenset[str] = frozenset(_TEXT.split())
