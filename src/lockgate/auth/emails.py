"""The one canonical form of an email address: how accounts are stored, found and rate limited.

Registration, sign-in, the sign-in limiter, ``lockgate user create`` and every lookup of a user
by email go through :func:`normalize_email`, so two spellings of one address can never be two
accounts, nor two sign-in limit buckets (issue 12: five wrong passwords for
``victim@example.com``, then ``" victim@example.com"`` with the right one, was let in)::

    normalize_email("  Victim@Example.COM ")      # 'victim@example.com'
    normalize_email("\\uff56ictim@example.com")   # 'victim@example.com' (fullwidth v, NFKC)
    normalize_email("Straße@example.com")         # 'strasse@example.com' (case folding)
    normalize_email("a@xn--bcher-kva.de")         # 'a@bücher.de' (one form per domain)

The steps: Unicode NFKC (compatibility forms such as fullwidth letters become the plain ones),
full case folding (``casefold``, not ``lower``: ``ß`` and ``ss`` are one address), NFKC again
(folding can leave text that is not in normal form: Unicode's NFKC_Casefold), surrounding
whitespace removed, and ``xn--`` domain labels decoded, as the address validator stores them.
What is left must not contain whitespace, control, format (zero-width) or unassigned
characters: such an address is refused (:class:`InvalidEmail`), never silently kept as a
look-alike. Structure (one ``@``, a valid domain) is checked where an account is created
(``EmailStr``); an address that is not one simply matches no account at sign-in.
"""

from __future__ import annotations

import unicodedata

from lockgate.errors import Unprocessable

MAX_EMAIL_LENGTH = 320
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


class InvalidEmail(Unprocessable):
    code = "invalid_email"
    message = "This is not a usable email address."


def normalize_email(value: str) -> str:
    """The canonical form of ``value`` (idempotent); :class:`InvalidEmail` when it has none."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    text = folded.strip()
    if not text:
        raise InvalidEmail("Enter an email address.")
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"An email address has at most {MAX_EMAIL_LENGTH} characters.")
    bad = next((c for c in text if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if bad is not None:
        name = unicodedata.name(bad, f"U+{ord(bad):04X}")
        raise InvalidEmail(f"An email address cannot contain {name}.")
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    return f"{local}@{'.'.join(_unicode_label(label) for label in domain.split('.'))}"


def _unicode_label(label: str) -> str:
    """An ``xn--`` (punycode) label in its Unicode form; any other label unchanged."""
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label.encode("ascii").decode("idna")
    except UnicodeError:
        return label
    return unicodedata.normalize("NFKC", decoded.casefold())
