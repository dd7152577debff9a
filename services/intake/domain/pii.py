"""Personal data in free text, found and replaced before a case's text is shown publicly. Pure.

Residents write phone numbers, ID-card numbers, emails and number plates into their text
("电话13800138000", "我的车川A12345被堵"), though the form asks them not to. `scrub` replaces
each with a placeholder that says what was there, so a reader still follows the sentence:

- `[邮箱]`: an email address;
- `[身份证]`: an ID-card number, 18 digits (the last may be X) or the old 15;
- `[电话]`: a phone number: mainland mobile (with or without +86, spaces or dashes), landline
  with its area code, international (+ or 00), US style, any number after 电话/手机/tel…;
- `[车牌]`: a vehicle plate: province, letter, 5 characters (6 new-energy), with or without
  the dot;
- `[号码]`: a bank card in groups of four, any other run of 11 or more digits.

Ordinary numbers stay: dates (2026年3月, 2025-03-15), house numbers (3号楼), amounts
(20个停车位, 120万元), the 12345 hotline, postcodes. The rules err on the side of hiding:
a long number that is no phone is still someone's account, card or order number.

Matching runs on a copy with full-width characters folded to ASCII (`１３８…`, `＠`, `＋`, the
ideographic space), one character for one, so the positions found are the original text's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

PHONE: Final = "[电话]"
ID_CARD: Final = "[身份证]"
EMAIL: Final = "[邮箱]"
PLATE: Final = "[车牌]"
NUMBER: Final = "[号码]"

# Full-width ASCII (U+FF01…U+FF5E) and the ideographic space, each to its one-character twin.
_FOLD: Final = str.maketrans(
    {**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " "}
)
_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_SEP = r"[ \-]?"  # how people group the digits of a number: a space or a dash
_DATE = r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    placeholder: str
    group: int | str = 0  # the part of the match that is replaced (a label before it stays)


_RULES: Final[tuple[_Rule, ...]] = (
    _Rule(
        "email",
        re.compile(
            r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
            r"(?![A-Za-z])"
        ),
        EMAIL,
    ),
    _Rule(
        "id_card",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:"
            # 18 digits (the last may be X), written as one run: whatever its date says.
            + r"[1-9][0-9]{16}[0-9Xx]"
            # the same grouped 6-8-4, which only a real birth date makes an ID number
            + rf"|[1-9][0-9]{{5}}{_SEP}{_DATE}{_SEP}[0-9]{{3}}[0-9Xx]"
            # the old 15-digit number: area, yymmdd, sequence
            + r"|[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
            + r")"
            + _NOT_DIGIT_AFTER
        ),
        ID_CARD,
    ),
    _Rule(
        "bank_card",
        # Grouped in fours, before the phone rules: its middle groups look like a landline.
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"[3-6][0-9]{3}(?:[ \-][0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?"
            + _NOT_DIGIT_AFTER
        ),
        NUMBER,
    ),
    _Rule(
        "mainland_mobile",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:\(?(?:\+|00)?86\)?[ \-]?)?"
            + rf"1[3-9][0-9](?:{_SEP}[0-9]){{8}}"
            + _NOT_DIGIT_AFTER
        ),
        PHONE,
    ),
    _Rule(
        "landline",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:\+?86[ \-]?)?"
            + r"(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ \-]?[2-9][0-9]{2,3}[ \-]?[0-9]{4}"
            + r"(?:[ \-]?(?:转|ext\.?|x)[ ]?[0-9]{1,5})?"
            + _NOT_DIGIT_AFTER
        ),
        PHONE,
    ),
    _Rule(
        "international",
        re.compile(
            r"(?<![0-9A-Za-z+])(?:\+|00)[ ]?[1-9](?:[ .\-()]{0,2}[0-9]){7,14}" + _NOT_DIGIT_AFTER
        ),
        PHONE,
    ),
    _Rule(
        "us_style",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:\([0-9]{3}\)[ ]?|[0-9]{3}[\-.])[0-9]{3}[\-.][0-9]{4}"
            + _NOT_DIGIT_AFTER
        ),
        PHONE,
    ),
    _Rule(
        "labelled_phone",
        # A number right after a phone label: also a local number without its area code.
        re.compile(
            r"(?i:电话|手机|座机|联系方式|tel|phone|mobile)(?:号码|号)?[ ]?(?:[:：]|是|为)?[ ]?"
            + r"(?P<number>(?<![0-9])[0-9](?:[ \-]?[0-9]){6,15})"
            + _NOT_DIGIT_AFTER
        ),
        PHONE,
        "number",
    ),
    _Rule(
        "plate",
        re.compile(
            rf"[{_PROVINCES}][A-Za-z][ ·•・.\-]?"
            # a plate has at least three digits: 新iPhone or 京ABCDE is no plate
            + r"(?=(?:[A-Za-z]*[0-9]){3})"
            + r"(?:[A-Za-z0-9]{5,6}|[A-Za-z0-9]{4}[挂学警港澳领])"
            + _NOT_ALNUM_AFTER
        ),
        PLATE,
    ),
    _Rule(
        "long_number",
        re.compile(_NOT_DIGIT_BEFORE + r"[0-9]{11,}" + _NOT_DIGIT_AFTER),
        NUMBER,
    ),
)


def scrub(text: str) -> str:
    """`text` with every phone number, ID-card number, email, plate and long number replaced
    by its placeholder; everything else as it was."""
    original, folded = text, text.translate(_FOLD)
    for rule in _RULES:
        pieces: list[str] = []
        twins: list[str] = []
        end = 0
        for match in rule.pattern.finditer(folded):
            start, stop = match.span(rule.group)
            pieces.append(original[end:start])
            twins.append(folded[end:start])
            pieces.append(rule.placeholder)
            twins.append(rule.placeholder)
            end = stop
        if not pieces:
            continue
        pieces.append(original[end:])
        twins.append(folded[end:])
        original, folded = "".join(pieces), "".join(twins)
    return original
