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
- `[号码]`: a bank card in groups of four, any other run of 11 or more digits;
- `[姓名]`: a personal name: the resident's own, when the caller knows it (`names`); a
  Chinese name a sentence introduces (我叫…, 我是…, 我姓…, 联系人…, 姓名…), or that an
  honorific follows (王先生, 李女士, 张师傅, 刘阿姨, 赵大爷, 陈老师…) or 老/小 precedes (老王,
  小李), with a surname from the common ones (`SURNAMES`, 欧阳 and 司马 included); a Latin-script
  name after "my name is", "I am", "contact:" or "name:".

Ordinary numbers stay: dates (2026年3月, 2025-03-15), house numbers (3号楼), amounts
(20个停车位, 120万元), the 12345 hotline, postcodes. The rules err on the side of hiding:
a long number that is no phone is still someone's account, card or order number.

Names are harder: a surname is also an ordinary character (老房子, 小时, 小程序, 胡同, 王府井,
保安大爷), so a name needs a cue: an introduction, an honorific, 老/小. A given name never
holds a particle, a direction or a place word (村, 区, 路, 楼, 井, 府…), and a name followed
by a place word is a place (王府井, 李家村); 老/小 before a word that merely starts with a
surname (小程序, 小时, 老师, 胡同, 周末) is no name. A name written without any cue
("张伟反映…") is not found.

Matching runs on a copy with full-width characters folded to ASCII (`１３８…`, `＠`, `＋`, the
ideographic space), one character for one, so the positions found are the original text's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

PHONE: Final = "[电话]"
ID_CARD: Final = "[身份证]"
EMAIL: Final = "[邮箱]"
PLATE: Final = "[车牌]"
NUMBER: Final = "[号码]"
NAME: Final = "[姓名]"

# The common surnames (the 130 or so most frequent, by the census: over nine people in ten
# bear one), and the two-character ones people still bear. Longest first in the patterns, so
# that 欧阳 wins over 欧.
SURNAMES: Final[tuple[str, ...]] = (
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关",
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "公孙",
)

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
    # Whether a match is one: for what a pattern cannot say (a word that only looks like one).
    keep: Callable[[re.Match[str]], bool] | None = None


def _alternatives(words: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


_CJK = "\u4e00-\u9fff"
# Never part of a given name: particles, pronouns, verbs of the sentence around it, directions,
# numbers of time, and the place words (the last also end a "name" that is a place).
_PLACE_WORDS = "区村街路巷弄楼栋号室院园站井桥镇乡县市省门店厂校局所委会队组社府坝湾庄寺"
_NOT_GIVEN = (
    _PLACE_WORDS
    + "的了和跟与及或说在是有都也们这那个位名些里外上下前后东西南北中左右等又就还被把给让叫找"
    "对向从到去来过着呢吗吧啊呀啦哦嗯您你我他她它家边旁角头面末周围时年日点分元米先生女士"
)
_GIVEN = rf"(?:(?![{_NOT_GIVEN}])[{_CJK}])"
_SURNAME = _alternatives(SURNAMES)
# Words ending in a surname that come before an honorific and name no one (保安大爷, 语文老师,
# 班主任老师).
_WORDS_ENDING_IN_A_SURNAME = ("保安", "公安", "治安", "语文", "历史", "主任")
_NOT_AFTER_A_WORD = "".join(f"(?<!{word})" for word in _WORDS_ENDING_IN_A_SURNAME)
_HONORIFICS = (
    "先生",
    "女士",
    "小姐",
    "师傅",
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "大叔",
    "大姐",
    "大哥",
    "奶奶",
    "爷爷",
    "婆婆",
    "伯伯",
    "叔叔",
    "老师",
    "医生",
    "书记",
    "主任",
    "经理",
    "同志",
)
# Words that start with a surname after 老/小 and name no one (小时, 老师, 小程序, 胡同…).
_NICKNAME_SURNAMES = frozenset(SURNAMES) - frozenset(
    "于时师房方关毛常明成全和江龙万安金石米麦商白田康孔包谷曲沙甘冷向苗牛路车管文华单解古简连"
)
_NOT_NICKNAMES = frozenset(
    {
        "胡同",
        "程序",
        "孙子",
        "孙女",
        "陈醋",
        "叶子",
        "杨树",
        "柳树",
        "林子",
        "苏打",
        "周末",
        "周边",
        "周围",
        "周岁",
        "周年",
        "周期",
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
        "周天",
        "钱包",
        "高层",
        "高楼",
        "高速",
        "高峰",
        "高温",
        "高压",
        "高空",
        "高中",
        "马路",
        "马桶",
        "马上",
        "黄历",
        "黄牛",
        "黄车",
        "任务",
        "朱红",
        "梁上",
        "李子",
        "王子",
        "杜鹃",
        "潘多",
        "董事",
        "严重",
        "严格",
        "伍子",
    }
)


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
    _Rule(
        "honorific_name",
        # 王先生, 李红梅阿姨, 欧阳老师: the name and its honorific.
        re.compile(rf"{_SURNAME}{_NOT_AFTER_A_WORD}{_GIVEN}{{0,2}}{_alternatives(_HONORIFICS)}"),
        NAME,
    ),
    _Rule(
        "introduced_name",
        # 我叫张伟, 我是李红梅, 联系人：王芳, 姓名 欧阳娜娜; not 我是王府井社区的
        re.compile(
            r"(?:我叫|我是|本人|联系人|姓名|名字是|名字叫)[ ]?[:：]?[ ]?"
            + rf"(?P<name>{_SURNAME}{_GIVEN}{{1,2}})(?![{_PLACE_WORDS}])"
        ),
        NAME,
        "name",
    ),
    _Rule(
        "surname_only",
        # 我姓王: the surname alone still narrows a neighbourhood down to a family.
        re.compile(rf"我姓(?P<name>{_SURNAME})"),
        NAME,
        "name",
    ),
    _Rule(
        "nickname",
        # 老王, 小李: not 老师, 小时, 小程序, 老胡同, 小区 (区 is no surname)
        re.compile(rf"(?<![老小])[老小](?P<surname>{_SURNAME})(?=(?P<next>.?))"),
        NAME,
        keep=lambda match: (
            match["surname"] in _NICKNAME_SURNAMES
            and match["surname"] + match["next"] not in _NOT_NICKNAMES
        ),
    ),
    _Rule(
        "latin_name",
        # "my name is Zhang Wei", "I am Li Na", "contact: Wang Fang": capitalised words.
        re.compile(
            r"\b(?i:my name is|my name's|i am|i'm|contact(?: person)?[ ]?[:：]|name[ ]?[:：])"
            + r"[ ]*(?P<name>[A-Z][A-Za-z'\-]+(?: [A-Z][A-Za-z'\-]+){0,2})"
            + r"(?![A-Za-z])"
        ),
        NAME,
        "name",
    ),
)


def scrub(text: str, *, names: Iterable[str | None] = ()) -> str:
    """`text` with every phone number, ID-card number, email, plate, long number and personal
    name replaced by its placeholder; everything else as it was. `names`: people known to be
    named in it (the resident's contact name), hidden wherever they appear."""
    original, folded = text, text.translate(_FOLD)
    known = _known_names(names)
    for rule in (*known, *_RULES):
        pieces: list[str] = []
        twins: list[str] = []
        end = 0
        for match in rule.pattern.finditer(folded):
            if rule.keep is not None and not rule.keep(match):
                continue
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


def _known_names(names: Iterable[str | None]) -> tuple[_Rule, ...]:
    """A rule for the names given, each as written, in any case and spacing (a Latin name
    written "zhang  wei"); a single character is no name to look for (it is in every text)."""
    spellings = {
        " ".join(name.translate(_FOLD).split())
        for name in names
        if name and len("".join(name.split())) >= 2
    }
    if not spellings:
        return ()
    alternatives = sorted(spellings, key=len, reverse=True)
    pattern = "|".join(r"\s*".join(re.escape(part) for part in n.split(" ")) for n in alternatives)
    # A Latin name is a word of its own (Li is not in Lily); a Chinese one has no spaces around.
    return (
        _Rule("known_name", re.compile(rf"(?<![A-Za-z])(?:{pattern})(?![A-Za-z])", re.I), NAME),
    )
