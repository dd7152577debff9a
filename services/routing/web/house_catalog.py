"""The workbench's strings for dilapidated houses (危旧房), in Chinese and English."""

from __future__ import annotations

from collections.abc import Mapping

from shared.web.i18n import Language

HOUSE_STRINGS: Mapping[str, Mapping[Language, str]] = {
    "nav_houses": {"zh": "危旧房", "en": "Houses"},
    "houses_title": {"zh": "危旧房治理", "en": "Dilapidated houses"},
    "houses_empty": {"zh": "没有符合条件的房屋。", "en": "No houses match."},
    "houses_counts": {"zh": "各阶段房屋数", "en": "Houses per stage"},
    "houses_total": {"zh": "纳入治理：{n} 幢", "en": "Under governance: {n} houses"},
    "houses_search": {"zh": "按地址查找（地址开头）", "en": "Find by address (its start)"},
    "houses_search_submit": {"zh": "查找", "en": "Find"},
    "houses_next": {"zh": "下一页", "en": "Next page"},
    "houses_first": {"zh": "回到第一页", "en": "First page"},
    "house_register": {"zh": "登记危旧房", "en": "Register a house"},
    "house_register_submit": {"zh": "登记", "en": "Register"},
    "house_field_address": {"zh": "房屋地址（楼栋门牌）", "en": "Building address"},
    "house_field_address_hint": {
        "zh": "楼栋的公开门牌地址，不写住户姓名或电话。",
        "en": "The building's public address; no resident's name or phone.",
    },
    "house_field_floor_area_m2": {"zh": "建筑面积（平方米）", "en": "Floor area (m²)"},
    "house_field_households": {"zh": "住户（房号）", "en": "Households (flats)"},
    "house_field_households_hint": {
        "zh": "每户一个房号，如 2-301，用空格或逗号分开；不写姓名。",
        "en": "One flat label per household, e.g. 2-301, separated by spaces or commas; no names.",
    },
    "house_field_liaison_point_id": {"zh": "联络点", "en": "Liaison point"},
    "house_station_hall": {"zh": "（联络站）", "en": "(the station)"},
    "house_households_n": {"zh": "{n} 户", "en": "{n} households"},
    "house_area": {"zh": "{n} 平方米", "en": "{n} m²"},
    "house_consent_summary": {
        "zh": "同意 {yes} 户，反对 {no} 户，共 {n} 户",
        "en": "{yes} consented, {no} objected, of {n}",
    },
    "house_households": {"zh": "住户意见", "en": "Households' consent"},
    "house_consent_not_asked": {"zh": "未征询", "en": "Not yet asked"},
    "house_consent_consented": {"zh": "同意", "en": "Consented"},
    "house_consent_objected": {"zh": "反对", "en": "Objected"},
    "house_consent_submit": {"zh": "记录", "en": "Record"},
    "house_field_consent": {"zh": "意见", "en": "Answer"},
    "house_stage": {"zh": "治理阶段", "en": "Stage"},
    "house_stage_submit": {"zh": "推进到该阶段", "en": "Move to this stage"},
    "house_field_stage": {"zh": "下一阶段", "en": "Next stage"},
    "house_field_note": {"zh": "说明（居民可见）", "en": "Note (residents read it)"},
    "house_stage_final": {"zh": "已到最终阶段。", "en": "This is a final stage."},
    "house_history": {"zh": "阶段记录", "en": "Stage history"},
    "house_history_step": {
        "zh": "{at} {by}：{source} → {target}",
        "en": "{at} {by}: {source} → {target}",
    },
    "house_cases": {"zh": "关联案件", "en": "Linked cases"},
    "house_cases_empty": {"zh": "还没有关联案件。", "en": "No cases linked yet."},
    "house_cases_hint": {
        "zh": "关联的案件跟随本房屋的阶段，时间线中显示每一步。",
        "en": "Linked cases follow this house's stage; their timelines show each step.",
    },
    "house_field_case_id": {"zh": "案件编号", "en": "Case id"},
    "house_link_submit": {"zh": "关联案件", "en": "Link the case"},
    "house_done_registered": {"zh": "房屋已登记。", "en": "The house is registered."},
    "house_done_consent": {"zh": "住户意见已记录。", "en": "The answer is recorded."},
    "house_done_stage": {"zh": "阶段已推进。", "en": "The stage has moved."},
    "house_done_link": {"zh": "案件已关联。", "en": "The case is linked."},
    "house_changed": {
        "zh": "房屋刚被他人修改，请核对后重试。",
        "en": "The house changed meanwhile; check it and try again.",
    },
    "stage_under_governance": {"zh": "已纳入治理", "en": "Under governance"},
    "stage_design": {"zh": "方案设计中", "en": "In design"},
    "stage_repairing": {"zh": "修缮中", "en": "Repairing"},
    "stage_repaired": {"zh": "已修缮", "en": "Repaired"},
    "stage_acceptance_passed": {"zh": "已通过验收", "en": "Passed acceptance"},
    "stage_expropriated": {"zh": "已征收拆除", "en": "Expropriated"},
}
