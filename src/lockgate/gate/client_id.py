"""Who the client is, for rate limiting: a stable, unspoofable key per caller.

:func:`client_key` picks the most specific identity the request carries, cheapest first::

    user:<id>          request.state.user_id, set by the auth dependency once it has run
    key:<sha256[:32]>  Authorization: Bearer <token>, or x-api-key: <token> (gateway keys)
    session:<sha256[:32]>  the lockgate_session cookie, hashed (no database lookup)
    ip:<address>       otherwise; a whole IPv6 /64 counts as one client

The HTTP middleware runs before any dependency, so there a signed-in browser is keyed on its
session hash; endpoint limits declared after ``CurrentUser`` see ``user:<id>``. A bearer token or
cookie is *not verified* here: whoever invents a new one gets a fresh bucket, so limits that
protect unauthenticated endpoints (sign-in) key on the IP (``by="ip"``), and the global limit can
add a per-IP ceiling.

:func:`client_ip` trusts ``X-Forwarded-For`` only when the direct peer is a trusted proxy, and
then walks the list right to left, skipping trusted hops: the first untrusted address is the
client (everything left of it was written by the client and may be forged). An entry that is not
an IP address stops the walk at the nearest trusted hop, so garbage never becomes a key::

    nets = parse_networks(["10.0.0.0/8"])
    # peer 10.0.0.5, X-Forwarded-For: 6.6.6.6, 203.0.113.7, 10.0.0.9
    client_ip(request, nets)    # '203.0.113.7'

IPv6 is normalised (compressed form, zone dropped, IPv4-mapped addresses become IPv4). One
subscriber is usually given a whole /64, so for limiting :func:`ip_bucket` maps it to one key.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from starlette.requests import HTTPConnection

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

SESSION_COOKIE = "lockgate_session"  # the same name as lockgate.auth.deps.SESSION_COOKIE
UNKNOWN = "unknown"
IPV6_PREFIX = 64
_HASH_CHARS = 32


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.0/8", "::1"]`` → networks; a bare address is a /32 or /128.

    Raises ``ValueError`` naming the bad entry (settings validation can surface it).
    """
    networks: list[IPNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
    return tuple(networks)


def parse_ip(value: str) -> IPAddress | None:
    """One address as proxies write it, normalised; ``None`` when it is not an address.

    Accepts ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``fe80::1%eth0``, ``::ffff:1.2.3.4``.
    """
    text = value.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 has at least two colons
        text = text.split(":", 1)[0]
    return _address(text.split("%", 1)[0])


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> IPAddress | None:
    """A bare address, parsed (cached: the same few clients and proxies come back all the time,
    and the parsed objects are immutable)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _forwarded_for(connection: HTTPConnection) -> list[str]:
    entries: list[str] = []
    for header in connection.headers.getlist("x-forwarded-for"):
        entries.extend(header.split(","))
    return entries


def client_address(connection: HTTPConnection, trusted: Sequence[IPNetwork]) -> IPAddress | None:
    """The client's address as an object (see :func:`client_ip`); ``None`` when unknown."""
    peer = parse_ip(connection.client.host) if connection.client else None
    if peer is None or not _trusted(peer, trusted):
        return peer
    nearest = peer
    for entry in reversed(_forwarded_for(connection)):
        hop = parse_ip(entry)
        if hop is None:
            return nearest  # a trusted proxy never writes garbage: stop at the last sure hop
        if not _trusted(hop, trusted):
            return hop
        nearest = hop
    return nearest


def client_ip(connection: HTTPConnection, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The client's IP address as text, ``X-Forwarded-For`` honoured only behind trusted proxies.

    Returns ``"unknown"`` when the server gives no usable peer address (e.g. a Unix socket).
    """
    address = client_address(connection, trusted_proxies)
    return UNKNOWN if address is None else str(address)


@functools.lru_cache(maxsize=4096)
def ip_bucket(address: IPAddress | None) -> str:
    """The rate-limit key of an address: ``ip:203.0.113.7`` or ``ip:2001:db8:1:2::/64``."""
    if address is None:
        return f"ip:{UNKNOWN}"
    if isinstance(address, ipaddress.IPv6Address):
        return f"ip:{ipaddress.IPv6Network(f'{address}/{IPV6_PREFIX}', strict=False)}"
    return f"ip:{address}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:_HASH_CHARS]


def bearer_token(connection: HTTPConnection) -> str | None:
    """The bearer token, or the ``x-api-key`` header (how Anthropic's SDKs send a key)."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        return token
    return connection.headers.get("x-api-key", "").strip() or None


def credential_key(connection: HTTPConnection) -> str | None:
    """The identity the request itself claims (user, bearer token, session cookie), if any:
    :func:`client_key` without the fallback to the address."""
    user_id = getattr(connection.state, "user_id", None)
    if user_id:
        return f"user:{user_id}"
    token = bearer_token(connection)
    if token is not None:
        return f"key:{_digest(token)}"
    session = connection.cookies.get(SESSION_COOKIE)
    if session:
        return f"session:{_digest(session)}"
    return None


def client_key(connection: HTTPConnection, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The rate-limit identity of a request (see the module docstring for the order)."""
    key = credential_key(connection)
    return key if key is not None else ip_bucket(client_address(connection, trusted_proxies))
