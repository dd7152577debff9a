"""The city's directory, generated: Longquan's 19 liaison stations and 1,027 representatives.

The story (a Longquan news article) gives the totals — all 1,027 representatives of four levels
sit in 19 liaison stations — and one station in detail: 西街街道's station with its hall (老街议事)
and points in 白云社区, 河星村, 西新社区 and the 上城 neighbourhood micro-centre. Longquan has
exactly 19 townships and subdistricts (4 街道, 8 镇, 7 乡), so there is one station for each. The
rest is invented: village, community and compound names from syllables, people's names from
common surnames (nobody the story names), coordinates around each township's seat.

`city_directory()` is pure and seeded: the same data every run, so the committed file
(`services/routing/city_directory.yaml`, written by `python -m services.routing directory
generate-city`) only changes in a diff when this module does.

The ids the demo directory uses keep their meaning here (stations `xijie`, `jianchi`,
`longyuan`; points `baiyun`, `shangcheng`, `hexing`, `xixin`, `jianchi_centre`,
`longyuan_centre`; representatives 0412–0417, 0501, 0502, 0601, 0602; every category and
department code; the accounts `xijie-staff`, `admin`, …), so scripts and the load generator
written against the demo run unchanged on the city. The names differ: the city's are generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

TownKind = Literal["subdistrict", "town", "township"]
SEED = "longquan-2022-11"
CITY_REPRESENTATIVES = 1027
# The story's "four levels". Longquan is a county-level city: its own congress is the county
# level, Lishui's the municipal one. Of the deputies a county-level city sends up, a couple sit
# in the national congress, a handful in the province's, a few dozen in Lishui's.
LEVEL_SPLIT: dict[str, int] = {"national": 2, "provincial": 7, "municipal": 46}
LEVEL_SPLIT["county"] = CITY_REPRESENTATIVES - sum(LEVEL_SPLIT.values())
DEMO_PASSWORD = "minyi-demo"
DEFAULT_STATION = "xijie"
# Representatives with an account (`rep-<code>`): one in each of the demo's three stations.
REPRESENTATIVE_ACCOUNTS = ("0412", "0501", "0601")

_KIND_EN = {"subdistrict": "Subdistrict", "town": "Town", "township": "Township"}


@dataclass(frozen=True)
class Town:
    """A township-level division of Longquan: one liaison station."""

    id: str
    name: str  # as written, e.g. 竹垟畲族乡
    short: str  # without its kind, e.g. 竹垟
    name_en: str
    kind: TownKind
    prefix: str  # its representatives' codes are prefix + 01…99
    representatives: int
    lat: float
    lon: float


# In the official order: the four subdistricts, the eight towns, the seven townships. Urban
# subdistricts hold more representatives than mountain townships; none holds more than 99, the
# codes' two digits. The prefixes 04, 05 and 06 are the demo's (0412 is a 西街 representative).
TOWNS: tuple[Town, ...] = (
    Town("longyuan", "龙渊街道", "龙渊", "Longyuan", "subdistrict", "06", 98, 28.0660, 119.1520),
    Town("xijie", "西街街道", "西街", "Xijie", "subdistrict", "04", 82, 28.0740, 119.1360),
    Town("jianchi", "剑池街道", "剑池", "Jianchi", "subdistrict", "05", 88, 28.0810, 119.1460),
    Town("tashi", "塔石街道", "塔石", "Tashi", "subdistrict", "01", 58, 28.1050, 119.0900),
    Town("badu", "八都镇", "八都", "Badu", "town", "07", 64, 28.2180, 118.9020),
    Town("shangyang", "上垟镇", "上垟", "Shangyang", "town", "08", 52, 28.1290, 118.8330),
    Town("xiaomei", "小梅镇", "小梅", "Xiaomei", "town", "09", 57, 27.8880, 119.0520),
    Town("chatian", "查田镇", "查田", "Chatian", "town", "10", 50, 27.9330, 119.0210),
    Town("pingnan", "屏南镇", "屏南", "Pingnan", "town", "11", 52, 27.9210, 119.2480),
    Town("anren", "安仁镇", "安仁", "Anren", "town", "12", 58, 28.1170, 119.3580),
    Town("jinxi", "锦溪镇", "锦溪", "Jinxi", "town", "13", 47, 28.0330, 119.2050),
    Town("zhulong", "住龙镇", "住龙", "Zhulong", "town", "14", 42, 28.2190, 118.7620),
    Town("lanju", "兰巨乡", "兰巨", "Lanju", "township", "03", 44, 28.0030, 119.1250),
    Town("baoxi", "宝溪乡", "宝溪", "Baoxi", "township", "15", 37, 27.9820, 118.8530),
    Town(
        "zhuyang",
        "竹垟畲族乡",
        "竹垟",
        "Zhuyang She Ethnic",
        "township",
        "16",
        40,
        28.1700,
        119.0320,
    ),
    Town("daotai", "道太乡", "道太", "Daotai", "township", "17", 38, 28.1930, 119.2510),
    Town("yanzhang", "岩樟乡", "岩樟", "Yanzhang", "township", "18", 36, 28.2310, 119.3470),
    Town("chengbei", "城北乡", "城北", "Chengbei", "township", "02", 47, 28.1260, 119.1560),
    Town("longnan", "龙南乡", "龙南", "Longnan", "township", "19", 37, 27.8050, 119.1730),
)

# The categories the story speaks of (the demo's, plus property management, old-neighbourhood
# renewal, the historic district and the relocated villagers of 上城花园), "other" last.
CATEGORIES: tuple[dict[str, Any], ...] = (
    {"code": "parking", "name": "停车位", "name_en": "Parking spaces"},
    {"code": "ev_charging", "name": "电瓶车充电", "name_en": "EV charging points"},
    {"code": "garbage_sorting", "name": "垃圾分类", "name_en": "Garbage sorting"},
    {"code": "drainage", "name": "排水防涝", "name_en": "Drainage and flooding"},
    {
        "code": "house_repair",
        "name": "危旧房治理",
        "name_en": "Dilapidated-house repair",
        "sla_respond_days": 30,
    },
    {"code": "neighbour_dispute", "name": "邻里纠纷", "name_en": "Neighbour disputes"},
    {"code": "property_management", "name": "物业管理", "name_en": "Property management"},
    {
        "code": "old_neighbourhood",
        "name": "老旧小区改造",
        "name_en": "Old-neighbourhood renewal",
        "sla_respond_days": 30,
    },
    {
        "code": "heritage",
        "name": "历史文化街区保护",
        "name_en": "Historic district protection",
        "sla_respond_days": 30,
    },
    {"code": "resettlement", "name": "搬迁安置", "name_en": "Relocation and resettlement"},
    {"code": "other", "name": "其他", "name_en": "Other"},
)

DEPARTMENTS: tuple[dict[str, str], ...] = (
    {
        "id": "housing",
        "name": "市住房和城乡建设局",
        "name_en": "Housing and Urban-Rural Development Bureau",
    },
    {"id": "urban_management", "name": "市综合行政执法局", "name_en": "Urban Management Bureau"},
    {"id": "transport", "name": "市交通运输局", "name_en": "Transport Bureau"},
    {"id": "water", "name": "市水利局", "name_en": "Water Resources Bureau"},
    {"id": "power", "name": "国网龙泉市供电公司", "name_en": "State Grid Longquan Power Supply"},
    {
        "id": "natural_resources",
        "name": "市自然资源和规划局",
        "name_en": "Natural Resources and Planning Bureau",
    },
    {
        "id": "culture",
        "name": "市文化和广电旅游体育局",
        "name_en": "Culture, Radio, Television, Tourism and Sports Bureau",
    },
    {"id": "civil_affairs", "name": "市民政局", "name_en": "Civil Affairs Bureau"},
    {
        "id": "agriculture",
        "name": "市农业农村局",
        "name_en": "Agriculture and Rural Affairs Bureau",
    },
)

# What representatives know about, by where they live: town centres see parking and property
# disputes, villages see floods, old houses and relocation.
_SPECIALTIES: dict[TownKind, tuple[str, ...]] = {
    "subdistrict": (
        "parking",
        "ev_charging",
        "garbage_sorting",
        "property_management",
        "old_neighbourhood",
        "neighbour_dispute",
        "drainage",
    ),
    "town": ("drainage", "house_repair", "garbage_sorting", "resettlement", "neighbour_dispute"),
    "township": ("drainage", "house_repair", "resettlement", "neighbour_dispute"),
}
_XIJIE_SPECIALTIES = (*_SPECIALTIES["subdistrict"], "house_repair", "heritage")

# The points the story names (西街), and the demo's one point each for 剑池 and 龙渊, with the
# demo's ids and places; their leaders are generated like everyone else's.
_KNOWN_POINTS: dict[str, tuple[tuple[str, str, str, float, float], ...]] = {
    "xijie": (
        ("baiyun", "白云社区人大联络点", "community", 28.0752, 119.1381),
        ("shangcheng", "上城·邻里微中心", "micro_centre", 28.0768, 119.1402),
        ("hexing", "河星村人大联络点", "village", 28.0690, 119.1297),
        ("xixin", "西新社区人大联络点", "community", 28.0731, 119.1335),
    ),
    "jianchi": (("jianchi_centre", "剑池社区人大联络点", "community", 28.0801, 119.1450),),
    "longyuan": (("longyuan_centre", "龙渊社区人大联络点", "community", 28.0655, 119.1520),),
}
# How many points of each kind a station has, by its kind (known points count towards them).
_POINTS: dict[TownKind, dict[str, tuple[int, int]]] = {
    "subdistrict": {"community": (5, 7), "village": (2, 4), "micro_centre": (1, 2)},
    "town": {"community": (1, 1), "village": (5, 8), "micro_centre": (0, 1)},
    "township": {"community": (0, 1), "village": (3, 6), "micro_centre": (0, 0)},
}


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """`字:zi 词:ci …` as ((characters, pinyin), …): each name next to its spelling."""
    return tuple((hanzi, pinyin) for hanzi, pinyin in (w.split(":") for w in text.split()))


# To build place names from: a village is a first and a second syllable (上 + 坑 → 上坑村).
_VILLAGE_FIRST = _pairs(
    "上:shang 下:xia 大:da 小:xiao 新:xin 东:dong 西:xi 南:nan 北:bei 前:qian 后:hou "
    "黄:huang 石:shi 竹:zhu 梅:mei 松:song 高:gao 官:guan 金:jin 白:bai 青:qing 茶:cha "
    "枫:feng 杨:yang 桥:qiao"
)
_VILLAGE_SECOND = _pairs(
    "坑:keng 口:kou 源:yuan 垟:yang 岭:ling 头:tou 湾:wan 坪:ping 坞:wu 田:tian 岙:ao "
    "塘:tang 山:shan 畈:fan 庄:zhuang 铺:pu 岗:gang"
)
_COMMUNITIES = _pairs(
    "华楼:hualou 水南:shuinan 剑湖:jianhu 留槎:liucha 新华:xinhua 中山:zhongshan "
    "望瓯:wangou 丽龙:lilong 宏山:hongshan 贤良:xianliang 五一:wuyi 南秦:nanqin "
    "宝剑:baojian 青瓷:qingci 瓯江:oujiang 凤凰:fenghuang 城东:chengdong 城西:chengxi "
    "兴华:xinghua 人民:renmin 解放:jiefang 九姑:jiugu 蒋宝:jiangbao 大沙:dasha "
    "贯通:guantong 东升:dongsheng 春晖:chunhui 永和:yonghe 福泽:fuze 安澜:anlan"
)
# Residential compounds, where the neighbourhood micro-centres are (上城花园 → 上城·邻里微中心).
_COMPOUNDS = _pairs(
    "锦苑:jinyuan 剑瓷:jianci 华府:huafu 东方:dongfang 滨江:binjiang 翠苑:cuiyuan "
    "金域:jinyu 香樟:xiangzhang 安居:anju 和园:heyuan 阳光:yangguang 丽景:lijing"
)
_SURNAMES = "叶吴李王张陈刘周徐季毛林杨何金胡曾项郑蓝雷练管沈潘朱黄赵孙柳范邱严"
_GIVEN = (
    "建国志强伟明丽华红军海燕春梅晓东卫平芳玲秀英文斌杰磊勇静敏辉鹏涛霞娟婷飞超俊峰琴萍云"
    "亮刚波宁浩宇欣怡佳瑶晨阳雪慧琳坤荣森青松立新成德福兴旺仁和泉岚清源晖彬蕾璐"
)
# Real people of the story (and its reporters): never generated.
_STORY_PEOPLE = frozenset(
    {"张献平", "林莹", "叶春晓", "张有钢", "林欣颖", "叶驰龙", "杨艳", "季卓奕", "王苏珍", "姜爱华"}
)


class _Names:
    """Unique generated names: a person or a place is named once in the whole city."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._taken: set[str] = set(_STORY_PEOPLE)

    def person(self) -> str:
        while True:
            given = "".join(self._rng.sample(_GIVEN, 2 if self._rng.random() < 0.7 else 1))
            name = self._rng.choice(_SURNAMES) + given
            if name not in self._taken:
                self._taken.add(name)
                return name

    def place(self, choices: list[tuple[str, str]], *, ids: set[str]) -> tuple[str, str] | None:
        """One of `choices` (characters, pinyin) whose characters are not used yet and whose
        pinyin is not in `ids` (two names can sound alike), or None when none is left."""
        free = [c for c in choices if c[0] not in self._taken and c[1] not in ids]
        if not free:
            return None
        picked = self._rng.choice(free)
        self._taken.add(picked[0])
        ids.add(picked[1])
        return picked

    def claim(self, name: str) -> None:
        self._taken.add(name)


def _village_names() -> list[tuple[str, str]]:
    return [(a + b, pa + pb) for a, pa in _VILLAGE_FIRST for b, pb in _VILLAGE_SECOND if a != b]


def _station(town: Town) -> dict[str, Any]:
    hall = "西街议事厅（老街议事）" if town.id == "xijie" else f"{town.short}议事厅"
    return {
        "id": town.id,
        "name": f"{town.name}人大代表联络站",
        "name_en": f"{town.name_en} {_KIND_EN[town.kind]} Representative Liaison Station",
        "hall": hall,
    }


def _points(town: Town, rng: random.Random, names: _Names) -> list[dict[str, Any]]:
    known = _KNOWN_POINTS.get(town.id, ())
    points: list[dict[str, Any]] = []
    for point_id, name, kind, lat, lon in known:
        names.claim(name.removesuffix("人大联络点").removesuffix("社区").removesuffix("村"))
        points.append(
            {"id": point_id, "station": town.id, "name": name, "kind": kind, "lat": lat, "lon": lon}
        )
    spread = 0.012 if town.kind == "subdistrict" else 0.035
    villages = _village_names()
    sounds: set[str] = set()  # the pinyin used in this station: its points' ids
    for kind, (low, high) in _POINTS[town.kind].items():
        wanted = rng.randint(low, high) - sum(1 for p in points if p["kind"] == kind)
        for _ in range(max(0, wanted)):
            if kind == "community":
                # A town's one community bears its name, as most do.
                picked = (
                    names.place([(town.short, town.id)], ids=sounds)
                    if town.kind != "subdistrict"
                    else None
                ) or names.place(list(_COMMUNITIES), ids=sounds)
                suffix = "社区人大联络点"
            elif kind == "village":
                picked, suffix = names.place(villages, ids=sounds), "村人大联络点"
            else:
                picked, suffix = names.place(list(_COMPOUNDS), ids=sounds), "·邻里微中心"
            if picked is None:
                continue
            hanzi, pinyin = picked
            points.append(
                {
                    "id": f"{town.id}_{pinyin}" if pinyin != town.id else f"{town.id}_centre",
                    "station": town.id,
                    "name": hanzi + suffix,
                    "kind": kind,
                    "lat": round(town.lat + rng.gauss(0, spread), 4),
                    "lon": round(town.lon + rng.gauss(0, spread), 4),
                }
            )
    for point in points:
        # The point's leader (点长) is the village or community secretary.
        point["leader"] = names.person()
    return points


def _representatives(
    town: Town, points: list[dict[str, Any]], rng: random.Random, names: _Names
) -> list[dict[str, Any]]:
    pool = _XIJIE_SPECIALTIES if town.id == "xijie" else _SPECIALTIES[town.kind]
    ids = [p["id"] for p in points]
    order = list(range(town.representatives))
    rng.shuffle(order)
    # Points take representatives in turn, so every service group has several.
    first_point = {n: ids[i % len(ids)] for i, n in enumerate(order)}
    representatives = []
    for n in range(town.representatives):
        serves = [first_point[n]]
        if len(ids) > 1 and rng.random() < 0.25:
            serves.append(rng.choice([p for p in ids if p != first_point[n]]))
        count = rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
        representatives.append(
            {
                "code": f"{town.prefix}{n + 1:02d}",
                "name": names.person(),
                "level": "county",
                "station": town.id,
                "points": serves,
                "specialties": sorted(rng.sample(pool, count), key=pool.index),
            }
        )
    return representatives


def _users(representatives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's kinds of account, for the whole city: staff and a head per station, a
    handler per department, a supervisor, an admin, and the demo's representative usernames
    (a few: each account costs an argon2 hash, tens of milliseconds, when it is loaded). All
    with the demo's published password: `seed-demo` loads them and is refused in prod."""
    users: list[dict[str, Any]] = []
    for town in TOWNS:
        users += [
            {
                "username": f"{town.id}-staff",
                "display_name": f"{town.short}联络站工作人员",
                "role": "staff",
                "station": town.id,
            },
            {
                "username": f"{town.id}-head",
                "display_name": f"{town.short}联络站站长",
                "role": "station_head",
                "station": town.id,
            },
        ]
    named = {r["code"]: r["name"] for r in representatives}
    users += [
        {
            "username": f"rep-{code}",
            "display_name": named[code],
            "role": "representative",
            "representative_code": code,
        }
        for code in REPRESENTATIVE_ACCOUNTS
    ]
    users += [
        {
            "username": f"{d['id']}-handler",
            "display_name": f"{d['name'].removeprefix('市')}经办人",
            "role": "department",
            "department": d["id"],
        }
        for d in DEPARTMENTS
    ]
    users += [
        {"username": "city-supervisor", "display_name": "市人大常委会督查", "role": "supervisor"},
        {"username": "admin", "display_name": "系统管理员", "role": "admin"},
    ]
    return [{**u, "password": DEMO_PASSWORD} for u in users]


def city_directory(seed: str = SEED) -> dict[str, Any]:
    """The city's directory and accounts, as the directory file holds them."""
    rng = random.Random(seed)
    names = _Names(rng)
    stations = [_station(town) for town in TOWNS]
    points: list[dict[str, Any]] = []
    representatives: list[dict[str, Any]] = []
    for town in TOWNS:
        own = _points(town, rng, names)
        points += own
        representatives += _representatives(town, own, rng, names)
    # The higher levels go to representatives drawn from the whole city.
    drawn = rng.sample(range(len(representatives)), CITY_REPRESENTATIVES - LEVEL_SPLIT["county"])
    start = 0
    for level in ("national", "provincial", "municipal"):
        for index in drawn[start : start + LEVEL_SPLIT[level]]:
            representatives[index]["level"] = level
        start += LEVEL_SPLIT[level]
    return {
        "default_station": DEFAULT_STATION,
        "categories": [dict(c) for c in CATEGORIES],
        "stations": stations,
        "liaison_points": points,
        "representatives": representatives,
        "departments": [dict(d) for d in DEPARTMENTS],
        "users": _users(representatives),
    }
