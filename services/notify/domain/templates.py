"""The words each audience reads, per event, in Chinese (default) and English. Pure.

Templates are data: `(template_key, language) -> (title, body)` Jinja2 sources, rendered in a
sandboxed environment (no attribute access to internals, no imports: a template cannot run
code) with `StrictUndefined` (a placeholder the event does not supply is an error naming every
missing field, never a blank). Titles and bodies are plain text; the HTML part of an email is
the email sender's (`adapters/email_sender.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

from jinja2 import StrictUndefined, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"

TEMPLATES: Mapping[tuple[str, Language], tuple[str, str]] = {
    ("case.assigned:representative", "zh"): (
        "新的意见建议（{{ category }}）",
        "一件新的意见建议已分派给您，请及时受理。分派原因：{{ reason }}",
    ),
    ("case.assigned:representative", "en"): (
        "New opinion ({{ category }})",
        "A new opinion has been assigned to you; please accept it promptly. Reason: {{ reason }}",
    ),
    ("case.assigned:station", "zh"): (
        "新的意见建议（{{ category }}）",
        "一件新的意见建议已分派给{{ station_name }}，请及时受理。分派原因：{{ reason }}",
    ),
    ("case.assigned:station", "en"): (
        "New opinion ({{ category }})",
        "A new opinion has been assigned to {{ station_name }}; please accept it promptly. "
        "Reason: {{ reason }}",
    ),
    ("case.accepted:case", "zh"): (
        "您的意见建议已受理",
        "人大代表已受理您的意见建议，联络站将尽快办理并向您反馈。",
    ),
    ("case.accepted:case", "en"): (
        "Your opinion has been accepted",
        "A people's congress representative has accepted your opinion; the liaison station "
        "will handle it and report back to you.",
    ),
    ("case.rejected:case", "zh"): (
        "您的意见建议未予受理",
        "经联络站审核，您的意见建议未予受理。原因：{{ reason }}",
    ),
    ("case.rejected:case", "en"): (
        "Your opinion was not taken up",
        "After review, the liaison station did not take up your opinion. Reason: {{ reason }}",
    ),
    ("case.transferred:case", "zh"): (
        "您的意见建议已转交办理",
        "您的意见建议已转交{{ department_name }}办理，办理结果将及时反馈给您。",
    ),
    ("case.transferred:case", "en"): (
        "Your opinion has been passed on",
        "Your opinion has been passed to {{ department_name }} for handling; you will hear the "
        "result.",
    ),
    ("case.transferred:department", "zh"): (
        "新的转办意见建议",
        "联络站转来一件意见建议（编号 {{ case_id }}），请及时办理并记录办理结果。",
    ),
    ("case.transferred:department", "en"): (
        "A case transferred to {{ department_name }}",
        "The liaison station transferred case {{ case_id }} to you; please handle it and record "
        "the result.",
    ),
    ("case.responded:case", "zh"): (
        "您的意见建议已有答复",
        "{{ response }}\n欢迎您对办理结果进行评价。",
    ),
    ("case.responded:case", "en"): (
        "Your opinion has been answered",
        "{{ response }}\nPlease rate how it was handled.",
    ),
    ("case.responded:follower", "zh"): (
        "您关注的意见建议已有答复",
        "您反映的事项已与同类意见建议合并办理（或您曾表示附议），答复如下：\n{{ response }}\n"
        "欢迎您在查询页对办理结果进行评价。",
    ),
    ("case.responded:follower", "en"): (
        "The matter you raised has been answered",
        "The matter you raised was handled together with others about the same thing (or you "
        'said "me too"). The answer:\n{{ response }}\nYou can rate it on your tracking page.',
    ),
    ("case.merged:case", "zh"): (
        "您的意见建议已合并办理",
        "您的意见建议与反映同一事项的意见建议合并办理，办理进度和答复将在您的查询页显示并通知您。",
    ),
    ("case.merged:case", "en"): (
        "Your opinion is handled with another",
        "Your opinion is handled together with another about the same matter; you will see its "
        "progress and answer on your tracking page and hear its answer.",
    ),
    ("case.closed:case", "zh"): (
        "您的意见建议已办结",
        "您的意见建议已办结，感谢您的参与。",
    ),
    ("case.closed:case", "en"): (
        "Your opinion has been closed",
        "Your opinion has been dealt with and closed. Thank you for taking part.",
    ),
    ("case.reopened:case", "zh"): (
        "您的意见建议已重新办理",
        "根据您的意见，该件已重新办理。原因：{{ reason }}",
    ),
    ("case.reopened:case", "en"): (
        "Your opinion has been reopened",
        "As you asked, your opinion is being handled again. Reason: {{ reason }}",
    ),
    ("case.message_sent:case", "zh"): (
        "联络站给您发来消息",
        "{{ text }}",
    ),
    ("case.message_sent:case", "en"): (
        "A message from the liaison station",
        "{{ text }}",
    ),
    ("case.message_sent:station", "zh"): (
        "群众发来消息",
        "意见建议（编号 {{ case_id }}）收到群众消息：{{ text }}",
    ),
    ("case.message_sent:station", "en"): (
        "A message from the resident",
        "The resident wrote about case {{ case_id }}: {{ text }}",
    ),
    ("case.escalated:station_head", "zh"): (
        "【督办】意见建议超时未{{ deadline_label }}",
        "意见建议（编号 {{ case_id }}）已超过{{ deadline_label }}时限"
        "（应于 {{ due_at }} 前完成），请督办。",
    ),
    ("case.escalated:station_head", "en"): (
        "[Urgent] Case overdue to be {{ deadline_label }}",
        "Case {{ case_id }} was due to be {{ deadline_label }} by {{ due_at }}; "
        "please follow it up.",
    ),
    **{
        ("case.supervised:" + audience, "zh"): (
            "【督办】意见建议被督办",
            "人大常委会联络办督办意见建议（编号 {{ case_id }}），请于 {{ due_at }} 前答复。"
            "督办事由：{{ reason }}",
        )
        for audience in ("station_head", "representative")
    },
    **{
        ("case.supervised:" + audience, "en"): (
            "[Supervised] A case is being supervised",
            "The standing committee's liaison office supervises case {{ case_id }}: answer it "
            "by {{ due_at }}. Why: {{ reason }}",
        )
        for audience in ("station_head", "representative")
    },
    **{
        ("case.supervision_escalated:" + audience, "zh"): (
            "【督办超期】意见建议逾期未答复",
            "督办的意见建议（编号 {{ case_id }}）已超过督办期限（{{ due_at }}）"
            "仍未答复，请立即办理。",
        )
        for audience in ("station_head", "representative")
    },
    **{
        ("case.supervision_escalated:" + audience, "en"): (
            "[Supervision overdue] A supervised case is unanswered",
            "Supervised case {{ case_id }} was due to be answered by {{ due_at }} and still is "
            "not; handle it now.",
        )
        for audience in ("station_head", "representative")
    },
    **{
        ("case.returned:" + audience, "zh"): (
            "【退回重办】答复被退回",
            "意见建议（编号 {{ case_id }}）的答复经督办退回，请重新办理。退回理由：{{ reason }}",
        )
        for audience in ("station", "station_head", "representative")
    },
    **{
        ("case.returned:" + audience, "en"): (
            "[Returned] A response was sent back",
            "The response to case {{ case_id }} was sent back for redo; handle it again. "
            "Why: {{ reason }}",
        )
        for audience in ("station", "station_head", "representative")
    },
    ("case.suggestion_linked:case", "zh"): (
        "您的意见建议已形成代表建议",
        "人大代表已将您反映的问题写入代表建议《{{ title }}》（编号 {{ number }}），"
        "交{{ department_name }}办理答复。",
    ),
    ("case.suggestion_linked:case", "en"): (
        "Your opinion is now a representative's formal suggestion",
        'A representative took up your opinion in the formal suggestion "{{ title }}" '
        "(no. {{ number }}), which {{ department_name }} must answer.",
    ),
    ("case.suggestion_answered:case", "zh"): (
        "代表建议已获答复",
        "{{ department_name }}已答复代表建议《{{ title }}》：{{ answer }}",
    ),
    ("case.suggestion_answered:case", "en"): (
        "The formal suggestion has been answered",
        '{{ department_name }} answered the formal suggestion "{{ title }}": {{ answer }}',
    ),
    ("case.meeting_decided:case", "zh"): (
        "议事会已对您的意见建议作出决定",
        "{{ held_on }} 召开的议事会议定《{{ item_title }}》：{{ decision }}",
    ),
    ("case.meeting_decided:case", "en"): (
        "A deliberation meeting decided on your opinion",
        'The deliberation meeting of {{ held_on }} decided on "{{ item_title }}": {{ decision }}',
    ),
    ("case.meeting_decided:follower", "zh"): (
        "议事会已对您关注的事项作出决定",
        "您反映的事项已与同类意见建议一并提交议事会（或您曾表示附议）。"
        "{{ held_on }} 召开的议事会议定《{{ item_title }}》：{{ decision }}",
    ),
    ("case.meeting_decided:follower", "en"): (
        "A deliberation meeting decided on the matter you raised",
        "The matter you raised went to a deliberation meeting with others about the same thing "
        '(or you said "me too"). The meeting of {{ held_on }} decided on "{{ item_title }}": '
        "{{ decision }}",
    ),
}

VALUE_LABELS: Mapping[tuple[str, str], Mapping[Language, str]] = {
    ("deadline", "accept"): {"zh": "受理", "en": "accepted"},
    ("deadline", "respond"): {"zh": "答复", "en": "answered"},
}
"""Words for coded values: `<field>_label` is offered beside `<field>` when listed here."""


class UnknownTemplate(LookupError):
    def __init__(self, template_key: str, language: str) -> None:
        super().__init__(f"no template {template_key!r} in language {language!r}")
        self.template_key = template_key
        self.language = language


class MissingTemplateData(ValueError):
    def __init__(self, template_key: str, missing: tuple[str, ...]) -> None:
        super().__init__(f"template {template_key!r} needs data: {', '.join(missing)}")
        self.template_key = template_key
        self.missing = missing


@cache
def sandbox(*, html: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
        trim_blocks=True,
    )


@cache
def _needs(source: str) -> tuple[str, ...]:
    """The names a template reads from its data, in the order they first appear."""
    parsed = sandbox(html=False).parse(source)
    undeclared = meta.find_undeclared_variables(parsed)
    names = (node.name for node in parsed.find_all(nodes.Name) if node.name in undeclared)
    return tuple(dict.fromkeys(names))


def variables(event_data: Mapping[str, Any], language: Language) -> dict[str, str]:
    """The event's fields as text (None as empty), plus labels for coded values."""
    found = {k: "" if v is None else str(v) for k, v in event_data.items()}
    for name, value in event_data.items():
        labels = VALUE_LABELS.get((name, str(value)))
        if labels is not None:
            found[f"{name}_label"] = labels[language]
    return found


def render(
    template_key: str, event_data: Mapping[str, Any], language: Language = DEFAULT_LANGUAGE
) -> tuple[str, str]:
    """(title, body) of this template in this language, filled from the event's data."""
    sources = TEMPLATES.get((template_key, language))
    if sources is None:
        raise UnknownTemplate(template_key, language)
    values = variables(event_data, language)
    needed = [name for source in sources for name in _needs(source)]
    missing = tuple(dict.fromkeys(name for name in needed if name not in values))
    if missing:
        raise MissingTemplateData(template_key, missing)
    environment = sandbox(html=False)
    title, body = (environment.from_string(source).render(values) for source in sources)
    return title, body
