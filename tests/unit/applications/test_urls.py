"""Base URLs: one canonical form, https unless the host is loopback, nothing but a base."""

from __future__ import annotations

import httpx
import pytest

from scimhub.applications.urls import (
    MAX_HOST_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_URL_LENGTH,
    is_loopback,
    normalize_base_url,
)
from scimhub.problems import Invalid

PROFITCO = "https://api.profit.co/app/rest/platform/auth/scim/v2"
PROFITCO_EU = "https://eu2-app.profit.co/app/rest/platform/auth/scim/v2"


@pytest.mark.parametrize("url", [PROFITCO, PROFITCO_EU])
def test_profitco_urls_pass_unchanged(url):
    assert normalize_base_url(url) == url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.com/scim/v2/", "https://example.com/scim/v2"),
        ("https://example.com/scim/v2///", "https://example.com/scim/v2"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("  https://example.com/scim\t\n", "https://example.com/scim"),
    ],
)
def test_trailing_slashes_and_surrounding_whitespace_are_removed(given, expected):
    assert normalize_base_url(given) == expected


def test_scheme_and_host_are_lower_cased_but_not_the_path():
    assert normalize_base_url("HTTPS://Example.COM/Scim/V2") == "https://example.com/Scim/V2"


def test_an_explicit_port_is_kept():
    assert normalize_base_url("https://example.com:8443/scim/") == "https://example.com:8443/scim"
    assert normalize_base_url("https://example.com:443/scim") == "https://example.com:443/scim"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:8000/scim/v2/", "http://localhost:8000/scim/v2"),
        ("http://LOCALHOST/scim", "http://localhost/scim"),
        ("http://127.0.0.1:5000/scim/v2", "http://127.0.0.1:5000/scim/v2"),
        ("http://127.0.0.5/scim", "http://127.0.0.5/scim"),
        ("http://[::1]:8080/scim/", "http://[::1]:8080/scim"),
    ],
)
def test_plain_http_is_allowed_on_loopback(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/scim/v2",
        "http://10.0.0.1/scim",
        "http://128.0.0.1/scim",
        "http://[::2]/scim",
        "http://localhost.example.com/scim",
        "http://127.0.0.1.nip.io/scim",
    ],
)
def test_plain_http_is_refused_elsewhere(url):
    with pytest.raises(Invalid) as err:
        normalize_base_url(url)
    assert err.value.detail == (
        "The base URL must use https (plain http is allowed only on loopback)"
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "required"),
        ("   ", "required"),
        ("ftp://example.com/scim", "https://"),
        ("example.com/scim", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://user:secret@example.com/scim", "user name or password"),
        ("https://token@example.com/scim", "user name or password"),
        ("https://example.com/scim?tenant=1", "query string"),
        ("https://example.com/scim?", "query string"),
        ("https://example.com/scim#users", "fragment"),
        ("https:///scim", "no host"),
        ("https://:443/scim", "no host"),
        ("https://example.com:99999/scim", "port"),
        ("https://example.com:0/scim", "port"),
        ("https://example.com:https/scim", "port"),
        ("https://exa mple.com/scim", "spaces or control characters"),
        ("https://example.com/sc\x00im", "spaces or control characters"),
        ("https://example.com/\x7fscim", "spaces or control characters"),
        ("https://[not-ipv6]/scim", "not a valid URL"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "longer than 2048"),
    ],
)
def test_malformed_urls_are_refused_with_a_precise_message(url, words):
    with pytest.raises(Invalid) as err:
        normalize_base_url(url)
    assert words in err.value.detail
    assert err.value.status == 422


def test_a_url_of_exactly_the_maximum_length_is_accepted():
    stem = "https://example.com/"
    url = stem + "a" * (MAX_URL_LENGTH - len(stem))
    assert normalize_base_url(url) == url


def test_normalizing_twice_changes_nothing():
    once = normalize_base_url("HTTPS://Example.com:8443/scim/v2//")
    assert normalize_base_url(once) == once


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("[::1]", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


# --- host names: checked now, so that no request fails on them later --------------------------

LABEL_63 = "a" * MAX_LABEL_LENGTH
HOST_253 = ".".join([LABEL_63] * 3 + ["b" * 61])  # 3 * 64 + 61 = 253


@pytest.mark.parametrize(
    ("host", "detail"),
    [
        (
            "exämple..com",
            "The base URL's host name 'exämple..com' has an empty label "
            "(two dots in a row, or a dot at either end)",
        ),
        ("a..com", "The base URL's host name 'a..com' has an empty label"),
        (".example.com", "The base URL's host name '.example.com' has an empty label"),
        ("example.com..", "The base URL's host name 'example.com..' has an empty label"),
        (
            "a" * 70 + ".com",
            "The base URL's host name has a label of 70 characters (at most 63 between dots)",
        ),
        (
            LABEL_63 + "a.com",
            "The base URL's host name has a label of 64 characters (at most 63 between dots)",
        ),
        ("ü" * 60 + ".com", "is not a valid internationalized name: Label too long"),
        (HOST_253 + "b", "The base URL's host name is 254 characters long (at most 253)"),
        ("-scim.example.com", "has a label starting or ending with '-': '-scim'"),
        ("scim-.example.com", "has a label starting or ending with '-': 'scim-'"),
        ("ex!ample.com", "must not contain '!': a label has only letters, digits, hyphens"),
        ("ex%41mple.com", "must not contain '%'"),
        ("xn--zz.com", "has an invalid punycode label 'xn--zz': Invalid A-label"),
        ("exa✓mple.com", "not a valid internationalized name: Codepoint U+2713"),
        ("a_b.münchen.de", "not a valid internationalized name: Codepoint U+005F"),
        ("999.1.1.1", "The base URL's host '999.1.1.1' ends in a number but is not an IPv4"),
        ("127.1", "'127.1' ends in a number but is not an IPv4 address"),
        ("0x7f000001", "'0x7f000001' ends in a number"),
        ("1.2.3.4.5", "'1.2.3.4.5' ends in a number"),
        ("scim.example.123", "'scim.example.123' ends in a number"),
    ],
)
def test_malformed_host_names_are_refused_with_a_precise_message(host, detail):
    with pytest.raises(Invalid) as err:
        normalize_base_url(f"https://{host}/scim/v2")
    assert detail in err.value.detail
    assert err.value.status == 422


@pytest.mark.parametrize(
    ("host", "kept"),
    [
        (LABEL_63 + ".com", LABEL_63 + ".com"),
        (HOST_253, HOST_253),
        (HOST_253 + ".", HOST_253 + "."),  # a fully qualified name: the root does not count
        ("scim_01.corp.example", "scim_01.corp.example"),  # internal DNS names use underscores
        ("ab--cd.example.com", "ab--cd.example.com"),
        ("exämple.com", "exämple.com"),  # Unicode stays Unicode...
        ("EXÄMPLE.com", "exämple.com"),
        ("xn--exmple-cua.com", "xn--exmple-cua.com"),  # ...and punycode stays punycode
        ("\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "example.com"),  # full width
        ("example\u3002com", "example.com"),  # the ideographic full stop is a dot
        ("faß.de", "faß.de"),  # IDNA 2008: not folded to "fass"
        ("例え.テスト", "例え.テスト"),
        ("münchen.xn--mnchen-3ya.de", "münchen.xn--mnchen-3ya.de"),
        ("192.0.2.10", "192.0.2.10"),
        ("192.0.2.10.", "192.0.2.10"),
        ("localhost.", "localhost."),
    ],
)
def test_valid_host_names_are_kept_as_typed(host, kept):
    url = normalize_base_url(f"https://{host}/scim/v2")

    assert url == f"https://{kept}/scim/v2"
    assert normalize_base_url(url) == url
    # What httpx and the resolver do with it later must not fail either.
    raw_host = httpx.URL(url).raw_host
    raw_host.decode("ascii").encode("idna")
    assert len(raw_host.rstrip(b".")) <= MAX_HOST_LENGTH


def test_a_unicode_host_and_its_punycode_reach_the_same_server():
    unicode_url = normalize_base_url("https://Exämple.com/scim")
    punycode_url = normalize_base_url("https://xn--exmple-cua.com/scim")

    assert httpx.URL(unicode_url).raw_host == httpx.URL(punycode_url).raw_host
