"""Every string of reporting's pages, in Chinese and English."""

from __future__ import annotations

from collections.abc import Mapping

from shared.web.i18n import Catalog, Language

STRINGS: Mapping[str, Mapping[Language, str]] = {
    # Navigation and titles
    "nav_label": {"zh": "统计报表", "en": "Reports"},
    "dashboard_title": {"zh": "联络站工作统计", "en": "Liaison station dashboard"},
    "dashboard_station_title": {"zh": "{station} 工作统计", "en": "{station}: dashboard"},
    "transparency_title": {"zh": "民意办理公开数据", "en": "Public figures"},
    "transparency_intro": {
        "zh": "以下为全市及各联络站收到、受理、办结意见建议的数量与群众满意度。"
        "数据只含统计数字，不含任何意见内容或个人信息。",
        "en": "How many opinions and suggestions the city and each liaison station received, "
        "accepted and closed, and how satisfied residents were. Only counts: no case text, "
        "no personal data.",
    },
    "submit_opinion": {"zh": "提交意见建议", "en": "Submit an opinion"},
    "city_wide": {"zh": "全市", "en": "City-wide"},
    # Filters
    "filters": {"zh": "筛选", "en": "Filters"},
    "since": {"zh": "起始日", "en": "From"},
    "until": {"zh": "截止日", "en": "To"},
    "date_hint": {"zh": "年-月-日，如 2026-04-01", "en": "Year-month-day, like 2026-04-01"},
    "station": {"zh": "联络站", "en": "Station"},
    "apply": {"zh": "查看", "en": "Show"},
    "quick_periods": {"zh": "常用时段", "en": "Quick periods"},
    "preset_last_30_days": {"zh": "最近30天", "en": "Last 30 days"},
    "preset_this_year": {"zh": "今年", "en": "This year"},
    "preset_last_365_days": {"zh": "最近一年", "en": "Last 12 months"},
    "period": {"zh": "统计期间：{since} 至 {until}", "en": "Period: {since} to {until}"},
    "errors_title": {"zh": "筛选条件有误", "en": "The filters need fixing"},
    "error_date": {
        "zh": "请输入有效日期，格式如 2026-04-01",
        "en": "Enter a real date, like 2026-04-01",
    },
    "error_until_before_since": {
        "zh": "截止日不能早于起始日",
        "en": "The end date must not be before the start date",
    },
    "error_period_too_long": {
        "zh": "统计期间最长 10 年",
        "en": "The period can be at most 10 years",
    },
    "error_unknown_station": {
        "zh": "没有这个联络站，请从列表中选择",
        "en": "There is no such station; choose one from the list",
    },
    # Headline and KPIs
    "summary_heading": {"zh": "一句话概况", "en": "In one sentence"},
    "kpis_heading": {"zh": "主要指标", "en": "Key figures"},
    "kpi_received": {"zh": "收到意见建议", "en": "Received"},
    "kpi_assigned": {"zh": "分派到站", "en": "Assigned to the station"},
    "kpi_accepted": {"zh": "受理", "en": "Accepted"},
    "kpi_closed": {"zh": "办结", "en": "Closed"},
    "kpi_completion": {"zh": "办结率", "en": "Completion rate"},
    "kpi_satisfaction": {"zh": "满意度", "en": "Satisfaction"},
    "kpi_escalated": {"zh": "超时上报", "en": "Escalated (overdue)"},
    "kpi_follow_up_satisfaction": {
        "zh": "回访满意度（工作人员记录）",
        "en": "Follow-up satisfaction (recorded by staff)",
    },
    "kpi_supervised": {"zh": "督办", "en": "Supervised"},
    "kpi_supervision_met": {"zh": "督办按期答复", "en": "Supervision met"},
    "kpi_supervision_missed": {"zh": "督办逾期", "en": "Supervision missed"},
    "kpi_returned": {"zh": "退回重办", "en": "Returned for redo"},
    "kpi_reopened": {"zh": "重新办理", "en": "Reopened"},
    "kpi_rated": {"zh": "收到评价", "en": "Ratings"},
    "kpi_mean_respond": {"zh": "平均答复用时", "en": "Mean time to respond"},
    "kpi_open_now": {"zh": "当前在办", "en": "Open now"},
    "kpi_overdue_now": {"zh": "当前超期", "en": "Overdue now"},
    "p90_words": {"zh": "90% 在 {p90} 内答复（{n} 件）", "en": "90% within {p90} (n={n})"},
    "rate_words": {
        "zh": "{rate}（样本 {n}，95% 置信区间 {low}–{high}）",
        "en": "{rate} (n={n}, 95% CI {low}–{high})",
    },
    "rate_none": {"zh": "暂无（样本 0）", "en": "n/a (n=0)"},
    "rate_short": {"zh": "{rate}（样本 {n}）", "en": "{rate} (n={n})"},
    "na": {"zh": "暂无", "en": "n/a"},
    "rate_note": {
        "zh": "办结率 = 办结 ÷ 受理；满意度 =（满意 + 基本满意）÷ 评价数。"
        "括号内为样本量和 95% 置信区间（Wilson 法）：样本越少，区间越宽。",
        "en": "Completion = closed ÷ accepted; satisfaction = (satisfied + basically satisfied) "
        "÷ ratings. In brackets: the sample and its 95% confidence interval (Wilson): the "
        "smaller the sample, the wider the interval.",
    },
    # Charts and their tables
    "show_numbers": {"zh": "查看数据表", "en": "Show the numbers"},
    "rates_heading": {"zh": "各站办结率与满意度", "en": "Completion and satisfaction by station"},
    "chart_completion": {"zh": "各站办结率", "en": "Completion rate by station"},
    "chart_completion_desc": {
        "zh": "横条为办结率，细线为 95% 置信区间。{rows}",
        "en": "Bars show the completion rate, whiskers its 95% confidence interval. {rows}",
    },
    "chart_satisfaction": {"zh": "各站满意度", "en": "Satisfaction by station"},
    "chart_satisfaction_desc": {
        "zh": "横条为满意度，细线为 95% 置信区间。{rows}",
        "en": "Bars show the satisfaction rate, whiskers its 95% confidence interval. {rows}",
    },
    "chart_row": {"zh": "{label}：{text}。", "en": "{label}: {text}. "},
    "categories_heading": {"zh": "各类别意见数量", "en": "Opinions by category"},
    "chart_categories": {"zh": "各类别分派件数", "en": "Cases assigned per category"},
    "chart_categories_desc": {
        "zh": "横条为期间内分派的件数。{rows}",
        "en": "Bars show the cases assigned in the period. {rows}",
    },
    "series_heading": {"zh": "各类别数量变化", "en": "Categories over time"},
    "chart_series": {"zh": "各类别件数变化", "en": "Cases per category over time"},
    "series_row": {"zh": "{label}：{values}。", "en": "{label}: {values}. "},
    "chart_series_desc": {
        "zh": "每条线为一个类别{group}分派的件数，自 {first} 至 {last}。{rows}",
        "en": "One line per category: cases assigned {group}, from {first} to {last}. {rows}",
    },
    "group_day": {"zh": "按日", "en": "per day"},
    "group_week": {"zh": "按周", "en": "per week"},
    "group_month": {"zh": "按月", "en": "per month"},
    "times_heading": {"zh": "答复用时", "en": "Time to respond"},
    "chart_times": {"zh": "各站答复用时", "en": "Time to respond by station"},
    "chart_times_desc": {
        "zh": "横条为平均用时（{unit}），竖线为 90% 的案件在此之内答复；数字为“平均 / 90%”。{rows}",
        "en": "Bars show the mean time in {unit}; the tick marks the time within which 90% "
        "were answered; the numbers read mean / 90%. {rows}",
    },
    "times_none": {
        "zh": "这一期间还没有答复。",
        "en": "Nothing was answered in this period.",
    },
    "minutes": {"zh": "{n} 分钟", "en": "{n} min"},
    "hours": {"zh": "{n} 小时", "en": "{n} h"},
    "days": {"zh": "{n} 天", "en": "{n} days"},
    "mean_slash_p90": {"zh": "{mean} / {p90}", "en": "{mean} / {p90}"},
    "unit_hours": {"zh": "小时", "en": "hours"},
    "unit_days": {"zh": "天", "en": "days"},
    "stages_heading": {"zh": "危旧房治理进度", "en": "Dilapidated-house repair stages"},
    "chart_stages": {"zh": "危旧房治理各阶段户数", "en": "Houses per repair stage"},
    "chart_stages_desc": {
        "zh": "横条为处于各阶段的户数。{rows}",
        "en": "Bars show the houses at each stage. {rows}",
    },
    "stages_note": {
        "zh": "当前各阶段户数（不受统计期间影响）。",
        "en": "Houses at each stage now (whatever the period).",
    },
    "stage_under_governance": {"zh": "纳入治理", "en": "Under governance"},
    "stage_design": {"zh": "设计中", "en": "In design"},
    "stage_repairing": {"zh": "修缮中", "en": "Repairing"},
    "stage_repaired": {"zh": "已修缮", "en": "Repaired"},
    "stage_acceptance_passed": {"zh": "已通过验收", "en": "Passed acceptance"},
    "stage_expropriated": {"zh": "征收拆除", "en": "Expropriated and demolished"},
    "meetings_heading": {"zh": "议事活动", "en": "Meetings and activities"},
    "linked_cases": {"zh": "涉及意见建议", "en": "Cases raised or discussed"},
    "meetings_held": {"zh": "议事会", "en": "Deliberation meetings"},
    "activities_held": {"zh": "主题活动", "en": "Themed activities"},
    "attendance": {"zh": "参加人次", "en": "Attendance"},
    # Tables
    "col_station": {"zh": "联络站", "en": "Station"},
    "col_category": {"zh": "类别", "en": "Category"},
    "col_count": {"zh": "件数", "en": "Cases"},
    "col_rate": {"zh": "比率", "en": "Rate"},
    "col_low": {"zh": "下限", "en": "Low"},
    "col_high": {"zh": "上限", "en": "High"},
    "col_sample": {"zh": "样本", "en": "Sample"},
    "col_stage": {"zh": "阶段", "en": "Stage"},
    "col_mean": {"zh": "平均", "en": "Mean"},
    "col_p90": {"zh": "90% 之内", "en": "90% within"},
    "col_answered": {"zh": "已答复件数", "en": "Answered"},
    "col_period": {"zh": "期间", "en": "Period"},
    "stations_heading": {"zh": "各站数据", "en": "Figures by station"},
    "no_figures": {
        "zh": "这一期间还没有统计数据。",
        "en": "No figures for this period yet.",
    },
    # Rankings
    "rankings_heading": {"zh": "排名", "en": "Rankings"},
    "rankings_note": {
        "zh": "按 95% 置信区间下限排名，样本少的站不因运气靠前；样本不足 {n} 件的站不参与排名。",
        "en": "Ranked by the lower bound of the 95% interval, so a small sample cannot win on "
        "luck; stations with fewer than {n} cases are not ranked.",
    },
    "ranking_completion": {"zh": "办结率排名", "en": "Completion ranking"},
    "ranking_satisfaction": {"zh": "满意度排名", "en": "Satisfaction ranking"},
    "col_rank": {"zh": "名次", "en": "Rank"},
    "not_ranked": {
        "zh": "不参与排名：样本不足 {n} 件",
        "en": "Not ranked: sample below {n}",
    },
    "nobody_ranked": {"zh": "暂无可排名的联络站。", "en": "No station has enough cases yet."},
    # Exports
    "exports_heading": {"zh": "导出", "en": "Export"},
    "export_csv": {"zh": "导出 CSV", "en": "Download CSV"},
    "export_xlsx": {"zh": "导出 Excel", "en": "Download Excel"},
    "exports_note": {
        "zh": "导出文件包含所选期间各站的全部数字，与本页一致。",
        "en": "The files hold every station's figures for the chosen period, the same as "
        "this page.",
    },
    "public_page": {"zh": "公开数据", "en": "Public figures"},
    # A representative's duty record (履职档案)
    "record_heading": {"zh": "履职档案", "en": "Duty record"},
    "record_title": {"zh": "{name} 代表履职档案", "en": "Duty record of {name}"},
    "record_intro": {
        "zh": "该代表在所选期间收到、受理、答复意见建议的情况与群众满意度，可导出用于年度述职。",
        "en": "What this representative received, accepted and answered in the period, and how "
        "satisfied residents were; export it for the annual report to voters.",
    },
    "record_intro_public": {
        "zh": "该代表在所选期间收到、受理、答复意见建议的数量与群众满意度。"
        "数据只含统计数字，不含任何意见内容或个人信息。",
        "en": "How many opinions this representative received, accepted and answered in the "
        "period, and how satisfied residents were. Only counts: no case text, no personal data.",
    },
    "record_item": {"zh": "项目", "en": "Item"},
    "record_value": {"zh": "数值", "en": "Value"},
    "record_received": {"zh": "收到意见建议", "en": "Cases received"},
    "record_accepted": {"zh": "受理", "en": "Accepted"},
    "record_declined": {"zh": "不予受理（退回分派）", "en": "Declined (sent back to routing)"},
    "record_answered": {"zh": "已答复", "en": "Answered"},
    "record_time_to_respond": {"zh": "答复用时", "en": "Time to respond"},
    "record_times_words": {
        "zh": "中位数 {median}，90% 在 {p90} 内（{n} 件）",
        "en": "median {median}, 90% within {p90} (n={n})",
    },
    "record_followed_up": {"zh": "回访（工作人员记录）", "en": "Follow-up calls (by staff)"},
    "record_meetings": {"zh": "参加议事会", "en": "Deliberation meetings attended"},
    "record_activities": {"zh": "参加主题活动", "en": "Themed activities attended"},
    "record_suggestions": {"zh": "领衔提出代表建议", "en": "Formal suggestions led"},
    "record_cosigned": {"zh": "附议代表建议", "en": "Formal suggestions co-signed"},
    "record_withheld": {
        "zh": "评价少于 {n} 件，不公开满意度",
        "en": "Fewer than {n} ratings: not published",
    },
    "record_note": {
        "zh": "收到 = 首次分派及改派给该代表的件数；答复用时自提交（或重新办理）起算。"
        "满意度 =（满意 + 基本满意）÷ 评价数，括号内为样本量和 95% 置信区间（Wilson 法）。"
        "参加议事会、主题活动 = 记录中登记该代表参加的次数。",
        "en": "Received = cases first assigned or re-routed to this representative; time to "
        "respond counts from the submission (or the reopening). Satisfaction = (satisfied + "
        "basically satisfied) ÷ ratings, with the sample and its 95% Wilson interval. "
        "Meetings and activities attended = the records that name this representative.",
    },
    "record_note_public": {
        "zh": "评价少于 {n} 件时不公开满意度，以免推知个人评价。",
        "en": "With fewer than {n} ratings the satisfaction rate is not published, so that no "
        "one's own rating can be read from it.",
    },
    "record_public_link": {"zh": "公开履职档案", "en": "Public duty record"},
    "record_code": {"zh": "代表编号", "en": "Representative code"},
    "record_code_hint": {"zh": "如 0412", "en": "Like 0412"},
    "record_open": {"zh": "打开履职档案", "en": "Open the duty record"},
    "record_exports_note": {
        "zh": "导出文件与本页数字一致，可用于年度述职。",
        "en": "The files hold this page's numbers, for the annual report to voters.",
    },
    # Errors
    "not_found_title": {"zh": "页面不存在", "en": "Page not found"},
    "not_found_text": {
        "zh": "没有找到该代表，或您无权查看。",
        "en": "No such representative, or not one you may see.",
    },
    "not_for_you_record": {
        "zh": "履职档案仅向代表本人、联络站工作人员、督查人员和管理员开放。",
        "en": "Duty records are for the representative, station staff, supervisors and admins.",
    },
}

CATALOG = Catalog(STRINGS)
