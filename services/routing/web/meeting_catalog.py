"""The workbench's strings for deliberation meetings (议事会), in Chinese and English."""

from __future__ import annotations

from collections.abc import Mapping

from shared.web.i18n import Language

MEETING_STRINGS: Mapping[str, Mapping[Language, str]] = {
    "nav_meetings": {"zh": "议事会", "en": "Meetings"},
    "meetings_title": {"zh": "议事会与主题活动", "en": "Meetings and activities"},
    "meetings_empty": {"zh": "还没有议事会或活动记录。", "en": "No meetings or activities yet."},
    "meeting_new": {"zh": "筹备议事会", "en": "Plan a deliberation meeting"},
    "meeting_kind_deliberation_meeting": {"zh": "议事会", "en": "Deliberation meeting"},
    "meeting_kind_themed_activity": {"zh": "主题活动", "en": "Themed activity"},
    "meeting_status_planned": {"zh": "筹备中", "en": "Planned"},
    "meeting_status_held": {"zh": "已召开", "en": "Held"},
    "meeting_proposal": {"zh": "建议议题", "en": "Proposed agenda"},
    "meeting_proposal_hint": {
        "zh": "按联络点、类别和距离归并的未办结意见建议，件数多的在前。"
        "勾选要上会的议题，可修改标题。",
        "en": "Open cases clustered by point, category and distance, biggest first. Tick the "
        "items to put on the agenda; you may reword their titles.",
    },
    "meeting_proposal_empty": {
        "zh": "本站目前没有未办结的意见建议可供上会。",
        "en": "The station has no open cases to put on an agenda.",
    },
    "meeting_proposal_point": {"zh": "只看联络点", "en": "Only point"},
    "meeting_proposal_filter": {"zh": "筛选", "en": "Filter"},
    "meeting_any_point": {"zh": "全部联络点", "en": "Every point"},
    "meeting_hall": {"zh": "联络站议事厅", "en": "The station's hall"},
    "meeting_cases_n": {"zh": "{n} 件", "en": "{n} cases"},
    "meeting_field_pick": {"zh": "列入议程", "en": "On the agenda"},
    "meeting_field_title": {"zh": "议题标题", "en": "Item title"},
    "meeting_field_topic": {"zh": "会议主题", "en": "Topic"},
    "meeting_field_planned_on": {"zh": "召开日期", "en": "Day"},
    "meeting_field_liaison_point_id": {"zh": "召开地点", "en": "Where"},
    "meeting_field_representatives": {
        "zh": "参会代表（代表编号，以空格或逗号分隔）",
        "en": "Representatives (codes, separated by spaces or commas)",
    },
    "meeting_field_deliberators": {
        "zh": "议事员（每行一人：姓名，身份）",
        "en": "Residents' deliberators (one a line: name, role)",
    },
    "meeting_field_agenda": {"zh": "议程", "en": "Agenda"},
    "meeting_plan_submit": {"zh": "保存议事会安排", "en": "Plan the meeting"},
    "meeting_participants": {"zh": "参会人员", "en": "Participants"},
    "meeting_representatives": {"zh": "人大代表", "en": "Representatives"},
    "meeting_deliberators": {"zh": "议事员", "en": "Deliberators"},
    "meeting_agenda": {"zh": "议程与决定", "en": "Agenda and decisions"},
    "meeting_item_cases": {"zh": "涉及的意见建议", "en": "Cases"},
    "meeting_decision": {"zh": "会议决定", "en": "Decision"},
    # The case page's history names each audit entry by `action_<action>`.
    "action_meeting_decision": {"zh": "议事会决定", "en": "Meeting decision"},
    "meeting_decided_by": {"zh": "{by} 记录于 {at}", "en": "Recorded by {by} at {at}"},
    "meeting_field_decision": {"zh": "会议决定", "en": "What the meeting decided"},
    "meeting_field_decision_cases": {
        "zh": "决定涉及的意见建议（不勾选即全部）",
        "en": "Cases it decides (none ticked: all of them)",
    },
    "meeting_decide_submit": {"zh": "记录决定并告知居民", "en": "Record and tell the residents"},
    "meeting_hold": {"zh": "记录会议召开情况", "en": "Record the meeting as held"},
    "meeting_field_held_on": {
        "zh": "召开日期（留空为计划日期）",
        "en": "Held on (empty: the day planned)",
    },
    "meeting_field_attendance": {"zh": "参会人数", "en": "Attendance"},
    "meeting_field_minutes": {"zh": "会议纪要（仅站内可见）", "en": "Minutes (the station's only)"},
    "meeting_field_outcome": {"zh": "会议成果（公开）", "en": "Outcome (public)"},
    "meeting_hold_submit": {"zh": "保存", "en": "Save"},
    "meeting_minutes": {"zh": "会议纪要", "en": "Minutes"},
    "meeting_outcome": {"zh": "会议成果", "en": "Outcome"},
    "meeting_attendance": {"zh": "参会人数", "en": "Attendance"},
    "meeting_held_on": {"zh": "日期", "en": "Day"},
    "meeting_decide_first_hold": {
        "zh": "记录会议召开情况后，才能记录各议题的决定。",
        "en": "Record the meeting as held first; then record each item's decision.",
    },
    "meeting_record": {"zh": "登记已举行的活动", "en": "Record a meeting or activity held"},
    "meeting_record_hint": {
        "zh": "议事会或主题活动举行后在此登记；参会代表的履职档案将计入这次活动。",
        "en": "Record a deliberation meeting or themed activity once held; it counts in the "
        "duty record of each representative who took part.",
    },
    "meeting_field_kind": {"zh": "类型", "en": "Kind"},
    "meeting_field_record_held_on": {
        "zh": "举行日期（不晚于今天）",
        "en": "Held on (today at the latest)",
    },
    "meeting_field_record_topic": {"zh": "会议或活动主题", "en": "Topic"},
    "meeting_field_record_outcome": {"zh": "会议或活动成果（公开）", "en": "Outcome (public)"},
    "meeting_field_case_ids": {
        "zh": "涉及的意见建议（案件编号，以空格或逗号分隔，可不填）",
        "en": "Cases raised or discussed (case ids, separated by spaces or commas; optional)",
    },
    "meeting_record_submit": {"zh": "登记活动", "en": "Record it"},
    "meeting_done_planned": {"zh": "议事会已安排。", "en": "The meeting is planned."},
    "meeting_done_held": {"zh": "会议召开情况已记录。", "en": "The meeting is recorded as held."},
    "meeting_done_recorded": {
        "zh": "活动已登记，参会代表的履职档案将计入。",
        "en": "Recorded; it counts in the duty records of the representatives who took part.",
    },
    "meeting_done_decided": {
        "zh": "决定已记录，相关居民将收到通知。",
        "en": "The decision is recorded; its residents are being told.",
    },
    # Why the domain refused a form, at the field concerned: `meeting_problem_<code>` for each
    # MeetingProblem code (domain/meetings.py), filled with the problem's values.
    "meeting_problem_point_not_in_station": {
        "zh": "联络点 {point} 不属于本联络站，请重新选择。",
        "en": "The liaison point {point} is not one of your station's; choose another.",
    },
    "meeting_problem_cases_not_of_station": {
        "zh": "以下意见建议不属于本联络站：{cases}。",
        "en": "Not cases of your station: {cases}.",
    },
    "meeting_problem_held_in_future": {
        "zh": "{day} 还没到，举行日期不能晚于今天。",
        "en": "{day} is still to come: the day held cannot be after today.",
    },
    "meeting_problem_planned_in_past": {
        "zh": "{day} 已经过去，召开日期不能早于今天。",
        "en": "{day} has passed: plan the meeting for today or later.",
    },
    "meeting_problem_case_on_two_items": {
        "zh": "同一件意见建议只能列入一个议题：{cases}。",
        "en": "A case goes on one agenda item only: {cases}.",
    },
    "meeting_problem_unknown_representatives": {
        "zh": "代表名录中没有这些编号：{codes}。",
        "en": "No representatives of these codes in the directory: {codes}.",
    },
    "meeting_problem_decision_without_cases": {
        "zh": "会议决定至少要涉及一件意见建议。",
        "en": "A decision names at least one case.",
    },
    "meeting_problem_cases_not_of_item": {
        "zh": "以下意见建议不在本议题中：{cases}。",
        "en": "Not cases of this agenda item: {cases}.",
    },
}
