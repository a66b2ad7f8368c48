"""Webhook URL checks at creation time: pure, no DNS (hosts such as hooks.example.com pass
without a lookup, so these tests need no network)."""

from __future__ import annotations

import ipaddress

import pytest

from gql_server.webhooks.urls import MAX_URL_LENGTH, WebhookUrlError, check_url, is_public_address

REFUSED = [
    # The bad input, and the first length over the limit.
    ("https://hooks.example.com/" + "a" * 1974, "URL_TOO_LONG"),
    ("https://hooks.example.com/" + "a" * (MAX_URL_LENGTH - 25), "URL_TOO_LONG"),
    ("", "INVALID_URL"),
    ("hooks.example.com/x", "INVALID_URL"),
    ("//hooks.example.com/x", "INVALID_URL"),
    ("http:hooks.example.com", "INVALID_URL"),
    ("http:///x", "INVALID_URL"),
    ("https://", "INVALID_URL"),
    ("https://user:pass@hooks.example.com/x", "INVALID_URL"),
    ("https://user@hooks.example.com/x", "INVALID_URL"),
    ("https://:pass@hooks.example.com/x", "INVALID_URL"),
    ("https://hooks.example.com\\@127.0.0.1/x", "INVALID_URL"),
    ("https://hooks.example.com/x\r\nX-Injected: 1", "INVALID_URL"),
    ("https://hooks .example.com/x", "INVALID_URL"),
    ("https://hooks.example.com:0/x", "INVALID_URL"),
    ("https://hooks.example.com:65536/x", "INVALID_URL"),
    ("https://hooks.example.com:-1/x", "INVALID_URL"),
    ("https://hooks.example.com:80:80/x", "INVALID_URL"),
    ("https://-hooks.example.com/x", "INVALID_URL"),
    ("https://hooks%2eexample.com/x", "INVALID_URL"),
    ("https://[::1/x", "INVALID_URL"),
    ("https://[fe80::1%25eth0]/x", "INVALID_URL"),
    ("https://1.2.3.4.5/x", "INVALID_URL"),
    ("https://08.0.0.1/x", "INVALID_URL"),
    ("https://hooks.123/x", "INVALID_URL"),
    ("ftp://hooks.example.com/x", "UNSUPPORTED_SCHEME"),
    ("file:///etc/passwd", "UNSUPPORTED_SCHEME"),
    ("gopher://hooks.example.com:70/x", "UNSUPPORTED_SCHEME"),
    ("javascript:alert(1)", "UNSUPPORTED_SCHEME"),
    ("ws://hooks.example.com/x", "UNSUPPORTED_SCHEME"),
    # Internal names.
    ("http://localhost/x", "PRIVATE_ADDRESS"),
    ("http://LOCALHOST./x", "PRIVATE_ADDRESS"),
    ("http://api.localhost:8000/x", "PRIVATE_ADDRESS"),
    ("http://metadata.google.internal/computeMetadata/v1/", "PRIVATE_ADDRESS"),
    ("http://db.internal/x", "PRIVATE_ADDRESS"),
    ("http://printer.local/x", "PRIVATE_ADDRESS"),
    ("http://router.home.arpa/x", "PRIVATE_ADDRESS"),
    ("http://intranet/x", "PRIVATE_ADDRESS"),
    # IPv4 literals.
    ("http://127.0.0.1/x", "PRIVATE_ADDRESS"),
    ("http://127.255.255.254:8080/x", "PRIVATE_ADDRESS"),
    ("http://10.1.2.3/x", "PRIVATE_ADDRESS"),
    ("http://172.16.0.1/x", "PRIVATE_ADDRESS"),
    ("http://172.31.255.255/x", "PRIVATE_ADDRESS"),
    ("http://192.168.1.1/x", "PRIVATE_ADDRESS"),
    ("http://169.254.169.254/latest/meta-data/", "PRIVATE_ADDRESS"),
    ("http://100.64.0.1/x", "PRIVATE_ADDRESS"),
    ("http://100.127.255.254/x", "PRIVATE_ADDRESS"),
    ("http://0.0.0.0/x", "PRIVATE_ADDRESS"),
    ("http://224.0.0.1/x", "PRIVATE_ADDRESS"),
    ("http://239.255.255.250/x", "PRIVATE_ADDRESS"),
    ("http://240.0.0.1/x", "PRIVATE_ADDRESS"),
    ("http://255.255.255.255/x", "PRIVATE_ADDRESS"),
    ("http://192.0.2.10/x", "PRIVATE_ADDRESS"),
    ("http://198.18.0.1/x", "PRIVATE_ADDRESS"),
    # The spellings resolvers and browsers read as 127.0.0.1 (or 0.0.0.0).
    ("http://2130706433/x", "PRIVATE_ADDRESS"),
    ("http://0x7f.1/x", "PRIVATE_ADDRESS"),
    ("http://0x7f000001/x", "PRIVATE_ADDRESS"),
    ("http://0177.0.0.1/x", "PRIVATE_ADDRESS"),
    ("http://017700000001/x", "PRIVATE_ADDRESS"),
    ("http://127.1/x", "PRIVATE_ADDRESS"),
    ("http://127.0.1/x", "PRIVATE_ADDRESS"),
    ("http://0/x", "PRIVATE_ADDRESS"),
    ("http://0xa9.0xfe.0xa9.0xfe/x", "PRIVATE_ADDRESS"),
    ("http://127.0.0.1./x", "PRIVATE_ADDRESS"),
    # IPv6.
    ("http://[::1]/x", "PRIVATE_ADDRESS"),
    ("http://[::]/x", "PRIVATE_ADDRESS"),
    ("http://[::ffff:127.0.0.1]/x", "PRIVATE_ADDRESS"),
    ("http://[::ffff:7f00:1]/x", "PRIVATE_ADDRESS"),
    ("http://[::ffff:169.254.169.254]/x", "PRIVATE_ADDRESS"),
    ("http://[::127.0.0.1]/x", "PRIVATE_ADDRESS"),
    ("http://[fc00::1]/x", "PRIVATE_ADDRESS"),
    ("http://[fd12:3456:789a::1]/x", "PRIVATE_ADDRESS"),
    ("http://[fe80::1]/x", "PRIVATE_ADDRESS"),
    ("http://[fec0::1]/x", "PRIVATE_ADDRESS"),
    ("http://[ff02::1]/x", "PRIVATE_ADDRESS"),
    ("http://[2001:db8::1]/x", "PRIVATE_ADDRESS"),
    ("http://[64:ff9b::7f00:1]/x", "PRIVATE_ADDRESS"),
    ("http://[2002:7f00:1::1]/x", "PRIVATE_ADDRESS"),
    ("http://[2002:a9fe:a9fe::1]/x", "PRIVATE_ADDRESS"),
]


@pytest.mark.parametrize(("url", "code"), REFUSED)
def test_refused_urls_say_why(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlError) as refused:
        check_url(url, allow_private=False)
    assert refused.value.code == code
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://hooks.example.com/x", "https://hooks.example.com/x"),
        ("https://hooks.example.com", "https://hooks.example.com/"),
        ("HTTPS://Hooks.Example.COM:443/x?a=1&b=2#section", "https://hooks.example.com/x?a=1&b=2"),
        ("http://hooks.example.com:80/x", "http://hooks.example.com/x"),
        ("https://hooks.example.com:8443/x", "https://hooks.example.com:8443/x"),
        ("https://hooks.example.com/x?next=a@b", "https://hooks.example.com/x?next=a@b"),
        ("https://bücher.example/ü", "https://xn--bcher-kva.example/%C3%BC"),
        ("http://93.184.215.14/x", "http://93.184.215.14/x"),
        ("http://1572394766/x", "http://93.184.215.14/x"),
        ("http://[2606:4700:4700::1111]:8080/x", "http://[2606:4700:4700::1111]:8080/x"),
        ("http://[::ffff:8.8.8.8]/x", "http://[::ffff:808:808]/x"),
        ("https://_hooks.example.com/x", "https://_hooks.example.com/x"),
    ],
)
def test_public_urls_pass_normalised(url: str, normalised: str) -> None:
    assert check_url(url, allow_private=False) == normalised


def test_a_url_at_the_limit_passes() -> None:
    url = "https://hooks.example.com/" + "a" * (MAX_URL_LENGTH - 26)
    assert len(url) == MAX_URL_LENGTH
    assert check_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://localhost:8000/x", "http://localhost:8000/x"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
        ("http://0x7f.1:8000/x", "http://127.0.0.1:8000/x"),
        ("http://[::1]:8000/x", "http://[::1]:8000/x"),
        ("http://receiver:8000/x", "http://receiver:8000/x"),
        ("http://10.0.0.5/x", "http://10.0.0.5/x"),
    ],
)
def test_allow_private_lets_local_receivers_through(url: str, normalised: str) -> None:
    assert check_url(url, allow_private=True) == normalised


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://hooks.example.com/" + "a" * 1974, "URL_TOO_LONG"),
        ("ftp://localhost/x", "UNSUPPORTED_SCHEME"),
        ("http://user:pass@localhost/x", "INVALID_URL"),
        ("http://1.2.3.4.5/x", "INVALID_URL"),
    ],
)
def test_allow_private_still_refuses_malformed_urls(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlError) as refused:
        check_url(url, allow_private=True)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("2002:808:808::1", True),
        ("64:ff9b::808:808", True),
        ("127.0.0.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.251", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),
        ("64:ff9b:1::1", False),
        ("2001::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
