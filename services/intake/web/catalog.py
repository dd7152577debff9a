"""Every string of the resident's pages, in Chinese (the default) and English."""

from __future__ import annotations

from collections.abc import Mapping

from services.intake.domain.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from services.intake.domain.photos import MAX_PIXELS
from services.intake.web.qr import LEVEL_LABELS
from shared.web.i18n import Catalog, Language

Strings = Mapping[str, Mapping[Language, str]]

_PHOTO_MIB = MAX_ATTACHMENT_BYTES // (1024 * 1024)
_PHOTO_MEGAPIXELS = MAX_PIXELS // 1_000_000


def _both(*, zh: str, en: str) -> dict[Language, str]:
    return {"zh": zh, "en": en}


_LEVELS_EN = {
    "national": "Deputy to the National People's Congress",
    "provincial": "Deputy to the provincial people's congress",
    "municipal": "Deputy to the municipal people's congress",
    "county": "Deputy to the county (city) people's congress",
}
LEVELS: Strings = {
    **{f"level.{level}": _both(zh=zh, en=_LEVELS_EN[level]) for level, zh in LEVEL_LABELS.items()},
    "level.other": {"zh": "人大代表", "en": "People's congress deputy"},
}

STATUSES: Strings = {
    "status.submitted": {"zh": "已提交", "en": "Submitted"},
    "status.assigned": {"zh": "已分派", "en": "Assigned"},
    "status.accepted": {"zh": "代表已受理", "en": "Accepted"},
    "status.in_review": {"zh": "审核中", "en": "In review"},
    "status.handling": {"zh": "办理中", "en": "Being handled"},
    "status.responded": {"zh": "已答复", "en": "Answered"},
    "status.closed": {"zh": "已办结", "en": "Closed"},
    "status.declined": {"zh": "重新分派中", "en": "Being reassigned"},
    "status.rejected": {"zh": "不予受理", "en": "Not accepted"},
    "status.merged": {"zh": "已合并办理", "en": "Merged with a similar case"},
    "status.transferred": {"zh": "已转交部门办理", "en": "Passed to a department"},
    "status.reopened": {"zh": "重新办理中", "en": "Reopened"},
    "status.escalated": {"zh": "督办中", "en": "Escalated"},
}

RATINGS: Strings = {
    "rating.satisfied": {"zh": "满意", "en": "Satisfied"},
    "rating.basically_satisfied": {"zh": "基本满意", "en": "Basically satisfied"},
    "rating.dissatisfied": {"zh": "不满意", "en": "Dissatisfied"},
}

FORM: Strings = {
    "home.title": {"zh": "向人大代表提意见建议", "en": "Raise a suggestion with your deputies"},
    "home.lead": {
        "zh": "在联络站扫描代表的二维码，或直接在这里填写。"
        "提交后会得到一个查询码，凭它查看办理进度。",
        "en": "Scan a deputy's QR code at the liaison station, or write here. You get a "
        "tracking code to follow how it is handled.",
    },
    "home.new": {"zh": "填写意见建议", "en": "Write a suggestion"},
    "home.track": {"zh": "查询办理进度", "en": "Follow a suggestion"},
    "form.title": {"zh": "提意见建议", "en": "Send a suggestion"},
    "form.to": {"zh": "您的意见建议将交给", "en": "Your suggestion goes to"},
    "form.to_station": {"zh": "联络站", "en": "Liaison station"},
    "form.duty_record": {"zh": "履职档案", "en": "Duty record"},
    "form.to_any": {
        "zh": "联络站会把您的意见建议分派给合适的人大代表。",
        "en": "The liaison station passes your suggestion to the right deputy.",
    },
    "form.category": {"zh": "反映什么方面的问题？", "en": "What is it about?"},
    "form.text": {"zh": "您的意见建议", "en": "Your suggestion"},
    "form.similar_title": {
        "zh": "附近已有相似的意见建议，如是同一件事，可以直接附议：",
        "en": "Similar suggestions are already open nearby; if it is the same matter, join one:",
    },
    "form.me_too": {"zh": "我也反映此事（附议）", "en": "Me too"},
    "form.me_too_counted": {
        "zh": "已附议，共 {n} 人反映此事。您也可以继续提交自己的意见建议。",
        "en": "Counted: {n} residents raised this. You can still submit your own.",
    },
    "form.supporters": {"zh": "{n} 人附议", "en": '{n} said "me too"'},
    "form.check_similar": {
        "zh": "先看看有没有相似的意见建议",
        "en": "Check for similar cases first",
    },
    "form.similar_none": {
        "zh": "附近暂时没有相似的在办意见建议，您可以直接提交。",
        "en": "No similar open case nearby: you can submit yours.",
    },
    "form.similar_private": {
        "zh": "（反映人未同意公开内容）",
        "en": "(its resident did not agree to publish the text)",
    },
    "form.text_hint": {
        "zh": "请写清楚事情和地点，5 到 5000 字。",
        "en": "Say what and where, 5 to 5000 characters.",
    },
    "form.counter": {"zh": "已输入 {n} / 5000 字", "en": "{n} / 5000 characters"},
    "form.photos": {"zh": "照片（可选）", "en": "Photos (optional)"},
    "form.photos_hint": {
        "zh": f"可直接拍照，最多 {MAX_ATTACHMENTS} 张，JPEG、PNG 或 WebP，"
        f"每张不超过 {_PHOTO_MIB} MB。",
        "en": f"Take them with your camera: up to {MAX_ATTACHMENTS}, JPEG, PNG or WebP, "
        f"at most {_PHOTO_MIB} MB each.",
    },
    "form.photos_again": {
        "zh": "出于安全原因，照片需要重新选择。",
        "en": "For your safety, please choose the photos again.",
    },
    "form.photo_preview": {"zh": "照片预览 {n}", "en": "Photo preview {n}"},
    "form.liaison_point": {"zh": "所在联络点（可选）", "en": "Liaison point (optional)"},
    "form.liaison_point_hint": {
        "zh": "选择问题所在社区或村的人大联络点，便于交给附近的代表，也能找到附近相似的意见建议。"
        "不清楚可以不选。",
        "en": "Choose the liaison point of the community or village where it is, so it goes "
        "to the deputies nearby and similar cases nearby can be found. Leave it if unsure.",
    },
    "form.liaison_point_any": {
        "zh": "不确定，由平台分派",
        "en": "Not sure: let the platform decide",
    },
    "form.place": {"zh": "地点（可选）", "en": "Place (optional)"},
    "form.place_hint": {
        "zh": "例如：白云社区 3 幢楼下",
        "en": "For example: outside building 3, Baiyun community",
    },
    "form.locate": {"zh": "使用我的当前位置", "en": "Use my location"},
    "form.locating": {"zh": "正在获取位置…", "en": "Finding your location…"},
    "form.located": {"zh": "已记录位置：{lat}, {lon}", "en": "Location recorded: {lat}, {lon}"},
    "form.locate_failed": {
        "zh": "无法获取位置，请在上面填写地点。",
        "en": "Your location is not available; please describe the place above.",
    },
    "form.locate_clear": {"zh": "不使用位置", "en": "Remove location"},
    "form.contact": {"zh": "联系方式（可选）", "en": "Contact details (optional)"},
    "form.contact_hint": {
        "zh": "留下电话或邮箱，联络站可以向您了解情况、告诉您结果。也可以不留，凭查询码查看进度。",
        "en": "Leave a phone number or an email so the station can ask you questions and tell "
        "you the result. Or leave none and follow it with the tracking code.",
    },
    "form.contact_name": {"zh": "称呼", "en": "Name"},
    "form.contact_phone": {"zh": "手机号码", "en": "Phone"},
    "form.contact_email": {"zh": "电子邮箱", "en": "Email"},
    "form.consent": {
        "zh": "我同意联络站为办理这件意见建议使用我留下的联系方式。"
        "联系方式只保存在本平台，不会公开。",
        "en": "I agree that the liaison station uses my contact details to handle this "
        "suggestion. They are kept on this platform only and never published.",
    },
    "form.publish": {"zh": "公开（可选）", "en": "Publishing (optional)"},
    "form.may_publish": {
        "zh": "我同意公开这条意见建议",
        "en": "I agree that this suggestion may be published",
    },
    "form.may_publish_hint": {
        "zh": "勾选后，这条意见建议的文字和大致位置（约 100 米范围）可以在网上公开，"
        "让大家看到反映了什么、办得怎么样。公开前会去掉文字里的电话号码、身份证号、"
        "电子邮箱和车牌号；您填写的地点和联系方式不会公开。不勾选就不公开，办理不受影响。",
        "en": "If you tick this, the text of your suggestion and its approximate location "
        "(to about 100 m) may be shown publicly, so others can see what was raised and how it "
        "was handled. Phone numbers, ID numbers, emails and number plates are removed from "
        "the text first; the place you typed and your contact details are never shown. If you "
        "leave it unticked, nothing is published and your suggestion is handled the same way.",
    },
    "form.submit": {"zh": "提交", "en": "Submit"},
    "form.privacy": {
        "zh": "可以匿名提交。请不要在意见建议里写身份证号等敏感信息。",
        "en": "You may stay anonymous. Please do not write ID numbers or other sensitive "
        "data in the text.",
    },
    "form.unavailable": {
        "zh": "暂时无法提交：系统正在加载意见类别，请稍后再试。",
        "en": "Submitting is not possible right now: the categories are still loading. "
        "Please try again shortly.",
    },
    "errors.title": {"zh": "请修改以下问题", "en": "Please fix the following"},
}

ERRORS: Strings = {
    "error.category": {"zh": "请选择一个类别", "en": "Choose a category"},
    "error.category.unknown_reference": {
        "zh": "这个类别已停用，请重新选择",
        "en": "That category is no longer in use; choose another",
    },
    "error.text": {"zh": "请写 5 到 5000 字", "en": "Write 5 to 5000 characters"},
    "error.text.string_too_short": {
        "zh": "请至少写 5 个字",
        "en": "Write at least 5 characters",
    },
    "error.text.missing": {"zh": "请写下您的意见建议", "en": "Write your suggestion"},
    "error.text.string_too_long": {"zh": "最多 5000 字", "en": "At most 5000 characters"},
    "error.photos": {
        "zh": f"照片不能使用：只接受 JPEG、PNG 或 WebP 图片，每张不超过 {_PHOTO_MIB} MB",
        "en": f"A photo cannot be used: only JPEG, PNG or WebP images of at most "
        f"{_PHOTO_MIB} MB each",
    },
    "error.photos.one": {
        "zh": f"第 {{n}} 张照片不能使用：只接受 JPEG、PNG 或 WebP 图片，每张不超过 {_PHOTO_MIB} MB",
        "en": f"Photo {{n}} cannot be used: only JPEG, PNG or WebP images of at most "
        f"{_PHOTO_MIB} MB each",
    },
    "error.photos.smaller": {
        "zh": f"第 {{n}} 张照片太大（最多 {_PHOTO_MEGAPIXELS * 100} 万像素），请换一张较小的照片",
        "en": f"Photo {{n}} is too large (at most {_PHOTO_MEGAPIXELS} megapixels); "
        "choose a smaller one",
    },
    "error.photos.unreadable": {
        "zh": "第 {n} 张照片无法打开（文件可能已损坏），请换一张",
        "en": "Photo {n} cannot be opened (the file may be damaged); choose another",
    },
    "error.photos.too_long": {
        "zh": f"最多 {MAX_ATTACHMENTS} 张照片",
        "en": f"At most {MAX_ATTACHMENTS} photos",
    },
    "error.liaison_point_id": {
        "zh": "请从列表中选择联络点，或选「不确定，由平台分派」",
        "en": 'Choose a liaison point from the list, or "Not sure"',
    },
    "error.liaison_point_id.unknown_reference": {
        "zh": "这个联络点不存在或已停用，请重新选择，或选「不确定，由平台分派」",
        "en": "That liaison point does not exist or is no longer in use; choose another, "
        'or "Not sure"',
    },
    "error.place": {"zh": "地点最多 200 字", "en": "At most 200 characters"},
    "error.location": {
        "zh": "无法使用这个位置，请改为填写地点",
        "en": "This location cannot be used; describe the place instead",
    },
    "error.contact_name": {"zh": "称呼最多 64 字", "en": "At most 64 characters"},
    "error.contact_phone": {
        "zh": "请填写正确的电话号码（数字，可带 +、空格或短横线）",
        "en": "Enter a valid phone number (digits, optionally with +, spaces or dashes)",
    },
    "error.contact_phone.reachable": {
        "zh": "请留下电话或邮箱，或者不填联系方式",
        "en": "Leave a phone number or an email, or no contact details at all",
    },
    "error.contact_email": {
        "zh": "请填写正确的电子邮箱，例如 name@example.cn",
        "en": "Enter a valid email address, like name@example.cn",
    },
    "error.consent": {
        "zh": "留下联系方式时，请勾选同意",
        "en": "Tick the box to agree, or leave no contact details",
    },
    "error.form": {
        "zh": "提交未成功，请检查后重试",
        "en": "This could not be sent; please check and try again",
    },
    "error.form.representative": {
        "zh": "这位代表目前不接收意见建议，请联系联络站",
        "en": "This deputy is not taking suggestions right now; please contact the station",
    },
    "error.form.resubmitted": {
        "zh": "这份表单已经提交过。如果要再提一条新的意见建议，请再点一次「提交」。",
        "en": "This form was already sent. To send another suggestion, press Submit again.",
    },
    "error.form.me_too_unknown": {
        "zh": "没有找到这条意见建议，请重新查看相似的意见建议。",
        "en": "That case was not found: check for similar cases again.",
    },
    "error.form.me_too_closed": {
        "zh": "这条意见建议已经办结或合并，不能再附议。您可以提交自己的意见建议。",
        "en": "That case is closed or merged and cannot be joined. You can submit your own.",
    },
    "error.rating": {"zh": "请选择满意程度", "en": "Choose how satisfied you are"},
    "error.comment": {"zh": "补充说明最多 500 字", "en": "At most 500 characters"},
    "error.reason": {
        "zh": "请写明原因，5 到 1000 字",
        "en": "Give a reason of 5 to 1000 characters",
    },
    "error.reply": {
        "zh": "请写下回复，最多 2000 字",
        "en": "Write a reply of at most 2000 characters",
    },
    "error.code": {
        "zh": "查询码格式不对：以 MY- 开头，后面是 26 个字母或数字",
        "en": "That is not a tracking code: MY- followed by 26 letters or digits",
    },
}

TRACKING: Strings = {
    "track.title": {"zh": "办理进度", "en": "Progress"},
    "track.lookup_title": {"zh": "查询办理进度", "en": "Follow your suggestion"},
    "track.code": {"zh": "查询码", "en": "Tracking code"},
    "track.code_hint": {
        "zh": "提交后得到的查询码，例如 MY-2R6Q473PW3SMKC6JENT12PA7AM（大小写、空格不限）",
        "en": "The code you got when you submitted, e.g. MY-2R6Q473PW3SMKC6JENT12PA7AM "
        "(any case, spaces allowed)",
    },
    "track.lookup": {"zh": "查询", "en": "Look up"},
    "track.not_found_title": {"zh": "没有找到这件意见建议", "en": "No suggestion found"},
    "track.not_found": {
        "zh": "没有意见建议使用这个查询码。请检查后重新输入。",
        "en": "No suggestion has this tracking code. Please check it and try again.",
    },
    "confirm.title": {"zh": "提交成功", "en": "Sent"},
    "confirm.lead": {
        "zh": "您的意见建议已收到。请保存下面的查询码，凭它查看办理进度。",
        "en": "Your suggestion has been received. Keep the tracking code below to follow it.",
    },
    "confirm.qr_alt": {
        "zh": "本页的二维码，扫描可再次打开办理进度",
        "en": "QR code of this page: scan it to open the progress again",
    },
    "confirm.qr_hint": {
        "zh": "可截图保存，或用手机扫描二维码收藏本页。",
        "en": "Take a screenshot, or scan the QR code to keep this page.",
    },
    "confirm.next": {"zh": "接下来会怎样", "en": "What happens next"},
    "confirm.step1": {
        "zh": "联络站把意见建议分派给人大代表（通常几分钟内）。",
        "en": "The liaison station passes it to a deputy (usually within minutes).",
    },
    "confirm.step2": {
        "zh": "代表受理后，联络站审核并办理，必要时转交有关部门。",
        "en": "Once the deputy accepts it, the station reviews and handles it, or passes it to "
        "a department.",
    },
    "confirm.step3": {
        "zh": "办理完成后，答复会显示在本页，您可以评价是否满意。",
        "en": "The answer appears on this page, and you can say whether you are satisfied.",
    },
    "track.status": {"zh": "当前状态", "en": "Status"},
    "track.category": {"zh": "类别", "en": "Category"},
    "track.submitted_at": {"zh": "提交时间", "en": "Submitted"},
    "track.station": {"zh": "联络站", "en": "Liaison station"},
    "track.representative": {"zh": "代表", "en": "Deputy"},
    "track.not_yet": {"zh": "分派中", "en": "Being assigned"},
    "track.your_text": {"zh": "您的意见建议", "en": "Your suggestion"},
    "track.photos": {"zh": "照片", "en": "Photos"},
    "track.photo": {"zh": "照片 {n}", "en": "Photo {n}"},
    "track.response": {"zh": "答复", "en": "Answer"},
    "track.rejection": {"zh": "不予受理的原因", "en": "Why it was not accepted"},
    "track.supporters": {"zh": "附议人数", "en": 'Residents who said "me too"'},
    "track.merged": {
        "zh": "您的意见建议已与反映同一事项的意见建议合并办理，"
        "以下是该件的办理进度和答复，您可以对答复进行评价。",
        "en": "Your suggestion was merged with another about the same matter: below are its "
        "progress and answer, which you can rate.",
    },
    "track.merged_status": {"zh": "合并办理件状态", "en": "Status of the merged case"},
    "track.timeline": {"zh": "办理经过", "en": "What has happened"},
    "track.messages": {"zh": "与联络站的沟通", "en": "Messages with the station"},
    "track.from_station": {"zh": "联络站", "en": "Station"},
    "track.from_resident": {"zh": "我", "en": "Me"},
    "track.reply": {"zh": "回复联络站", "en": "Reply to the station"},
    "track.reply_label": {"zh": "您的回复", "en": "Your reply"},
    "track.reply_submit": {"zh": "发送回复", "en": "Send reply"},
    "track.rating": {"zh": "您的评价", "en": "Your rating"},
    "rate.title": {"zh": "评价办理结果", "en": "Rate the answer"},
    "rate.legend": {"zh": "您对答复满意吗？", "en": "Are you satisfied with the answer?"},
    "rate.comment": {"zh": "补充说明（可选）", "en": "Comment (optional)"},
    "rate.comment_hint": {"zh": "最多 500 字", "en": "At most 500 characters"},
    "rate.submit": {"zh": "提交评价", "en": "Send rating"},
    "reopen.title": {"zh": "申请重新办理", "en": "Ask for it to be handled again"},
    "reopen.lead": {
        "zh": "对答复不满意，可以在答复后 15 天内申请重新办理一次。",
        "en": "Not satisfied? Within 15 days of the answer you may ask once for the case to be "
        "handled again.",
    },
    "reopen.reason": {"zh": "重新办理的理由", "en": "Why it should be handled again"},
    "reopen.reason_hint": {"zh": "5 到 1000 字", "en": "5 to 1000 characters"},
    "reopen.submit": {"zh": "申请重新办理", "en": "Ask again"},
    "done.rated": {"zh": "感谢您的评价。", "en": "Thank you for your rating."},
    "done.reopened": {
        "zh": "已申请重新办理，联络站会再次处理。",
        "en": "Your request was sent: the station will handle the case again.",
    },
    "done.replied": {"zh": "回复已发送给联络站。", "en": "Your reply was sent to the station."},
    "refused": {
        "zh": "这项操作现在不能进行（办理状态可能刚刚变化）。本页显示的是最新情况。",
        "en": "That is not possible now (the case may just have changed). This page shows the "
        "latest state.",
    },
}

PROBLEMS: Strings = {
    "not_found.title": {"zh": "页面不存在", "en": "Page not found"},
    "not_found.representative": {
        "zh": "没有找到这位代表。二维码可能已经失效，请向联络站工作人员咨询，或直接填写意见建议。",
        "en": "This deputy was not found. The QR code may be out of date: ask the station's "
        "staff, or write your suggestion here.",
    },
    "busy.title": {"zh": "请稍后再试", "en": "Please wait a moment"},
    "busy.lead": {
        "zh": "提交太频繁了，请等 {seconds} 秒后再试。",
        "en": "Too many requests from your connection: please try again in {seconds} seconds.",
    },
}

CATALOG = Catalog(LEVELS, STATUSES, RATINGS, FORM, ERRORS, TRACKING, PROBLEMS)
