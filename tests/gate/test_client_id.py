"""Who the client is: X-Forwarded-For trust, IPv6 normalisation, credential-based keys."""

from __future__ import annotations

import hashlib

import pytest
from starlette.requests import HTTPConnection

from lockgate.gate.client_id import client_ip, client_key, parse_ip, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])


def conn(
    peer: str | None = "203.0.113.7",
    headers: list[tuple[str, str]] | None = None,
    user_id: str | None = None,
) -> HTTPConnection:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/x",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers or []],
        "client": None if peer is None else (peer, 50000),
        "state": {} if user_id is None else {"user_id": user_id},
    }
    return HTTPConnection(scope)


def xff(*values: str) -> list[tuple[str, str]]:
    return [("X-Forwarded-For", v) for v in values]


def test_direct_peer_without_proxies() -> None:
    assert client_ip(conn("198.51.100.1"), PROXIES) == "198.51.100.1"


def test_spoofed_xff_from_untrusted_peer_is_ignored() -> None:
    request = conn("198.51.100.1", xff("1.2.3.4"))
    assert client_ip(request, PROXIES) == "198.51.100.1"


def test_xff_from_trusted_proxy_names_the_client() -> None:
    assert client_ip(conn("10.0.0.5", xff("203.0.113.9")), PROXIES) == "203.0.113.9"


def test_chain_skips_trusted_hops_and_ignores_forged_left_part() -> None:
    request = conn("10.0.0.5", xff("6.6.6.6, 203.0.113.9, 10.1.2.3", "10.0.0.9"))
    assert client_ip(request, PROXIES) == "203.0.113.9"


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert client_ip(conn("10.0.0.5", xff("10.0.0.7, 10.0.0.8")), PROXIES) == "10.0.0.7"


def test_empty_xff_from_proxy_gives_the_proxy() -> None:
    assert client_ip(conn("10.0.0.5", xff("")), PROXIES) == "10.0.0.5"


@pytest.mark.parametrize("garbage", ["not-an-ip", "1.2.3.4.5", "<script>", "unknown", "999.1.1.1"])
def test_garbage_entry_stops_at_the_nearest_trusted_hop(garbage: str) -> None:
    request = conn("10.0.0.5", xff(f"203.0.113.1, {garbage}, 10.0.0.8"))
    assert client_ip(request, PROXIES) == "10.0.0.8"


def test_entries_with_ports_and_brackets() -> None:
    assert client_ip(conn("10.0.0.5", xff("203.0.113.9:4711")), PROXIES) == "203.0.113.9"
    assert client_ip(conn("10.0.0.5", xff("[2001:db8::1]:443")), PROXIES) == "2001:db8::1"


def test_ipv6_is_normalised() -> None:
    assert client_ip(conn("2001:0DB8:0000:0000:0000:0000:0000:0001"), ()) == "2001:db8::1"
    assert client_ip(conn("::ffff:198.51.100.1"), ()) == "198.51.100.1"
    assert parse_ip("fe80::1%eth0") == parse_ip("fe80::1")


def test_ipv6_proxy_network_is_trusted() -> None:
    assert client_ip(conn("fd00::2", xff("2001:db8::7")), PROXIES) == "2001:db8::7"


def test_unknown_peer() -> None:
    assert client_ip(conn(None), PROXIES) == "unknown"
    assert client_ip(conn("testclient"), PROXIES) == "unknown"


def test_ipv6_slash_64_is_one_client() -> None:
    a = client_key(conn("2001:db8:1:2::1"), ())
    b = client_key(conn("2001:db8:1:2:ffff:ffff:ffff:ffff"), ())
    assert a == b == "ip:2001:db8:1:2::/64"
    assert client_key(conn("2001:db8:1:3::1"), ()) != a


def test_ipv4_key() -> None:
    assert client_key(conn("10.0.0.5", xff("203.0.113.9")), PROXIES) == "ip:203.0.113.9"


def test_user_id_wins() -> None:
    headers = [("Authorization", "Bearer sk-abc"), ("Cookie", "lockgate_session=s1")]
    assert client_key(conn(headers=headers, user_id="u-1"), ()) == "user:u-1"


def test_bearer_token_is_hashed() -> None:
    key = client_key(conn(headers=[("Authorization", "bearer  sk-abc ")]), ())
    assert key == "key:" + hashlib.sha256(b"sk-abc").hexdigest()[:32]


def test_session_cookie_is_hashed() -> None:
    key = client_key(conn(headers=[("Cookie", "lockgate_session=tok123")]), ())
    assert key == "session:" + hashlib.sha256(b"tok123").hexdigest()[:32]


@pytest.mark.parametrize("value", ["Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "sk-abc"])
def test_other_authorization_falls_back_to_ip(value: str) -> None:
    assert client_key(conn("198.51.100.1", [("Authorization", value)]), ()) == "ip:198.51.100.1"


def test_bad_trusted_proxy_config_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks(["10.0.0.0/33"])
