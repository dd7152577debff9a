"""The PII scrubber on real-looking resident texts: what it hides, and what it must leave."""

from __future__ import annotations

import pytest

from services.intake.domain.pii import SURNAMES, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mainland mobiles: bare, grouped, with +86 / 0086 / 86, in brackets, full-width
        ("我的电话是13800138000，有事找我", "我的电话是[电话]，有事找我"),
        ("联系：138 0013 8000", "联系：[电话]"),
        ("手机 138-0013-8000 晚上打", "手机 [电话] 晚上打"),
        ("请打+86 138 0013 8000找王师傅", "请打[电话]找[姓名]"),
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # introduced: 我叫, 我是, 本人, 联系人, 姓名, 我姓
        ("我叫张伟，住在白云社区3号楼", "我叫[姓名]，住在白云社区3号楼"),
        ("您好，我是李红梅，楼上天天漏水", "您好，我是[姓名]，楼上天天漏水"),
        ("本人陈建国，反映西街停车难", "本人[姓名]，反映西街停车难"),
        ("联系人：王芳 13800138000", "联系人：[姓名] [电话]"),
        ("姓名 欧阳娜娜，河星村村民", "姓名 [姓名]，河星村村民"),
        ("我姓王，是三单元的业主", "我姓[姓名]，是三单元的业主"),
        # an honorific after the name
        ("楼下的刘阿姨每天在楼道里堆纸箱", "楼下的[姓名]每天在楼道里堆纸箱"),
        ("物业的王经理说下周来修", "物业的[姓名]说下周来修"),
        ("请转告赵大爷和孙女士，会议改期", "请转告[姓名]和[姓名]，会议改期"),
        ("保安张师傅很负责", "保安[姓名]很负责"),
        ("社区欧阳书记和司马老师都来看过", "社区[姓名]和[姓名]都来看过"),
        ("黄建华先生反映的问题", "[姓名]反映的问题"),
        # 老 / 小 and a surname
        ("老王家门口的井盖松了，小李也摔过", "[姓名]家门口的井盖松了，[姓名]也摔过"),
        ("小周说周末再来", "[姓名]说周末再来"),
        # Latin script
        ("My name is Zhang Wei, I live at No. 3", "My name is [姓名], I live at No. 3"),
        ("I am Li Na from Baiyun community", "I am [姓名] from Baiyun community"),
        ("I'm Wang and my car was towed", "I'm [姓名] and my car was towed"),
        ("Contact: Chen Jianguo", "Contact: [姓名]"),
    ],
)
def test_personal_names_are_replaced(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "老旧小区加装电梯的进度太慢",
        "小学门口早上堵车严重",
        "东门的停车场晚上没有路灯",
        "王府井步行街的垃圾分类亭位置不合理",
        "我是王府井社区的居民，我是来反映问题的",
        "我是李家村的，村口的路坑坑洼洼",
        "小区里的老房子漏雨，需要维修",
        "两小时内没人接电话，小时候这里是农田",
        "微信小程序打不开，老师傅也不会用",
        "老胡同里的下水道堵了，周末大爷们在广场跳舞",
        "门卫大爷、保安大爷和宿管阿姨都很辛苦",
        "语文老师和班主任老师反映校门口的问题",
        "修车师傅把车停在人行道上",
        "小于10米的巷子不能停车，小商贩占道经营",
        "黄金周期间高新区到金华市的马路边停满了车",
        "小高层的电梯经常坏，老年人上下楼不方便",
        "江边公园的石板路需要修",
        "I am writing about the broken street lights",
        "Contact the property management company",
    ],
)
def test_ordinary_words_that_start_with_a_surname_stay(text: str) -> None:
    assert scrub(text) == text


def test_the_residents_own_name_is_hidden_wherever_they_wrote_it() -> None:
    text = "我家门口（周建平家）的路灯坏了，周建平的邻居也反映过"
    assert scrub(text, names=["周建平"]) == "我家门口（[姓名]家）的路灯坏了，[姓名]的邻居也反映过"
    # Latin: in any case, spaced or not, and only as a word of its own
    assert scrub("zhang  wei here; ZhangWei too; Zhang Weiguo is not", names=["Zhang Wei"]) == (
        "[姓名] here; [姓名] too; Zhang Weiguo is not"
    )
    # no name, an empty one, or a single character: nothing to look for
    assert scrub("王先生说", names=[None, "", "王"]) == "[姓名]说"
    assert scrub("周边的路", names=["周"]) == "周边的路"


def test_the_surname_list_is_compact_and_has_the_two_character_ones() -> None:
    assert 100 <= len(SURNAMES) <= 250
    assert {"王", "李", "张", "欧阳", "司马", "诸葛", "上官"} <= set(SURNAMES)
    assert len(set(SURNAMES)) == len(SURNAMES)
