"""Base URLs: one canonical form, https unless the host is loopback, nothing but a base."""

from __future__ import annotations

import pytest

from scimhub.applications.urls import MAX_URL_LENGTH, is_loopback, normalize_base_url
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
