"""A support desk's stream of questions, for the response cache benchmark: deterministic (seeded).

A few hundred distinct questions (an intent with its slot filled: "How do I reset my password on
iOS?" and "… on Android?" are two questions with two answers), each with several paraphrases,
asked thousands of times with a Zipf-like popularity (a few questions are asked all the time, most
rarely), plus a share of one-off questions (an order number, a charge on a date: asked once).
Every distinct question has its own answer, so a cache that serves the answer of another question
is caught: `Request.question` names the question, and a hit must return that question's answer.

People do not type the same text twice: a request picks one of its question's paraphrases (the
first, a FAQ's wording, more often than the others) and sometimes changes its surface (lower case,
no question mark, a "hi," or a "please"), so the exact layer sees repeats and the semantic layer
sees the rest.

    >>> stream = list(workload(requests=100, seed=7))
    >>> len(stream), stream[0].question == stream[0].question
    (100, True)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

ZIPF_S = 1.0
ONE_OFF_SHARE = 0.15
PARAPHRASE_WEIGHTS = (0.4, 0.2, 0.15, 0.15, 0.1)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    paraphrases: tuple[str, ...]
    answer: str
    answer_tokens: int  # what the answer costs to produce, in output tokens


@dataclass(frozen=True, slots=True)
class Request:
    text: str
    question: str  # the Question.id whose answer is right
    answer: str
    answer_tokens: int
    one_off: bool


# (paraphrase templates, slot values): each slot value makes one distinct question. A template's
# "{x}" (and "{y}") is the slot; a slot value that is a tuple fills both.
INTENTS: Sequence[tuple[Sequence[str], Sequence[str | tuple[str, str]]]] = (
    (
        (
            "How do I reset my password on {x}?",
            "I forgot my password, how can I reset it on {x}?",
            "Reset password on {x}",
            "Can you help me reset my password on {x}?",
            "What are the steps to reset my password on {x}?",
        ),
        ("iOS", "Android", "Windows", "macOS", "Linux", "ChromeOS"),
    ),
    (
        (
            "How do I cancel my {x} subscription?",
            "I want to cancel my {x} subscription. How?",
            "Cancel {x} subscription",
            "How can I cancel the {x} plan?",
            "What's the way to cancel my {x} plan subscription?",
        ),
        ("Basic", "Pro", "Team", "Enterprise", "Student"),
    ),
    (
        (
            "How do I export my {x} to {y}?",
            "Can I export my {x} as {y}?",
            "Export {x} to {y}",
            "Is there a way to export my {x} to {y}?",
        ),
        tuple(
            (data, fmt)
            for data in ("invoices", "contacts", "reports", "transactions")
            for fmt in ("CSV", "PDF", "Excel")
        ),
    ),
    (
        (
            "How long does shipping to {x} take?",
            "How long will delivery to {x} take?",
            "Shipping time to {x}?",
            "When will my order arrive if I live in {x}?",
        ),
        ("Canada", "Germany", "Japan", "Brazil", "Australia", "India", "Mexico", "France"),
    ),
    (
        (
            "How much does the {x} plan cost per {y}?",
            "What is the price of the {x} plan per {y}?",
            "{x} plan price per {y}",
            "What does the {x} plan cost per {y}?",
        ),
        tuple(
            (plan, period)
            for plan in ("Basic", "Pro", "Team", "Enterprise")
            for period in ("month", "year")
        ),
    ),
    (
        (
            "Do you integrate with {x}?",
            "Is there an integration with {x}?",
            "Can I connect my account to {x}?",
            "{x} integration available?",
            "Does your product work with {x}?",
        ),
        (
            "Slack",
            "Salesforce",
            "Zapier",
            "HubSpot",
            "Jira",
            "GitHub",
            "Google Sheets",
            "Microsoft Teams",
        ),
    ),
    (
        (
            "How do I change the {x} on my account?",
            "Can I update the {x} on my account?",
            "Change my account {x}",
            "Where do I change my {x}?",
        ),
        (
            "email address",
            "phone number",
            "billing address",
            "username",
            "display name",
            "profile picture",
        ),
    ),
    (
        (
            "Is {x} available on the {y} plan?",
            "Does the {y} plan include {x}?",
            "Do I get {x} with the {y} plan?",
            "{y} plan: is {x} included?",
        ),
        tuple(
            (feature, plan)
            for feature in ("SSO", "audit logs", "API access", "custom domains", "priority support")
            for plan in ("Basic", "Pro", "Team")
        ),
    ),
    (
        (
            "What does error {x} mean when I call the API?",
            "The API returns error {x}, what does it mean?",
            "I get error {x} from the API, why?",
            "API error {x} meaning",
        ),
        ("401", "403", "404", "409", "429", "500", "502", "503"),
    ),
    (
        (
            "What are the opening hours of your {x} store?",
            "When is the {x} store open?",
            "Opening hours {x} store",
            "What time does your store in {x} open?",
        ),
        ("London", "Paris", "Berlin", "Madrid", "Rome", "Amsterdam", "Dublin", "Lisbon"),
    ),
    (
        (
            "What is your return policy for {x}?",
            "Can I return {x}? What's the policy?",
            "Return policy for {x}",
            "How do returns work for {x}?",
        ),
        ("shoes", "electronics", "furniture", "clothing", "books", "toys", "jewelry"),
    ),
    (
        (
            "How do I connect my {x} to the app?",
            "How can I pair my {x} with the app?",
            "Connect {x} to the app",
            "The app won't find my {x}, how do I connect it?",
        ),
        ("Apple Watch", "Fitbit", "Garmin watch", "Samsung Galaxy Watch", "Oura ring"),
    ),
    (
        (
            "How do I {x} {y}?",
            "Where can I {x} {y}?",
            "{x} {y}, how?",
            "Can you tell me how to {x} {y}?",
        ),
        tuple(
            (verb, setting)
            for verb in ("enable", "disable")
            for setting in (
                "dark mode",
                "two-factor authentication",
                "email notifications",
                "auto-renewal",
                "location sharing",
            )
        ),
    ),
    (
        (
            "How do I change the app language to {x}?",
            "Can I use the app in {x}?",
            "Switch the app's language to {x}",
            "How do I set the language of the app to {x}?",
        ),
        ("Spanish", "French", "German", "Japanese", "Portuguese", "Italian"),
    ),
    (
        (
            "Do you deliver on {x}?",
            "Is there delivery on {x}?",
            "Can I get a delivery on {x}?",
            "Delivery on {x}?",
        ),
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    ),
    (
        (
            "How much is the Pro plan in {x}?",
            "What does the Pro plan cost in {x}?",
            "Pro plan price in {x}",
            "Can I see the Pro plan price in {x}?",
        ),
        ("EUR", "GBP", "JPY", "CAD", "AUD", "INR"),
    ),
    (
        (
            "How do I add a team member with the {x} role?",
            "Can I invite someone as {x}?",
            "Add a user with the {x} role",
            "How can I give a new member the {x} role?",
        ),
        ("admin", "editor", "viewer", "billing manager", "guest"),
    ),
    (
        (
            "How do I transfer ownership of a {x} to another user?",
            "Can I make someone else the owner of my {x}?",
            "Transfer {x} ownership",
            "How can I hand over a {x} to a colleague?",
        ),
        ("workspace", "project", "folder", "dashboard"),
    ),
    (
        (
            "How long do you keep my {x} after I delete my account?",
            "After deleting my account, how long are my {x} kept?",
            "{x} retention after account deletion",
            "When are my {x} removed after I close my account?",
        ),
        ("messages", "files", "invoices", "backups"),
    ),
    (
        (
            "Can I pay with {x}?",
            "Do you accept {x}?",
            "Is {x} accepted as payment?",
            "Payment with {x}?",
        ),
        ("PayPal", "Apple Pay", "Google Pay", "bank transfer", "Bitcoin", "a gift card"),
    ),
    (
        (
            "How do I set up single sign-on with {x}?",
            "Can I use {x} for SSO?",
            "SSO setup with {x}",
            "How do I configure {x} single sign-on?",
        ),
        ("Okta", "Azure AD", "Google Workspace", "OneLogin", "Auth0"),
    ),
    (
        (
            "What is the maximum file size for {x} uploads?",
            "How big can a {x} upload be?",
            "Max {x} upload size",
            "Is there a size limit for {x} uploads?",
        ),
        ("image", "video", "PDF", "audio"),
    ),
    (
        (
            "How do I restore a deleted {x}?",
            "I deleted a {x} by mistake, can I get it back?",
            "Restore deleted {x}",
            "Is it possible to recover a deleted {x}?",
        ),
        ("file", "project", "message", "contact", "calendar event"),
    ),
    (
        (
            "Is there a discount for {x}?",
            "Do you offer {x} discounts?",
            "Discount for {x}?",
            "Can {x} get a discount?",
        ),
        ("students", "nonprofits", "teachers", "startups", "veterans"),
    ),
    (
        (
            "How do I install the desktop app on {x}?",
            "Can I install the desktop app on {x}?",
            "Desktop app install on {x}",
            "What are the steps to install the desktop app on {x}?",
        ),
        ("Windows 10", "Windows 11", "Ubuntu 22.04", "Ubuntu 24.04", "macOS 14", "Fedora 40"),
    ),
    (
        (
            "How do I track my order shipped with {x}?",
            "My order was sent with {x}, how do I track it?",
            "Track {x} shipment",
            "Where can I track a {x} delivery?",
        ),
        ("UPS", "FedEx", "DHL", "USPS", "Royal Mail"),
    ),
    (
        (
            "What is the rate limit of the {x} API?",
            "How many requests can I make to the {x} API?",
            "{x} API rate limit",
            "Is the {x} API rate limited?",
        ),
        ("REST", "GraphQL", "Search", "Webhooks"),
    ),
    (
        (
            "How do I rotate my {x} API key?",
            "How can I rotate the API key for {x}?",
            "Rotate {x} API key",
            "What's the process to rotate my {x} API key?",
        ),
        ("production", "staging", "development"),
    ),
    (
        (
            "How do I switch my plan from {x} to {y}?",
            "Can I move from the {x} plan to the {y} plan?",
            "Change plan from {x} to {y}",
            "I'm on {x} and want to switch to {y}, how?",
        ),
        (
            ("Basic", "Pro"),
            ("Pro", "Basic"),
            ("Pro", "Team"),
            ("Team", "Pro"),
            ("Team", "Enterprise"),
        ),
    ),
    (
        (
            "Why is my {x} sync so slow?",
            "My {x} sync is slow, why?",
            "Why does syncing my {x} take so long?",
            "Slow {x} sync, what can I do?",
        ),
        ("calendar", "contacts", "email", "files"),
    ),
    (
        (
            "How many users can I add on the {x} plan?",
            "What is the user limit of the {x} plan?",
            "How many users does the {x} plan allow?",
            "{x} plan: how many users?",
        ),
        ("Basic", "Pro", "Team"),
    ),
    (
        (
            "How do I download my {x} invoice?",
            "Where can I download the invoice for {x}?",
            "Download {x} invoice",
            "Can I get a copy of my {x} invoice?",
        ),
        ("January", "February", "March", "April", "May", "June"),
    ),
    (
        (
            "What is the warranty on the {x}?",
            "How long is the warranty for the {x}?",
            "{x} warranty",
            "Does the {x} come with a warranty?",
        ),
        (
            "Aero X1 laptop",
            "Aero X2 laptop",
            "Nimbus 3 phone",
            "Nimbus 4 phone",
            "Pulse earbuds",
            "Pulse Max headphones",
            "Orbit tablet",
            "Orbit Mini tablet",
        ),
    ),
    (
        (
            "How do I factory reset my {x}?",
            "How can I restore my {x} to factory settings?",
            "Factory reset {x}",
            "What are the steps to factory reset the {x}?",
        ),
        (
            "Aero X1 laptop",
            "Nimbus 3 phone",
            "Nimbus 4 phone",
            "Pulse earbuds",
            "Orbit tablet",
            "Halo router",
            "Beam speaker",
        ),
    ),
    (
        (
            "Is the {x} in stock?",
            "Do you have the {x} in stock?",
            "{x} availability",
            "When will the {x} be back in stock?",
        ),
        (
            "Aero X2 laptop",
            "Nimbus 4 phone",
            "Pulse Max headphones",
            "Orbit Mini tablet",
            "Halo router",
            "Beam speaker",
            "Halo Mesh router",
        ),
    ),
    (
        (
            "How do I update the {x} to version {y}?",
            "How can I upgrade the {x} to version {y}?",
            "Update {x} to {y}",
            "Steps to update my {x} to version {y}?",
        ),
        tuple(
            (app, version)
            for app in ("iOS app", "Android app", "desktop app")
            for version in ("5.2", "5.3", "6.0")
        ),
    ),
    (
        (
            "How do I book a repair for my {x}?",
            "Can I get my {x} repaired?",
            "Repair booking for {x}",
            "Where do I send my {x} for repair?",
        ),
        ("Aero X1 laptop", "Nimbus 3 phone", "Pulse earbuds", "Orbit tablet", "Beam speaker"),
    ),
    (
        (
            "What is the battery life of the {x}?",
            "How long does the battery of the {x} last?",
            "{x} battery life",
            "How many hours does the {x} battery last?",
        ),
        (
            "Aero X1 laptop",
            "Aero X2 laptop",
            "Nimbus 4 phone",
            "Pulse earbuds",
            "Pulse Max headphones",
            "Orbit Mini tablet",
        ),
    ),
)

ONE_OFF_TEMPLATES = (
    "Where is my order #{n}? It hasn't arrived.",
    "I was charged {amount} dollars on {month} {day}, what is this charge?",
    "Can you check ticket {n} for me?",
    "My invoice {n} shows {amount} dollars but I expected less, why?",
    "Please cancel order {n}, I ordered the wrong size.",
    "Change the delivery address of order {n} to {house} {street} Street.",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
STREETS = ("Oak", "Maple", "Pine", "Cedar", "Elm", "Birch", "Walnut", "Willow")


def questions(seed: int = 1) -> list[Question]:
    """Every distinct question of `INTENTS`, with its paraphrases and its own answer."""
    rng = random.Random(seed)
    out: list[Question] = []
    for intent, (templates, slots) in enumerate(INTENTS):
        for slot, value in enumerate(slots):
            x, y = value if isinstance(value, tuple) else (value, "")
            texts = tuple(_fill(t, x, y) for t in templates)
            qid = f"q{intent:02d}-{slot:02d}"
            out.append(Question(qid, texts, f"Answer {qid}: {texts[0]}", rng.randint(80, 400)))
    return out


def _fill(template: str, x: str, y: str) -> str:
    text = template.format(x=x, y=y)
    return text[:1].upper() + text[1:]


def workload(
    *, requests: int, seed: int = 1, one_off_share: float = ONE_OFF_SHARE
) -> Iterator[Request]:
    """`requests` requests: Zipf-popular questions in some wording, and one-offs."""
    rng = random.Random(seed)
    pool = questions(seed)
    order = pool[:]
    rng.shuffle(order)  # popularity is not the order the intents are listed in
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(len(order))]
    cumulative = list(itertools.accumulate(weights))
    for n in range(requests):
        if rng.random() < one_off_share:
            yield _one_off(rng, n)
            continue
        question = rng.choices(order, cum_weights=cumulative)[0]
        weights_here = PARAPHRASE_WEIGHTS[: len(question.paraphrases)]
        text = rng.choices(question.paraphrases, weights=weights_here)[0]
        yield Request(
            _surface(rng, text), question.id, question.answer, question.answer_tokens, False
        )


def _one_off(rng: random.Random, n: int) -> Request:
    template = rng.choice(ONE_OFF_TEMPLATES)
    text = template.format(
        n=rng.randint(10_000, 99_999),
        amount=f"{rng.randint(5, 500)}.{rng.randint(0, 99):02d}",
        month=rng.choice(MONTHS),
        day=rng.randint(1, 28),
        house=rng.randint(1, 999),
        street=rng.choice(STREETS),
    )
    qid = f"one-off-{n}"
    return Request(text, qid, f"Answer {qid}", rng.randint(60, 250), True)


def _surface(rng: random.Random, text: str) -> str:
    """What people change when they type the same question again."""
    roll = rng.random()
    if roll < 0.15:
        return text.lower()
    if roll < 0.25:
        return text.rstrip("?")
    if roll < 0.32:
        return "Hi, " + text[:1].lower() + text[1:]
    if roll < 0.38:
        return text.rstrip("?.") + ", please?"
    return text
