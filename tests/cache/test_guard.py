"""The semantic cache's guard: paraphrases pass, near-duplicates that need another answer do not.

Each refusal row names the rule that must refuse it, so a rule that stops working fails its own
rows (and not only the sum); each paraphrase row fails when some rule grows too eager.
"""

from __future__ import annotations

import time

import pytest

from lockgate.cache.guard import compatible, differences, features

PARAPHRASES = [
    # politeness, punctuation, case, filler
    ("How do I reset my password?", "Can you help me reset my password please"),
    ("how do i reset my password", "How Do I Reset My Password?"),
    ("HOW DO I RESET MY PASSWORD", "how do I reset my password?!"),
    ("Reset my password, please.", "Please reset my password"),
    ("Hi! Quick question: how can I export my data?", "How do I export my data?"),
    # reordered clauses
    ("In Python, how do I reverse a list?", "How do I reverse a list in Python?"),
    ("Why is my internet slow", "My internet is slow, why?"),
    (
        "My order #4412 hasn't arrived and I paid with PayPal",
        "I paid with PayPal and my order #4412 hasn't arrived",
    ),
    ("How do I install Docker on Ubuntu?", "Installing docker on ubuntu - how?"),
    # synonyms and other function words
    ("I was charged twice for my order", "My order was billed twice"),
    ("How do I delete my account?", "How can I remove my account?"),
    ("How do I fix a flat tire?", "How can I repair a flat tire?"),
    ("What is the meaning of the word 'serendipity'?", "Define 'serendipity'"),
    (
        "Can I change the email address on my account?",
        "How do I update my account's email address?",
    ),
    # numbers, units, dates and names that agree
    ("Convert 10 USD to EUR", "How much is 10 USD in EUR?"),
    ("What is twenty-five times four", "What is 25 times 4"),
    ("Convert 5 kilometres to miles", "What is 5 km in miles?"),
    ("What's 15% of 80?", "Calculate 15 percent of 80"),
    ("Is the office open on Sunday?", "Are you open on Sundays at the office?"),
    ("What does the error ECONNREFUSED mean", "what does ECONNREFUSED error mean?"),
    ("What's new in Python 3.12?", "Python 3.12: what is new?"),
    ("Is it safe to delete node_modules?", "Can I safely remove node_modules?"),
    ("Translate 'good morning' into Spanish", "How do you say 'good morning' in Spanish?"),
    ("Does the Pro plan include SSO?", "Is SSO included in the Pro plan?"),
    ("How long does shipping to Canada take?", "How long will shipping to Canada take?"),
    ("Write a haiku about autumn leaves", "Compose a haiku about autumn leaves"),
    ("How do I turn on dark mode?", "How can I enable dark mode?"),
    ("What is the capital of Australia?", "Which city is the capital of Australia?"),
    # negation on both sides
    ("Why doesn't my printer work?", "Why is my printer not working?"),
    ("What does DNS stand for?", "What does the acronym DNS stand for?"),
    ("reset password", "password reset"),
    (
        "How do I remove duplicates from an array in JavaScript?",
        "How to remove duplicate values from a JavaScript array?",
    ),
    ("I can't log in to my account", "I cannot log in to my account"),
    # another language, the same words
    ("Wie kündige ich mein Abo?", "wie kündige ich mein Abo"),
    ("¿Cómo restablezco mi contraseña?", "cómo restablezco mi contraseña"),
]

REFUSALS = [
    # (query, candidate, the rule that must refuse)
    ("Convert 10 USD to EUR", "Convert 10 EUR to USD", "units"),
    ("Convert 10 USD to EUR", "Convert 10 USD to GBP", "units"),
    ("Convert 5 km to miles", "Convert 5 miles to km", "units"),
    ("How many days are in a week?", "How many weeks are in a day?", "units"),
    ("Meeting at 3pm on Friday", "Meeting at 3am on Friday", "units"),
    ("What is 7 minus 3?", "What is 3 minus 7?", "numbers"),
    ("Convert 10 USD to EUR", "Convert 100 USD to EUR", "numbers"),
    ("What's new in Python 3.10?", "What's new in Python 3.1?", "numbers"),
    ("What is twenty-five times four", "What is 25 times 5", "numbers"),
    ("What is the first step?", "What is the second step?", "numbers"),
    ("Book a table for two", "Book a table for three", "numbers"),
    ("Which one is cheaper?", "Which two are cheaper?", "numbers"),
    ("Schedule the call on 2024-03-05", "Schedule the call on 2024-03-06", "numbers"),
    ("Is the office open on Sunday?", "Is the office open on Monday?", "dates"),
    ("What was the weather yesterday?", "What will the weather be tomorrow?", "dates"),
    ("Sales report for March 2024", "Sales report for April 2024", "dates"),
    ("Is it safe?", "Is it unsafe?", "antonym"),
    ("How do I install Docker?", "How do I uninstall Docker?", "antonym"),
    ("Is this a valid email address?", "Is this an invalid email address?", "antonym"),
    ("Is it possible to merge accounts?", "Is it impossible to merge accounts?", "antonym"),
    ("Is the list empty?", "Is the list non-empty?", "antonym"),
    ("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?", "negation"),
    (
        "Coffee with sugar, how many calories?",
        "Coffee without sugar, how many calories?",
        "negation",
    ),
    ("Why does my app crash on start?", "Why doesn't my app crash on start?", "negation"),
    ("What is the capital of France?", "What is the capital of Germany?", "names"),
    ("Flights from Paris to London", "flights from London to Paris", "names"),
    ("How do I install Docker on Ubuntu?", "How do I install Docker on Windows?", "names"),
    ("Translate 'good morning' into Spanish", "Translate 'good morning' into French", "names"),
    ("What does os.path.join do?", "What does os.path.split do?", "names"),
    ("Is the iPhone 15 waterproof?", "Is the iPhone 14 waterproof?", "numbers"),
    ("What does getUserName return?", "What does getUserId return?", "names"),
    ("Open https://example.com/a", "Open https://example.com/b", "literals"),
    ("Email me at anna@example.com", "Email me at bob@example.com", "literals"),
    ('What does "sudo" mean?', 'What does "su" mean?', "literals"),
    ("Is Rust faster than Go?", "Is Go faster than Rust?", "names"),
    ("Is a kilogram more than a pound?", "Is a kilogram less than a pound?", "compare"),
    ("What is the maximum upload size?", "What is the minimum upload size?", "extreme"),
    ("Should I stretch before running?", "Should I stretch after running?", "order"),
    ("What is 6 plus 2?", "What is 6 times 2?", "arith"),
    ("How do I turn on dark mode?", "How do I turn off dark mode?", "switch"),
    ("How do I enable two-factor login?", "How do I disable two-factor login?", "switch"),
    ("How do I add a user to my team?", "How do I remove a user from my team?", "edit"),
    ("Can I log in with Google?", "Can I sign up with Google?", "session"),
    ("How do I upload a file?", "How do I download a file?", "transfer"),
    ("How do I encrypt a file with GPG?", "How do I decrypt a file with GPG?", "crypt"),
    ("When should I buy shares?", "When should I sell shares?", "trade"),
    ("When does the store open?", "Where is the store?", "question"),
    ("Why is the sky blue?", "Is the sky blue?", "question"),
    ("How long is the Nile?", "How old is the Nile?", "question"),
    ("Who did Brutus kill?", "Who killed Brutus?", "asks for"),
    ("What does a rabbit eat?", "What eats a rabbit?", "asks for"),
    ("Can a dog eat cat food?", "Can a cat eat dog food?", "swapped"),
    ("Send 50 dollars to Maria", "Send 50 dollars from Maria", "roles"),
    ("How many people live in Tokyo?", "How do people live in Tokyo?", "question"),
    (
        "How do I convert a list to a string in Python?",
        "How do I convert a string to a list in Python?",
        "to",
    ),
    (
        "How do I migrate from MySQL to Postgres?",
        "How do I migrate from Postgres to MySQL?",
        "names",
    ),
    ("Is a cat smarter than a dog?", "Is a cat smarter than a horse?", "than"),
    ("How do I reset my password?", "How do I change my password?", "swapped word"),
    ("How do I cancel my subscription?", "How do I renew my subscription?", "swapped word"),
    (
        "What is the refund policy for shoes?",
        "What is the refund policy for jackets?",
        "swapped word",
    ),
    ("Wie kündige ich mein Abo?", "Wie verlängere ich mein Abo?", "wording"),
    ("Wie kündige ich mein Abo?", "How do I cancel my subscription?", "language"),
    ("Comment annuler ma commande ?", "Comment modifier ma commande ?", "wording"),
    ("Как сбросить пароль?", "Как изменить пароль?", "wording"),
    ("How do I reset my password?", "Как сбросить пароль?", "language"),
]


@pytest.mark.parametrize(("query", "candidate"), PARAPHRASES)
def test_a_paraphrase_may_share_the_answer(query: str, candidate: str) -> None:
    assert differences(query, candidate) == ()
    assert differences(candidate, query) == ()


@pytest.mark.parametrize(("query", "candidate", "rule"), REFUSALS)
def test_a_salient_difference_refuses_the_hit(query: str, candidate: str, rule: str) -> None:
    for left, right in ((query, candidate), (candidate, query)):
        reasons = differences(left, right)
        assert not compatible(left, right)
        assert any(reason.startswith(rule) for reason in reasons), reasons


def test_unicode_is_normalised_before_comparing() -> None:
    # full-width digits and letters, a ligature, a curly apostrophe: the same text after NFKC
    assert compatible("Convert \uff11\uff10 \uff35\uff33\uff24 to EUR", "Convert 10 USD to EUR")
    assert compatible("What\u2019s the \ufb01le limit?", "What's the file limit?")
    assert not compatible("Convert \uff11\uff10 \uff35\uff33\uff24 to EUR", "Convert 11 USD to EUR")


def test_features_read_numbers_units_and_dates_in_order() -> None:
    found = features("Convert $10 to EUR before Friday, please")
    assert (found.numbers, found.units, found.dates) == (("10",), ("usd", "eur"), ("friday",))
    assert features("two hundred and fifty people").numbers == ("250",)
    assert features("it costs 1,000 dollars").numbers == ("1000",)
    assert features("Which one is it?").numbers == ()


def test_months_that_are_words_count_only_as_dates() -> None:
    assert features("May I ask something?").dates == ()
    assert features("Is the shop open on 3 May?").dates == ("may",)
    assert features("Soldiers march in step").dates == ()


def test_the_guard_is_fast() -> None:
    """It runs on every semantic candidate: ~0.2 ms per pair on an idle core; the bound leaves
    room for a loaded CI machine."""
    query = "How do I convert 10 USD to EUR before Friday without paying a fee at Wise?"
    candidate = "Convert 10 EUR to USD on Friday with no fee at Wise, how?"
    started = time.perf_counter()
    for _ in range(200):
        compatible(query, candidate)
    per_pair = (time.perf_counter() - started) / 200
    assert per_pair < 0.005
