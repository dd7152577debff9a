"""Every string of the staff workbench, in Chinese and English."""

from __future__ import annotations

from collections.abc import Mapping

from shared.web.i18n import Catalog, Language

Strings = Mapping[str, Mapping[Language, str]]

_CHROME: Strings = {
    "workbench": {"zh": "工作台", "en": "Workbench"},
    "nav_label": {"zh": "工作台导航", "en": "Workbench"},
    "nav_queue": {"zh": "案件队列", "en": "Cases"},
    "nav_inbox": {"zh": "收件箱", "en": "Inbox"},
    "nav_unread": {"zh": "（{n} 条未读）", "en": " ({n} unread)"},
    "nav_admin": {"zh": "目录管理", "en": "Directory"},
    "sign_out": {"zh": "退出登录", "en": "Sign out"},
    "signed_in_as": {"zh": "当前用户：{name}", "en": "Signed in as {name}"},
    "errors_title": {"zh": "请修改以下问题", "en": "Please fix the following"},
    "not_found_title": {"zh": "找不到该页面", "en": "Not found"},
    "not_found_body": {
        "zh": "没有这个案件或条目，或者您无权查看。",
        "en": "There is no such case or entry, or you may not see it.",
    },
    "forbidden_title": {"zh": "无权访问", "en": "Not allowed"},
    "forbidden_body": {
        "zh": "您的账号无权打开此页面。",
        "en": "Your account may not open this page.",
    },
    "back_to_queue": {"zh": "返回案件队列", "en": "Back to the cases"},
    "csrf_failed": {
        "zh": "页面已过期，请刷新后重试。",
        "en": "The page has expired; reload it and try again.",
    },
    "none": {"zh": "无", "en": "None"},
}

_SIGN_IN: Strings = {
    "sign_in_title": {"zh": "工作人员登录", "en": "Staff sign-in"},
    "sign_in_intro": {
        "zh": "代表、联络站工作人员、部门经办人和管理员使用账号密码登录。",
        "en": "Representatives, station staff, department handlers and admins sign in here.",
    },
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "wrong_credentials": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "sign_in_throttled": {
        "zh": "登录失败次数过多，请 {seconds} 秒后再试。",
        "en": "Too many failed sign-ins. Please try again in {seconds} seconds.",
    },
    "signed_out": {"zh": "您已退出登录。", "en": "You are signed out."},
    "session_needed": {"zh": "请先登录。", "en": "Please sign in first."},
}

_QUEUE: Strings = {
    "queue_title_mine": {"zh": "我的案件", "en": "My cases"},
    "queue_title_department": {"zh": "本部门的案件", "en": "My department's cases"},
    "queue_title_station": {"zh": "本联络站的案件", "en": "My station's cases"},
    "queue_title_all": {"zh": "全市案件", "en": "All cases"},
    "filters": {"zh": "筛选", "en": "Filters"},
    "filter_status": {"zh": "状态", "en": "Status"},
    "filter_category": {"zh": "类别", "en": "Category"},
    "filter_overdue": {"zh": "只看超期", "en": "Overdue only"},
    "filter_apply": {"zh": "筛选", "en": "Apply"},
    "status_open": {"zh": "待处理（全部未结）", "en": "Open (not finished)"},
    "status_any": {"zh": "全部状态", "en": "Any status"},
    "category_any": {"zh": "全部类别", "en": "Any category"},
    "queue_count": {"zh": "共 {n} 件", "en": "{n} cases"},
    "queue_empty": {"zh": "没有符合条件的案件。", "en": "No cases match."},
    "queue_capped": {
        "zh": "只列出最近更新的 {n} 件；请用筛选缩小范围。",
        "en": "Only the {n} most recently changed are listed; narrow the filters.",
    },
    "col_case": {"zh": "案件", "en": "Case"},
    "case_link": {"zh": "案件 {id}", "en": "Case {id}"},
    "deadline_accept": {"zh": "受理期限", "en": "Accept by"},
    "deadline_respond": {"zh": "答复期限", "en": "Respond by"},
    "overdue": {"zh": "已超期", "en": "Overdue"},
    "overdue_accept": {"zh": "受理已超期", "en": "Acceptance overdue"},
    "overdue_respond": {"zh": "答复已超期", "en": "Response overdue"},
    "paging": {"zh": "分页", "en": "Pages"},
    "page_of": {"zh": "第 {page} / {pages} 页", "en": "Page {page} of {pages}"},
    "page_prev": {"zh": "上一页", "en": "Previous"},
    "page_next": {"zh": "下一页", "en": "Next"},
    "filter_station": {"zh": "联络站", "en": "Station"},
    "station_any": {"zh": "全部联络站", "en": "Any station"},
    "filter_representative": {"zh": "代表（姓名或编号）", "en": "Representative (name or code)"},
    "representative_unknown": {
        "zh": "没有姓名或编号符合“{text}”的代表。",
        "en": "No representative's name or code matches “{text}”.",
    },
}

_STATUS: Strings = {
    "status_assigned": {"zh": "待受理", "en": "Assigned"},
    "status_accepted": {"zh": "已受理", "en": "Accepted"},
    "status_in_review": {"zh": "审核中", "en": "In review"},
    "status_handling": {"zh": "办理中", "en": "Handling"},
    "status_transferred": {"zh": "已转办", "en": "Transferred"},
    "status_responded": {"zh": "已答复", "en": "Responded"},
    "status_closed": {"zh": "已办结", "en": "Closed"},
    "status_rejected": {"zh": "不予受理", "en": "Rejected"},
    "status_merged": {"zh": "已合并", "en": "Merged"},
    "status_reopened": {"zh": "已重启", "en": "Reopened"},
    "status_submitted": {"zh": "已提交", "en": "Submitted"},
}

_CASE: Strings = {
    "case_title": {"zh": "案件 {id}", "en": "Case {id}"},
    "resident_text": {"zh": "居民的意见建议", "en": "What the resident wrote"},
    "details": {"zh": "基本信息", "en": "Details"},
    "category": {"zh": "类别", "en": "Category"},
    "status": {"zh": "状态", "en": "Status"},
    "station": {"zh": "联络站", "en": "Station"},
    "representative": {"zh": "代表", "en": "Representative"},
    "station_queue": {"zh": "联络站队列（未指定代表）", "en": "Station queue (no representative)"},
    "department": {"zh": "承办部门", "en": "Department"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "submitted_at": {"zh": "提交时间", "en": "Submitted"},
    "routing_reason": {"zh": "分派原因", "en": "Why it was routed here"},
    "attachments": {"zh": "照片", "en": "Photos"},
    "attachment_n": {"zh": "照片 {n}", "en": "Photo {n}"},
    "no_attachments": {"zh": "没有照片。", "en": "No photos."},
    "audit": {"zh": "处理记录", "en": "History"},
    "audit_by": {"zh": "{who}：{action}", "en": "{who}: {action}"},
    "audit_system": {"zh": "系统", "en": "System"},
    "audit_resident": {"zh": "居民", "en": "Resident"},
    "messages": {"zh": "与居民的沟通", "en": "Messages with the resident"},
    "message_station": {"zh": "联络站", "en": "Station"},
    "message_resident": {"zh": "居民", "en": "Resident"},
    "actions": {"zh": "可执行的操作", "en": "What you can do"},
    "no_actions": {
        "zh": "您现在不能对此案件执行操作。",
        "en": "There is nothing you can do on this case now.",
    },
    "action_done": {"zh": "已完成：{action}。", "en": "Done: {action}."},
    "action_conflict": {
        "zh": "无法执行：案件当前为“{status}”状态。",
        "en": "Not possible: the case is now “{status}”.",
    },
    "action_stale": {
        "zh": "案件已被他人更新，请查看最新内容后重试。",
        "en": "Someone changed the case meanwhile; check it and try again.",
    },
    "rating": {"zh": "居民评价", "en": "Resident's rating"},
    "rating_satisfied": {"zh": "满意", "en": "Satisfied"},
    "rating_basically_satisfied": {"zh": "基本满意", "en": "Basically satisfied"},
    "rating_dissatisfied": {"zh": "不满意", "en": "Dissatisfied"},
}

_ACTIONS: Strings = {
    "action_accept": {"zh": "受理", "en": "Accept"},
    "action_decline": {"zh": "退回重新分派", "en": "Decline"},
    "action_begin_review": {"zh": "开始审核", "en": "Start review"},
    "action_approve": {"zh": "审核通过", "en": "Approve"},
    "action_reject": {"zh": "不予受理", "en": "Reject"},
    "action_merge": {"zh": "合并为重复件", "en": "Merge as duplicate"},
    "action_transfer": {"zh": "转交部门", "en": "Transfer to a department"},
    "action_progress": {"zh": "记录进展", "en": "Record progress"},
    "action_respond": {"zh": "答复居民", "en": "Respond"},
    "action_close": {"zh": "办结", "en": "Close"},
    "action_reassign": {"zh": "改派", "en": "Reassign"},
    "action_assign": {"zh": "分派", "en": "Assigned"},
    "action_rate": {"zh": "评价", "en": "Rated"},
    "action_reopen": {"zh": "重启", "en": "Reopened"},
    "action_escalate": {"zh": "超期提醒", "en": "Escalated"},
    "action_answer": {"zh": "居民回复", "en": "Resident answered"},
    "action_ask_resident": {"zh": "向居民提问", "en": "Asked the resident"},
    "action_change_stage": {"zh": "更新阶段", "en": "Stage changed"},
    "field_reason": {"zh": "理由", "en": "Reason"},
    "field_reject_reason": {
        "zh": "不予受理的理由（居民可见）",
        "en": "Reason (the resident reads it)",
    },
    "field_into_case_id": {"zh": "合并到的案件编号", "en": "Merge into case id"},
    "field_department_id": {"zh": "承办部门", "en": "Department"},
    "field_note": {"zh": "说明", "en": "Note"},
    "field_note_optional": {"zh": "说明（可不填）", "en": "Note (optional)"},
    "field_response": {"zh": "答复内容（居民可见）", "en": "Response (the resident reads it)"},
    "field_template_id": {"zh": "答复模板（可不选）", "en": "Template (optional)"},
    "field_representative_code": {"zh": "改派给", "en": "Reassign to"},
    "choose": {"zh": "请选择", "en": "Choose"},
    "representative_pick_hint": {
        "zh": "输入姓名或编号查找；留空则交回联络站队列",
        "en": "Type a name or code; leave empty for the station's queue",
    },
    "confirm_close": {"zh": "确定办结此案件？", "en": "Close this case?"},
    "action_return": {"zh": "退回重办", "en": "Return for redo"},
}

# Supervision (督办) and follow-up calls (回访) on the case page and in the queue.
_SUPERVISION: Strings = {
    "action_supervise": {"zh": "督办", "en": "Supervise"},
    "action_escalate_supervision": {"zh": "督办超期", "en": "Supervision overdue"},
    "action_follow_up": {"zh": "回访", "en": "Follow-up call"},
    "supervised": {"zh": "督办中", "en": "Supervised"},
    "supervisions": {"zh": "督办记录", "en": "Supervision"},
    "supervision_by": {"zh": "{by} 督办，限 {due} 前答复", "en": "By {by}, answer by {due}"},
    "outcome_met": {"zh": "按期答复", "en": "Answered in time"},
    "outcome_missed": {"zh": "逾期", "en": "Missed"},
    "outcome_pending": {"zh": "办理中", "en": "Pending"},
    "field_supervise_reason": {"zh": "督办事由", "en": "Why"},
    "field_deadline": {"zh": "答复期限", "en": "Answer by"},
    "follow_ups": {"zh": "回访记录", "en": "Follow-up calls"},
    "follow_up_marked": {
        "zh": "回访评价（{channel}，{by} 记录）：{rating}",
        "en": "Follow-up rating ({channel}, recorded by {by}): {rating}",
    },
    "field_rating": {"zh": "居民的评价", "en": "The resident's rating"},
    "field_channel": {"zh": "回访方式", "en": "How"},
    "channel_phone": {"zh": "电话回访", "en": "By phone"},
    "channel_in_person": {"zh": "当面回访", "en": "In person"},
    "field_comment": {"zh": "居民意见（可不填）", "en": "What they said (optional)"},
}

_INBOX: Strings = {
    "inbox_title": {"zh": "收件箱", "en": "Inbox"},
    "inbox_empty": {"zh": "没有消息。", "en": "No messages."},
    "inbox_unavailable": {
        "zh": "消息服务暂时无法连接，请稍后再试。案件处理不受影响。",
        "en": "The message service cannot be reached now; try again later. Cases are unaffected.",
    },
    "inbox_none_for_role": {
        "zh": "您的账号没有收件箱。",
        "en": "Your account has no inbox.",
    },
    "mark_read": {"zh": "标为已读", "en": "Mark read"},
    "unread": {"zh": "未读", "en": "Unread"},
    "urgent": {"zh": "紧急", "en": "Urgent"},
    "open_case": {"zh": "查看案件", "en": "Open the case"},
    "marked_read": {"zh": "已标为已读。", "en": "Marked read."},
}

_ADMIN: Strings = {
    "admin_title": {"zh": "目录管理", "en": "Directory"},
    "admin_intro": {
        "zh": "条目只能停用，不能删除：案件会一直引用它们。",
        "en": "Entries are deactivated, never deleted: cases refer to them for ever.",
    },
    "stations": {"zh": "联络站", "en": "Stations"},
    "representatives": {"zh": "代表", "en": "Representatives"},
    "categories": {"zh": "类别", "en": "Categories"},
    "departments": {"zh": "部门", "en": "Departments"},
    "add_representative": {"zh": "新增代表", "en": "Add a representative"},
    "add_category": {"zh": "新增类别", "en": "Add a category"},
    "edit": {"zh": "编辑", "en": "Edit"},
    "edit_named": {"zh": "编辑 {name}", "en": "Edit {name}"},
    "save": {"zh": "保存", "en": "Save"},
    "saved": {"zh": "已保存：{name}。", "en": "Saved: {name}."},
    "active": {"zh": "启用", "en": "Active"},
    "inactive": {"zh": "已停用", "en": "Inactive"},
    "code": {"zh": "编号", "en": "Code"},
    "name": {"zh": "名称", "en": "Name"},
    "name_zh": {"zh": "中文名称", "en": "Name (Chinese)"},
    "name_en": {"zh": "英文名称", "en": "Name (English)"},
    "level": {"zh": "代表层级", "en": "Level"},
    "level_national": {"zh": "全国", "en": "National"},
    "level_provincial": {"zh": "省级", "en": "Provincial"},
    "level_municipal": {"zh": "市级", "en": "Municipal"},
    "level_county": {"zh": "县级", "en": "County"},
    "points": {"zh": "联络点", "en": "Liaison points"},
    "specialties": {"zh": "擅长领域", "en": "Specialties"},
    "hall": {"zh": "议事厅", "en": "Hall"},
    "sla_accept_days": {"zh": "受理时限（工作日，可不填）", "en": "Days to accept (optional)"},
    "sla_respond_days": {"zh": "答复时限（工作日，可不填）", "en": "Days to respond (optional)"},
    "code_hint_rep": {"zh": "2–16 位字母或数字", "en": "2–16 letters or digits"},
    "search_reps": {"zh": "按姓名或编号查找", "en": "Find by name or code"},
    "search": {"zh": "查找", "en": "Search"},
    "reps_count": {"zh": "共 {n} 名代表", "en": "{n} representatives"},
    "reps_none": {"zh": "没有符合条件的代表。", "en": "No representative matches."},
    "code_hint_category": {
        "zh": "小写字母、数字或下划线",
        "en": "Lower-case letters, digits or underscores",
    },
    "directory_missing": {
        "zh": "目录尚未导入（运行 seed-demo 或 import）。",
        "en": "No directory yet (run seed-demo or import).",
    },
}

_FIELD_ERRORS: Strings = {
    "err_required": {"zh": "此项必填。", "en": "This is required."},
    "err_too_short": {"zh": "至少 {n} 个字。", "en": "At least {n} characters."},
    "err_too_long": {"zh": "最多 {n} 个字。", "en": "At most {n} characters."},
    "err_pattern": {"zh": "格式不正确。", "en": "The format is not right."},
    "err_number": {"zh": "请填写整数。", "en": "Enter a whole number."},
    "err_range": {"zh": "超出允许范围。", "en": "Out of the allowed range."},
    "err_choice": {"zh": "请从列表中选择。", "en": "Choose from the list."},
    "err_other": {"zh": "此项不正确：{msg}", "en": "Not valid: {msg}"},
}

CATALOG = Catalog(
    _CHROME,
    _SIGN_IN,
    _QUEUE,
    _STATUS,
    _CASE,
    _ACTIONS,
    _SUPERVISION,
    _INBOX,
    _ADMIN,
    _FIELD_ERRORS,
)
