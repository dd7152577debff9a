"""The topics the platform owns, with their declared shape; created by the project, never
implicitly by the broker (`python -m shared.topics ensure`)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import ServiceSettings, load_settings

CASE_EVENTS = "case-events"
DIRECTORY = "directory"
NOTIFICATION_EVENTS = "notification-events"
STATION_ACTIVITIES = "station-activities"
# The dilapidated houses under governance (routing's house aggregate), keyed by house id.
HOUSES = "houses"
# The resident's contact (phone, email) for notify only: personal data, never read downstream.
RESIDENT_CONTACTS = "resident-contacts"
# Each staff account's token version and whether it is active, from routing to every service.
STAFF_SESSIONS = "staff-sessions"
# Each case's sealing key (shared.sealing), from intake to every service; secret.
CASE_KEYS = "case-keys"

# Every consumer group of the platform; each gets a dead-letter topic `<group>.dlq`.
CONSUMER_GROUPS = (
    "routing.cases",
    "notify.cases",
    "notify.contacts",
    "reporting.cases",
    "reporting.activities",
    "reporting.houses",
    "reporting.directory",
    "intake.cases",
    "intake.directory",
    "intake.sessions",
    "routing.sessions",
    "notify.sessions",
    "reporting.sessions",
    "intake.keys",
    "routing.keys",
    "notify.keys",
    "reporting.keys",
)
# Not a consumer group: notify's delivery workers dead-letter notifications that failed for good.
NOTIFY_DELIVERIES = "notify.deliveries"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"


# Retention is unlimited on the event streams: reporting rebuilds by replaying them.
_KEEP = {"retention.ms": "-1"}


def dead_letter_spec(group: str) -> TopicSpec:
    return TopicSpec(dead_letter_topic(group), 1, _KEEP)


CASE_KEYS_CONFIG = {
    "cleanup.policy": "compact",
    "min.cleanable.dirty.ratio": "0.01",
    "segment.ms": str(60 * 60 * 1000),
    "max.compaction.lag.ms": str(60 * 60 * 1000),
    "delete.retention.ms": str(7 * 24 * 60 * 60 * 1000),
}


def platform_topics() -> list[TopicSpec]:
    return [
        TopicSpec(CASE_EVENTS, 6, _KEEP),
        TopicSpec(DIRECTORY, 1, {"cleanup.policy": "compact"}),
        TopicSpec(NOTIFICATION_EVENTS, 3, _KEEP),
        TopicSpec(STATION_ACTIVITIES, 3, _KEEP),
        TopicSpec(HOUSES, 3, _KEEP),
        # Keyed by case id, one record per case: compaction keeps it, and a tombstone erases it.
        TopicSpec(RESIDENT_CONTACTS, 3, {"cleanup.policy": "compact"}),
        # Keyed by username, each record the account's whole token state: compaction keeps the
        # latest per account, which is all a service starting afresh needs.
        TopicSpec(STAFF_SESSIONS, 1, {"cleanup.policy": "compact"}),
        # Keyed by case id: a key, then (on erasure) its tombstone. The cleaner must run soon
        # after a tombstone, or the key stays readable in the log: it may leave the record at
        # most `max.compaction.lag.ms` uncleaned, and a segment rolls at least hourly so the
        # record is not sheltered in the active one. The tombstone itself stays
        # `delete.retention.ms`, for a service that was down to see it (docs/security.md).
        TopicSpec(CASE_KEYS, 3, CASE_KEYS_CONFIG),
        *(dead_letter_spec(group) for group in (*CONSUMER_GROUPS, NOTIFY_DELIVERIES)),
    ]


async def ensure_topics(
    settings: ServiceSettings,
    *,
    specs: list[TopicSpec] | None = None,
    timeout_s: float = 60.0,
) -> list[str]:
    """Create any missing topic (default: all the platform's); returns the names created.

    Safe to run any number of times, from any number of processes."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                settings.topic(spec.name),
                num_partitions=spec.partitions,
                replication_factor=1,
                topic_configs=spec.config,
            )
            for spec in (platform_topics() if specs is None else specs)
            if settings.topic(spec.name) not in existing
        ]
        if wanted:
            # A concurrent ensure may win the race; the topics are there either way.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted, timeout_ms=int(timeout_s * 1000))
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_namespace_topics(settings: ServiceSettings, *, timeout_s: float = 30.0) -> int:
    """Delete every topic of a namespace (tests clean up after themselves); never the default."""
    if not settings.namespace:
        raise ValueError("refusing to delete the default namespace's topics")
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(settings.namespace + ".")]
        if mine:
            await admin.delete_topics(mine, timeout_ms=int(timeout_s * 1000))
        return len(mine)
    finally:
        await admin.close()


class _AdminSettings(ServiceSettings):
    service_name: str = "admin"
    port: int = 1

    def prod_problems(self) -> list[str]:
        return []  # creates topics only: no tokens, cookies or demo data to refuse


def main(argv: list[str]) -> int:
    if argv != ["ensure"]:
        print("usage: python -m shared.topics ensure", file=sys.stderr)
        return 2
    created = asyncio.run(ensure_topics(load_settings(_AdminSettings)))
    print(f"topics ready ({len(created)} created)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
