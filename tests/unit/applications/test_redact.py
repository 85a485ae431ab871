"""What the hub shows of a target's answers: no piece of the token, and a sane Retry-After."""

from __future__ import annotations

import datetime as dt

import pytest

from scimhub.applications.capabilities import retry_advice
from scimhub.applications.redact import FRAGMENT, PLACEHOLDER, redact, shown

SECRET = "tok-0123456789abcdefghijKLMNOPQRSTUVWXYZ-" * 8  # 328 characters


def pieces_in(text: str, secret: str = SECRET) -> set[str]:
    folded = text.casefold()
    return {
        secret[i : i + FRAGMENT]
        for i in range(len(secret) - FRAGMENT + 1)
        if secret[i : i + FRAGMENT].casefold() in folded
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Bearer {SECRET}", "Bearer [token]"),
        (f"Bearer {SECRET.upper()}!", "Bearer [token]!"),
        (f"a {SECRET[:FRAGMENT]} b", "a [token] b"),
        (f"a {SECRET[: FRAGMENT - 1]} b", f"a {SECRET[: FRAGMENT - 1]} b"),  # too short to tell
        (f"{SECRET[50:120]}{SECRET[3:20]}", "[token]"),  # adjacent pieces: one placeholder
        (f"{SECRET[:20]} and {SECRET[-20:]}", "[token] and [token]"),
        ("nothing to see", "nothing to see"),
        ("", ""),
    ],
)
def test_redact_removes_the_secret_and_its_pieces(text, expected):
    assert redact(text, SECRET) == expected


def test_redact_folds_case_like_the_target_might():
    assert redact("\u212a" + "ELVIN-TOKEN", "kelvin-token") == PLACEHOLDER  # KELVIN SIGN


def test_a_short_secret_is_redacted_whole_and_the_placeholder_left_alone():
    assert redact("tok tok TOK", "tok") == "[token] [token] [token]"
    assert redact("[token] stays", "token") == "[[token]] stays"


def test_without_a_secret_nothing_changes():
    assert redact("anything", "") == "anything"


@pytest.mark.parametrize("pad", range(240, 320, 3))
def test_shown_leaves_no_piece_whatever_the_offset_of_the_cut(pad):
    text = "x" * pad + SECRET + " tail"

    result = shown(text, SECRET)

    assert len(result) <= 300
    assert not pieces_in(result)


@pytest.mark.parametrize("pad", range(240, 320, 7))
def test_shown_leaves_no_piece_of_a_secret_echoed_in_part(pad):
    text = "x" * pad + SECRET[5:-5]

    assert not pieces_in(shown(text, SECRET))


def test_shown_redacts_before_cutting():
    assert shown("x" * 280 + SECRET, SECRET) == "x" * 280 + PLACEHOLDER


def test_shown_flattens_the_text():
    assert shown(f"line\n{SECRET}\tend", SECRET) == "line [token] end"


NOW = dt.datetime(2015, 10, 21, 7, 27, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "advice"),
    [
        ("30", "try again in 30 s"),
        (" 0030 ", "try again in 30 s"),
        ("0", "try again now"),
        ("999999999", "try again in 999999999 s"),
        ("1000000000", "try again later"),
        ("9" * 50, "try again later"),
        ("9" * 5000, "try again later"),  # int() would refuse it
        ("0" * 50 + "30", "try again in 30 s"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "try again in 60 s"),  # IMF-fixdate
        ("Wednesday, 21-Oct-15 07:28:00 GMT", "try again in 60 s"),  # RFC 850
        ("Wed Oct 21 07:28:00 2015", "try again in 60 s"),  # asctime, GMT
        ("Wed, 21 Oct 2015 07:28:00 +0200", "try again now"),  # two hours ago
        ("Wed, 21 Oct 2015 07:26:00 GMT", "try again now"),
        ("Fri, 31 Dec 9999 23:59:59 GMT", "try again later"),
        ("Wed, 21 Oct 99999 07:28:00 GMT", "try again later"),
        ("²", "try again later"),
        ("١٢", "try again later"),
        ("\uff13\uff10", "try again later"),
        ("-5", "try again later"),
        ("1.5", "try again later"),
        ("30 s", "try again later"),
        ("", "try again later"),
        ("soon", "try again later"),
    ],
)
def test_retry_advice(value, advice):
    assert retry_advice(value, NOW) == advice


def test_retry_advice_defaults_to_the_current_time():
    assert retry_advice("Thu, 01 Jan 1970 00:00:00 GMT") == "try again now"
