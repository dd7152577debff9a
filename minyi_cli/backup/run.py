"""The two commands' steps, in the order that makes a backup restorable.

Backup: (1) the consumer groups' committed offsets, (2) the databases, (3) the topics' records
up to their end offsets as they are after (2). A group's database holds the effect of at least
every event below its offset from (1); what it handled after that is redelivered after a
restore and dropped by its idempotency by event id. Every event a database had published
(its outbox drained) by (2) is on its topic before (3); one still in an outbox is published
again by the restored service.

Restore: validate the manifest and every file; refuse a deployment with any document or
record; create the topics, republish the records, commit the groups' carried-over offsets,
insert the documents and create the indexes. Only then may the services start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from minyi_cli.backup import store, topics
from minyi_cli.backup.files import check_files, write_manifest
from minyi_cli.backup.manifest import MANIFEST, BackupInvalid, Manifest, parse_manifest
from minyi_cli.backup.progress import Steps
from shared.metrics import minyi_version
from shared.settings import ServiceSettings
from shared.topics import ensure_topics, platform_topics


class NotEmpty(ValueError):
    """The deployment already holds data; a restore would mix two histories."""


def check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise BackupInvalid(f"{directory} is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise BackupInvalid(f"{directory} is not empty: back up into a new directory")


def _make(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)


async def backup(directory: Path, settings: ServiceSettings, steps: Steps) -> Manifest:
    check_target(directory)
    started = datetime.now(UTC)
    admin = await topics.open_admin(settings)
    stores = store.Stores(settings)
    try:
        await stores.ping()
        partitions = await topics.existing_partitions(admin, settings)
        group_offsets = await topics.committed_offsets(admin, settings)
        # Only now that both answer: a refused backup leaves no directory behind.
        _make(directory)
        collections = await store.dump_databases(stores, settings, directory, steps)
        topic_entries = await topics.dump_topics(settings, partitions, directory, steps)
    finally:
        await admin.close()
        await stores.close()
    manifest = Manifest(
        minyi_version=minyi_version(),
        namespace=settings.namespace,
        started_at=started,
        finished_at=datetime.now(UTC),
        group_offsets=group_offsets,
        collections=collections,
        topics=topic_entries,
    )
    write_manifest(directory, manifest)
    return manifest


def read_backup(directory: Path) -> Manifest:
    """The manifest, once it and every file it names pass their checks."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupInvalid(f"{directory}: no such directory")
    if not path.is_file():
        raise BackupInvalid(f"{directory} holds no {MANIFEST}: not a (finished) backup")
    manifest = parse_manifest(
        path.read_text(encoding="utf-8"), declared_topics={s.name for s in platform_topics()}
    )
    check_files(directory, manifest)
    return manifest


@dataclass(frozen=True)
class Restored:
    documents: int
    records: int
    groups: int


async def _refuse_non_empty(
    settings: ServiceSettings, admin: AIOKafkaAdminClient, stores: store.Stores
) -> None:
    partitions = await topics.existing_partitions(admin, settings)
    held = {t: n for t, n in (await topics.record_counts(settings, partitions)).items() if n}
    document = await store.first_document(stores, settings)
    found = [f"{document} has documents"] if document else []
    found += [f"{settings.topic(t)} has {n} record(s)" for t, n in sorted(held.items())]
    if found:
        raise NotEmpty(
            f"the deployment is not empty ({'; '.join(found[:3])}): restore into an empty "
            "one, or give --force to add the backup to what is there"
        )


async def restore(
    directory: Path, settings: ServiceSettings, steps: Steps, *, force: bool
) -> Restored:
    manifest = read_backup(directory)
    admin = await topics.open_admin(settings)
    stores = store.Stores(settings)
    try:
        await stores.ping()
        if not force:
            await _refuse_non_empty(settings, admin, stores)
        await ensure_topics(settings, timeout_s=topics.TIMEOUT_S)
        partitions = await topics.created_partitions(
            admin, settings, {t.name: len(t.partitions) for t in manifest.topics}
        )
        carried = await topics.restore_topics(
            settings, manifest.topics, manifest.group_offsets, partitions, directory, steps
        )
        await topics.commit_group_offsets(settings, carried)
        documents = 0
        for entry in manifest.collections:
            documents += await store.restore_collection(stores, settings, entry, directory, steps)
    finally:
        await admin.close()
        await stores.close()
    return Restored(documents=documents, records=manifest.records, groups=len(carried))
