"""The PII scrubber on real-looking resident texts: what it hides, and what it must leave."""

from __future__ import annotations

import pytest

from services.intake.domain.pii import scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mainland mobiles: bare, grouped, with +86 / 0086 / 86, in brackets, full-width
        ("我的电话是13800138000，有事找我", "我的电话是[电话]，有事找我"),
        ("联系：138 0013 8000", "联系：[电话]"),
        ("手机 138-0013-8000 晚上打", "手机 [电话] 晚上打"),
        ("请打+86 138 0013 8000找王师傅", "请打[电话]找王师傅"),
        ("(+86)13800138000", "[电话]"),
        ("0086-13912345678", "[电话]"),
        ("8615912345678", "[电话]"),
        ("号码１３８００１３８０００谢谢", "号码[电话]谢谢"),
        ("业主199 1234 5678和177-1234-5678都反映过", "业主[电话]和[电话]都反映过"),
        # landlines with their area code, extensions; a labelled local number
        ("电话：0578-7123456", "电话：[电话]"),
        ("座机(0578)7123456转123，白天有人", "座机[电话]，白天有人"),
        ("北京的号码010-62345678", "北京的号码[电话]"),
        ("村委会 0571 8765 4321", "村委会 [电话]"),
        ("联系电话 7123456", "联系电话 [电话]"),
        ("Tel: 2123456", "Tel: [电话]"),
        # international numbers
        ("Call me at +44 20 7946 0958 please", "Call me at [电话] please"),
        ("+1 (415) 555-2671", "[电话]"),
        ("US: (212) 555-0123 or 212-555-0123", "US: [电话] or [电话]"),
        ("+81-3-1234-5678", "[电话]"),
        # ID-card numbers: 18 digits, X, grouped, the old 15
        ("身份证号330181199001011234", "身份证号[身份证]"),
        ("身份证：33018119900101123X。", "身份证：[身份证]。"),
        ("证件 330181 19900101 123x", "证件 [身份证]"),
        ("老身份证330181900101123还能用吗", "老身份证[身份证]还能用吗"),
        ("ID 110105200012319999", "ID [身份证]"),
        # emails
        ("邮箱 zhang.san@163.com 联系", "邮箱 [邮箱] 联系"),
        ("发到li_si+minyi@mail.example.org.cn就行", "发到[邮箱]就行"),
        ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ", "[邮箱]"),
        # plates: ordinary, new-energy with and without the dot, lower case, suffixes
        ("我的车川A12345被堵了", "我的车[车牌]被堵了"),
        ("京A·D12345是新能源车", "[车牌]是新能源车"),
        ("京AD12345天天停在消防通道", "[车牌]天天停在消防通道"),
        ("浙K·12345和浙K 2345F", "[车牌]和[车牌]"),
        ("浙k12345停在这", "[车牌]停在这"),
        ("粤B1234学的教练车", "[车牌]的教练车"),
        # bank cards and other long numbers
        ("银行卡 6222 0212 3456 7890 123", "银行卡 [号码]"),
        ("订单号123456789012345678901", "订单号[号码]"),
        ("户号12345678901", "户号[号码]"),
    ],
)
def test_personal_data_is_replaced_by_what_it_was(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026年3月，3号楼东侧的20个停车位被占",
        "1号楼2单元301室楼上漏水，已经3个月了",
        "预计投资120万元，新增160个充电桩",
        "拨打12345热线，市民热线电话12345也没人接",
        "2025-03-15 14:30 在白云社区议事会上反映过",
        "邮编323700，龙泉市西街街道",
        "GB 50180-2018 规定每100户至少20个车位",
        "坐标28.0752, 119.1381附近",
        "2024-2025年度共受理1700件，办结率100%",
        "第2期工程3.5米宽的路，限速30公里",
        "新iPhone很贵，京ABCDE不是车牌",
        "宁波、新疆、云南的经验可以学习",
        "G25高速龙泉出口往东200米",
        "318户危旧房，其中60户在设计，88户在修缮",
        "20260315那天下午3点到5点停水",
        "房间号1502，楼层15",
        "1027名代表，19个联络站",
    ],
)
def test_ordinary_numbers_and_words_stay(text: str) -> None:
    assert scrub(text) == text


def test_everything_in_one_text_and_the_rest_unchanged() -> None:
    text = (
        "白云社区3号楼门口，川A12345和浙K·D12345长期占用消防通道。"
        "我是业主，电话13800138000，身份证330181199001011234，"
        "邮箱 resident@example.cn。2026年3月已反映过一次。"
    )
    assert scrub(text) == (
        "白云社区3号楼门口，[车牌]和[车牌]长期占用消防通道。"
        "我是业主，电话[电话]，身份证[身份证]，"
        "邮箱 [邮箱]。2026年3月已反映过一次。"
    )


def test_a_text_without_personal_data_is_returned_as_it_was() -> None:
    text = "小区停车位不够用\n\n晚上经常停到路边"
    assert scrub(text) == text
    assert scrub("") == ""
