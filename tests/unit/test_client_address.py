"""Which address the rate limiter counts: a forged X-Forwarded-For must not dodge it."""

from __future__ import annotations

from starlette.requests import Request

from shared.rate_limit import client_address


def request(forwarded: str | None, peer: str = "10.0.0.5") -> Request:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return Request({"type": "http", "headers": headers, "client": (peer, 40000)})


def test_without_trust_the_tcp_peer_counts_whatever_the_header_says() -> None:
    assert client_address(request("1.2.3.4"), trust_forwarded_for=False) == "10.0.0.5"


def test_behind_the_proxy_the_address_it_appended_counts_not_what_the_client_wrote() -> None:
    forged = request("6.6.6.6, 203.0.113.7")  # the client sent 6.6.6.6; the proxy saw .7
    assert client_address(forged, trust_forwarded_for=True) == "203.0.113.7"
    assert client_address(request(" 203.0.113.7 "), trust_forwarded_for=True) == "203.0.113.7"


def test_no_usable_header_falls_back_to_the_peer() -> None:
    assert client_address(request(None), trust_forwarded_for=True) == "10.0.0.5"
    assert client_address(request("1.2.3.4, "), trust_forwarded_for=True) == "10.0.0.5"
