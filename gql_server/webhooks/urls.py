"""Which webhook URLs may be called: the guard that keeps a user-supplied URL from reaching
our own network (SSRF).

Two checks, at two moments. `check_url` runs when a webhook is created, without DNS: it refuses
what is visibly wrong or internal and returns the URL in the one spelling that is stored.
`resolve_public` runs at every delivery: a name that was public yesterday can point to
127.0.0.1 today (DNS rebinding), so the addresses are checked when they are about to be used,
and the caller connects to those very addresses.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Literal

import httpx

UrlErrorCode = Literal[
    "URL_TOO_LONG",
    "INVALID_URL",
    "UNSUPPORTED_SCHEME",
    "PRIVATE_ADDRESS",
    "UNRESOLVABLE",
]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH: Final = 1000
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Names that never leave the machine or the site, whatever a resolver says about them: the
# loopback names, RFC 6761 `.localhost`, ICANN's private-use `.internal` (cloud metadata such as
# metadata.google.internal lives there), mDNS `.local` and RFC 8375 `.home.arpa`.
_PRIVATE_NAMES: Final = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
)
_PRIVATE_SUFFIXES: Final = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")

# Spelled out rather than left to `ipaddress.is_global`, whose tables changed within 3.11 and
# 3.12 patch releases; `is_global` is still consulted on top of these.
_BLOCKED_V4: Final = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, including cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_BLOCKED_V6: Final = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, still routed by some stacks)
        "ff00::/8",  # multicast
    )
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?([^/?#]*)(.*)", re.DOTALL)
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# WHATWG's "ends in a number": such a host is an IPv4 address in some spelling or no host at all.
_NUMERIC_LABEL: Final = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


class WebhookUrlError(ValueError):
    """A URL refused as a webhook target; `code` says why in the API's terms."""

    def __init__(self, code: UrlErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: UrlErrorCode = code


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is one of the internet's, not ours, a neighbour's or nobody's."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
        if any(ip in block for block in _BLOCKED_V6):
            return False
    elif any(ip in block for block in _BLOCKED_V4):
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # These IPv6 forms are routed to the IPv4 address inside them, so that address decides.
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def check_url(url: str, *, allow_private: bool) -> str:
    """The normalised webhook URL (lower-case scheme and host, IDNA host, dotted-quad IPv4,
    no default port, no fragment), or `WebhookUrlError`. Never resolves a name."""
    if len(url) > MAX_URL_LENGTH:
        raise _too_long()
    # Whitespace, control characters and backslashes are where URL parsers disagree with each
    # other (and with the resolver): refused rather than interpreted.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F or char == "\\" for char in url):
        raise WebhookUrlError("INVALID_URL", "the URL contains spaces or control characters")
    scheme, authority, rest = _split(url)
    if "@" in authority:
        raise WebhookUrlError("INVALID_URL", "credentials in the URL are not accepted")
    host_text, port = _host_and_port(authority)
    host = _normalised_host(host_text, allow_private=allow_private)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # The authority is ours; httpx only percent-encodes the path and query, and must read the
    # host back exactly as checked, since it is the client that will connect.
    try:
        parsed = httpx.URL(f"{scheme}://{netloc}{rest}")
    except (httpx.InvalidURL, ValueError):
        raise WebhookUrlError("INVALID_URL", "the URL cannot be parsed") from None
    if parsed.netloc.decode("ascii") != netloc:
        raise WebhookUrlError("INVALID_URL", "the URL cannot be parsed")
    normalised = f"{scheme}://{netloc}{parsed.raw_path.decode('ascii')}"
    if len(normalised) > MAX_URL_LENGTH:
        raise _too_long()
    return normalised


def _too_long() -> WebhookUrlError:
    return WebhookUrlError("URL_TOO_LONG", f"the URL is longer than {MAX_URL_LENGTH} characters")


def _split(url: str) -> tuple[str, str, str]:
    """(scheme, authority, path-query-fragment) of an absolute http(s) URL."""
    match = _SCHEME.match(url)
    if match is not None and match[1].lower() not in DEFAULT_PORTS:
        raise WebhookUrlError("UNSUPPORTED_SCHEME", "only http and https URLs are accepted")
    if match is None or not match[2]:
        raise WebhookUrlError("INVALID_URL", "the URL needs http:// or https:// and a host")
    return match[1].lower(), match[3], match[4]


def _host_and_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        host, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise WebhookUrlError("INVALID_URL", "the IPv6 address is not valid")
        host, port_text = f"[{host}]", after[1:]
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise WebhookUrlError("INVALID_URL", "the URL needs http:// or https:// and a host")
    if not port_text:  # "host:" is the default port, as browsers read it
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise WebhookUrlError("INVALID_URL", "the port must be a number from 1 to 65535")
    return host, int(port_text)


def _normalised_host(host: str, *, allow_private: bool) -> str:
    """The host as it goes into the stored URL (IPv6 in brackets), refused if internal."""
    host = host.lower()
    if host.startswith("["):
        if "%" in host:  # a zone index names an interface of ours, never a public address
            raise WebhookUrlError("INVALID_URL", "IPv6 zone indexes are not accepted")
        try:
            ip: IPAddress = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise WebhookUrlError("INVALID_URL", "the IPv6 address is not valid") from None
        _refuse_private_ip(ip, allow_private=allow_private)
        return f"[{ip.compressed}]"
    if not host.isascii():
        host = _idna(host)
    ipv4 = _ipv4_spelling(host)
    if ipv4 is not None:
        _refuse_private_ip(ipv4, allow_private=allow_private)
        return str(ipv4)
    name = host.removesuffix(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise WebhookUrlError("INVALID_URL", "the host name is not valid")
    if not allow_private and (
        name in _PRIVATE_NAMES or name.endswith(_PRIVATE_SUFFIXES) or "." not in name
    ):
        # A name without a dot is completed from the resolver's search domains, that is,
        # looked up in our own network.
        raise WebhookUrlError("PRIVATE_ADDRESS", "the host is a local or internal name")
    return host


def _idna(host: str) -> str:
    # httpx's own IDNA encoding, so the name checked is the name the client will look up.
    try:
        return httpx.URL(f"http://{host}/").raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, ValueError):
        raise WebhookUrlError("INVALID_URL", "the host name is not valid") from None


def _refuse_private_ip(ip: IPAddress, *, allow_private: bool) -> None:
    if not allow_private and not is_public_address(ip):
        raise WebhookUrlError("PRIVATE_ADDRESS", "the address is private, local or reserved")


def _ipv4_spelling(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host spells the way resolvers and browsers read it (2130706433,
    0x7f.1, 0177.0.0.1, 127.1), None for a host name; INVALID_URL when it looks numeric but
    is no address. The WHATWG URL standard's IPv4 parser, which follows inet_aton."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    invalid = WebhookUrlError("INVALID_URL", "the host is not a valid IPv4 address")
    if len(labels) > 4:
        raise invalid
    numbers = [_ipv4_number(label, invalid) for label in labels]
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise invalid
    value = last + sum(number << (8 * (3 - index)) for index, number in enumerate(leading))
    return ipaddress.IPv4Address(value)


def _ipv4_number(label: str, invalid: WebhookUrlError) -> int:
    if label[:2].lower() == "0x":
        digits, base = label[2:], 16
    elif len(label) > 1 and label.startswith("0"):
        digits, base = label[1:], 8
    else:
        digits, base = label, 10
    if not digits:
        if base == 16:
            return 0
        raise invalid
    try:
        return int(digits, base)
    except ValueError:
        raise invalid from None


# At most this many webhook lookups at once per process; more wait their turn.
_RESOLVERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


async def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to now, in the resolver's order of preference, for the
    caller to connect to directly. PRIVATE_ADDRESS if any of them is not public (one internal
    answer is enough to be steered there), UNRESOLVABLE if there are none."""
    loop = asyncio.get_running_loop()
    try:
        # In threads of their own: a name server that never answers holds a thread past any
        # timeout, and in the loop's default executor those threads are the ones the ledger
        # parsing and the database driver's own lookups need.
        infos = await loop.run_in_executor(
            _RESOLVERS, functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        )
    except (OSError, UnicodeError):
        raise WebhookUrlError("UNRESOLVABLE", "the host name does not resolve") from None
    addresses: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address in addresses:
            continue
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise WebhookUrlError("UNRESOLVABLE", "the host name does not resolve") from None
        _refuse_private_ip(ip, allow_private=allow_private)
        addresses.append(address)
    if not addresses:
        raise WebhookUrlError("UNRESOLVABLE", "the host name does not resolve")
    return addresses
