"""Tracking codes: unguessable, readable, and forgiving of how residents type them."""

from __future__ import annotations

import math

import pytest

from services.intake.domain.tracking import (
    PREFIX,
    TRACKING_CODE_PATTERN,
    new_tracking_code,
    normalize_tracking_code,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE = "MY-0123456789ABCDEFGHJKMNPQRS"


def test_codes_are_unique_over_many_draws() -> None:
    codes = {new_tracking_code() for _ in range(5000)}

    assert len(codes) == 5000


def test_codes_match_the_published_pattern() -> None:
    for _ in range(500):
        code = new_tracking_code()
        assert TRACKING_CODE_PATTERN.match(code), code
        assert code.startswith(PREFIX)


def test_codes_carry_at_least_128_random_bits() -> None:
    body_length = len(new_tracking_code()) - len(PREFIX)

    assert body_length * math.log2(len(CROCKFORD)) >= 128


def test_codes_use_every_symbol_of_the_alphabet_and_nothing_else() -> None:
    seen = set("".join(new_tracking_code()[len(PREFIX) :] for _ in range(500)))

    assert seen == set(CROCKFORD)
    assert not seen & set("ILOU")


def test_a_new_code_is_its_own_normal_form() -> None:
    for _ in range(200):
        code = new_tracking_code()
        assert normalize_tracking_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        CODE.lower(),
        "my-0123456789abcdefghjkmnpqrs",
        "  MY-0123456789ABCDEFGHJKMNPQRS  ",
        "MY-0123 4567 89AB CDEF GHJK MNPQ RS",
        "MY-0123-4567-89AB-CDEF-GHJK-MNPQ-RS",
        "0123456789ABCDEFGHJKMNPQRS",
        "0123-4567-89ab-cdef-ghjk-mnpq-rs",
        "my - 0123456789ABCDEFGHJKMNPQRS",
        "MY-O123456789ABCDEFGHJKMNPQRS",  # letter O for zero
    ],
)
def test_normalize_accepts_what_residents_type(typed: str) -> None:
    assert normalize_tracking_code(typed) == CODE


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("MY-I123456789ABCDEFGHJKMNPQRS", "MY-1123456789ABCDEFGHJKMNPQRS"),
        ("MY-l123456789ABCDEFGHJKMNPQRS", "MY-1123456789ABCDEFGHJKMNPQRS"),
        ("my-o0ilOIL3456789ABCDEFGHJKMN", "MY-0011011" + "3456789ABCDEFGHJKMN"),
    ],
)
def test_normalize_reads_confusable_letters_as_digits(typed: str, expected: str) -> None:
    assert normalize_tracking_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "MY-",
        CODE[:-1],  # one short
        CODE + "T",  # one long
        "MY-0123456789ABCDEFGHJKMNPQRU",  # U is not in the alphabet
        "MY-0123456789ABCDEFGHJKMNPQR!",
        "MY-0123456789ABCDEFGHJKMNPQR中",
        "XY-0123456789ABCDEFGHJKMNPQRS",
        "MY_0123456789ABCDEFGHJKMNPQRS",
    ],
)
def test_normalize_rejects_what_cannot_be_a_code(typed: str) -> None:
    assert normalize_tracking_code(typed) is None
