"""The `minyi` command (a console script, pyproject.toml): one entry over what each service's
`python -m ...` does, with `--help` everywhere, one `error:` line on failure, and progress bars.

Each command reads its service's settings (`MINYI_*`, as the service does) only when it runs,
so `--help` needs no environment. The old entries (`python -m services.routing ...`) stay and
call the same functions."""

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.admin import AIOKafkaAdminClient

from minyi_cli import config_reference as config_docs
from minyi_cli.backup import run as backups
from minyi_cli.backup.progress import steps_for
from minyi_cli.doctor import run_checks, service_urls
from minyi_cli.errors import fail, reported
from minyi_cli.progress import RichImportProgress, replay_progress
from services.intake.entrypoints import erasure_cli, history_import
from services.intake.settings import IntakeSettings
from services.reporting.entrypoints.cli import run_rebuild
from services.reporting.settings import ReportingSettings
from services.routing.adapters.directory_repository import (
    CITY_DIRECTORY,
    read_directory_file,
    read_representatives_csv,
)
from services.routing.adapters.user_repository import UserImport
from services.routing.entrypoints import cli as routing_cli
from services.routing.settings import RoutingSettings
from shared.settings import ServiceSettings, load_settings
from shared.topics import ensure_topics, platform_topics


class CliSettings(ServiceSettings):
    """What the platform-wide commands (topics, doctor) need: Kafka, the store, the namespace
    and where the services answer."""

    service_name: str = "cli"
    port: int = 1

    def prod_problems(self) -> list[str]:
        return []  # it signs no tokens and sets no cookies: nothing demo-only to refuse


app = typer.Typer(
    name="minyi",
    help="Operate Minyi: the directory, staff accounts, past cases, erasure, read models, "
    "Kafka topics, and `doctor` to see what is wrong. Settings come from the same MINYI_* "
    "variables as the services (MINYI_MONGO_URL, MINYI_KAFKA_BOOTSTRAP, MINYI_NAMESPACE, ...).",
    no_args_is_help=True,
    # A bug still prints its traceback, but without local variables: they may hold secrets.
    pretty_exceptions_show_locals=False,
    add_completion=False,
    # Click's plain help: it rewraps the docstrings' paragraphs to the terminal's width.
    rich_markup_mode=None,
)


directory = typer.Typer(help="The directory: stations, points, representatives, categories.")
users = typer.Typer(help="Staff accounts (stored by routing, argon2-hashed).")
reports = typer.Typer(help="reporting's read models.")
topics = typer.Typer(help="The platform's Kafka topics (in MINYI_NAMESPACE).")
cases = typer.Typer(help="Past cases and residents' personal data (intake).")
config = typer.Typer(help="The MINYI_* settings every service reads.")
for group, name in (
    (directory, "directory"),
    (users, "users"),
    (reports, "reports"),
    (topics, "topics"),
    (cases, "cases"),
    (config, "config"),
):
    group.info.no_args_is_help = True
    app.add_typer(group, name=name)


@directory.command("import")
def directory_import(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="a directory .yaml, or a .csv of representatives")
    ],
) -> None:
    """Merge a YAML directory, or a CSV of representatives, into the stored one.

    The running routing service publishes the changes to the other services."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.import_file(file, settings)))


@directory.command("export")
def directory_export() -> None:
    """Print the stored directory as YAML."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.export(settings)), end="")


@directory.command("validate")
def directory_validate(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="a directory .yaml, or a .csv of representatives")
    ],
) -> None:
    """Check a directory file without storing anything."""
    with reported():
        if file.suffix == ".csv":
            representatives = read_representatives_csv(file)
            print(f"{file.name} is valid: {len(representatives)} representatives")
            return
        loaded = read_directory_file(file)
    print(
        f"{file.name} is valid: {len(loaded.stations)} stations, "
        f"{len(loaded.liaison_points)} liaison points, "
        f"{len(loaded.representatives)} representatives, {len(loaded.departments)} departments"
    )


@directory.command("generate-city")
def directory_generate_city(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="where to write it", show_default=True)
    ] = CITY_DIRECTORY,
) -> None:
    """Write the generated city directory (Longquan's 19 stations) and its demo accounts."""
    with reported():
        print(routing_cli.generate_city(file))


@users.command("import")
def users_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="a YAML file with a `users:` list")],
) -> None:
    """Create or replace the accounts of a YAML file.

    Passwords are stored argon2-hashed; delete the file afterwards. An account whose password,
    role, scope or activity changes is signed out everywhere."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.import_users(file, settings)))


@users.command("create")
def users_create(
    username: Annotated[str, typer.Argument(metavar="USERNAME")],
    role: Annotated[
        str,
        typer.Option(help="representative, staff, station_head, department, supervisor or admin"),
    ],
    display_name: Annotated[str, typer.Option("--name", help="the name staff see")],
    station: Annotated[
        str | None, typer.Option(help="the station id (staff, station heads)")
    ] = None,
    representative: Annotated[
        str | None, typer.Option(help="the representative's code (representatives)")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="the department id (department accounts)")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="asked for when not given (read from stdin off a terminal)",
        ),
    ] = "",
) -> None:
    """Create one staff account (8+ character password, argon2-hashed); refused when the
    username exists or the station, representative or department is not in the directory."""
    settings = load_settings(RoutingSettings)
    with reported():
        user = UserImport.model_validate(
            {
                "username": username,
                "display_name": display_name,
                "role": role,
                "station": station,
                "representative_code": representative,
                "department": department,
                "password": password,
            }
        )
        print(asyncio.run(routing_cli.create_user(user, settings)))


@users.command("revoke")
def users_revoke(username: Annotated[str, typer.Argument(metavar="USERNAME")]) -> None:
    """Sign an account out everywhere: its older tokens are refused by every service."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.revoke_user(username, settings)))


@users.command("list")
def users_list() -> None:
    """List the accounts: username, role, scope, active or not, token version."""
    settings = load_settings(RoutingSettings)
    with reported():
        accounts = asyncio.run(routing_cli.list_users(settings))
    for account in accounts:
        scope = account.station or account.representative_code or account.department or "-"
        state = "active" if account.active else "inactive"
        print(
            f"{account.username}\t{account.role}\t{scope}\t{state}\t"
            f"v{account.token_version}\t{account.display_name}"
        )


@users.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(metavar="USERNAME")]) -> None:
    """Stop an account: it can no longer sign in, and its tokens are refused everywhere.

    `minyi users import` with `active: true` brings it back."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.deactivate_user(username, settings)))


@users.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(metavar="USERNAME")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="asked for when not given (read from stdin off a terminal)",
        ),
    ],
) -> None:
    """Give an account a new password (8+ characters); its tokens are refused everywhere."""
    settings = load_settings(RoutingSettings)
    with reported():
        print(asyncio.run(routing_cli.reset_password(username, password, settings)))


@reports.command("rebuild")
def reports_rebuild() -> None:
    """Rebuild reporting's read models by replaying every event.

    The read models are dropped and rebuilt from the topics; the live consumers pause meanwhile."""
    settings = load_settings(ReportingSettings)
    show, finish = replay_progress(sys.stderr)
    with reported():
        try:
            replayed = asyncio.run(run_rebuild(settings, progress=show))
        finally:
            finish()
    print(f"read models rebuilt from {replayed} events")


@topics.command("ensure")
def topics_ensure() -> None:
    """Create the platform's missing topics (safe to run again)."""
    settings = load_settings(CliSettings)
    with reported():
        created = asyncio.run(ensure_topics(settings, timeout_s=15.0))
    print(f"topics ready ({len(created)} created)")


async def _describe(settings: CliSettings) -> list[str]:
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=10_000)
    await asyncio.wait_for(admin.start(), 15.0)
    try:
        names = [settings.topic(spec.name) for spec in platform_topics()]
        existing = set(await admin.list_topics())
        described = await admin.describe_topics([n for n in names if n in existing])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d.get("partitions", [])) for d in described}
    lines = []
    for spec, name in zip(platform_topics(), names, strict=True):
        config = " ".join(f"{k}={v}" for k, v in spec.config.items())
        if name not in partitions:
            lines.append(f"{name}: missing (declared: {spec.partitions} partition(s) {config})")
        else:
            lines.append(
                f"{name}: {partitions[name]} partition(s), declared {spec.partitions} {config}"
            )
    return lines


@topics.command("describe")
def topics_describe() -> None:
    """List the platform's topics: partitions found, partitions and configuration declared."""
    settings = load_settings(CliSettings)
    with reported():
        lines = asyncio.run(_describe(settings))
    print("\n".join(lines))


@cases.command("import")
def cases_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="a .csv or .jsonl file")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every row, print the bad ones, write nothing")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, metavar="N", help="cases stored per insert")
    ] = 500,
    paced: Annotated[
        bool,
        typer.Option(
            "--paced",
            help="stay at most 4 batches ahead of the running intake's relay (large imports)",
        ),
    ] = False,
) -> None:
    """Load past cases (from before Minyi) from a .csv or .jsonl file.

    Each case is stored with the events of its history (the running intake service publishes
    them); importing a file again imports only what is new (by external_id). Exit 0: all
    imported; 1: some rows refused (each printed); 2: nothing could be done. The file's format:
    docs/operations.md, "Importing past cases"."""
    settings = load_settings(IntakeSettings)
    if not file.is_file():
        print(f"error: {file}: no such file", file=sys.stderr)
        raise typer.Exit(history_import.EXIT_FAILED)
    out = sys.stdout
    progress = (
        RichImportProgress(out, size=file.stat().st_size, dry_run=dry_run) if out.isatty() else None
    )
    started = time.monotonic()
    # The bar stops before an error is printed, so the error line stands alone below it.
    with reported(code=history_import.EXIT_FAILED):
        try:
            tally = asyncio.run(
                history_import.run_import(
                    path=file,
                    settings=settings,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    out=out,
                    progress=progress,
                    paced=paced,
                )
            )
        finally:
            if progress is not None:
                progress.finish()
    seconds = time.monotonic() - started
    print(history_import.summary(tally, dry_run=dry_run, seconds=seconds))
    if tally.refused:
        raise typer.Exit(history_import.EXIT_REFUSED)


@cases.command("erase")
def cases_erase(
    tracking_code: Annotated[str | None, typer.Option(metavar="CODE", help="that case")] = None,
    phone: Annotated[
        str | None, typer.Option(metavar="P", help="every case whose resident left it")
    ] = None,
    email: Annotated[
        str | None, typer.Option(metavar="E", help="every case whose resident left it")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list the cases it would erase, change nothing")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="who asked, for the erasure log (default: your login)"),
    ] = None,
) -> None:
    """Erase a resident's personal data (PIPL) by tracking code, phone or email.

    The cases keep their status, category, station and dates (they still count); their text,
    contact, photos and notes are erased in every service. Exit 0: erased (or listed); 1: no
    case matches; 2: nothing could be done. See docs/operations.md, "Erasure and retention"."""
    if sum(x is not None for x in (tracking_code, phone, email)) != 1:
        print("error: give exactly one of --tracking-code, --phone, --email", file=sys.stderr)
        raise typer.Exit(erasure_cli.EXIT_FAILED)
    settings = load_settings(IntakeSettings)
    code = erasure_cli.erase_command(
        tracking_code=tracking_code,
        phone=phone,
        email=email,
        dry_run=dry_run,
        by=f"cli:{by}" if by else erasure_cli.default_actor(),
        settings=settings,
    )
    if code:
        raise typer.Exit(code)


@app.command()
def doctor(
    timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds each part may take to answer")
    ] = 5.0,
    max_lag: Annotated[
        int, typer.Option(min=0, help="events a consumer group may be behind before it is wrong")
    ] = 1000,
) -> None:
    """Check Kafka, the store, topics, consumer lag and each service's readiness.

    One line per check, "ok" or "FAIL" and what is wrong; the services' /readyz are asked at
    MINYI_INTAKE_WEB_URL, MINYI_ROUTING_WEB_URL, MINYI_NOTIFY_WEB_URL and
    MINYI_REPORTING_WEB_URL (`make up`'s ports by default). Exit 1 if anything is wrong."""
    settings = load_settings(CliSettings)
    checks = asyncio.run(
        run_checks(settings, urls=service_urls(settings), timeout_s=timeout, max_lag=max_lag)
    )
    for check in checks:
        print(check.line())
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise fail(f"{len(failed)} of {len(checks)} checks failed")


@app.command()
def backup(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="a new or empty directory to write it to")
    ],
) -> None:
    """Back up every service's database and every platform topic with the consumer groups'
    offsets, into DIR (gzip'd JSON lines and a manifest.json).

    The services may keep running. See docs/operations.md, "Backup and restore"."""
    settings = load_settings(CliSettings)
    steps = steps_for(sys.stderr)
    started = time.monotonic()
    with reported():
        try:
            manifest = asyncio.run(backups.backup(directory, settings, steps))
        finally:
            steps.close()
    print(f"backed up {manifest.summary()} to {directory} in {time.monotonic() - started:.1f} s")


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="a directory `backup` wrote")],
    check: Annotated[
        bool, typer.Option("--check", help="only validate DIR (manifest and checksums)")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="restore even into a deployment that holds data already"),
    ] = False,
) -> None:
    """Restore a backup into an empty deployment (MINYI_NAMESPACE), before any service starts.

    Creates the topics, republishes their records, commits each consumer group's offsets and
    inserts the documents with their indexes. Refuses a deployment with any document or record
    unless --force. See docs/operations.md, "Backup and restore"."""
    settings = load_settings(CliSettings)
    if check:
        with reported():
            manifest = backups.read_backup(directory)
        print(
            f"{directory} is a valid backup of namespace {manifest.namespace or '(default)'} "
            f"taken {manifest.finished_at:%Y-%m-%d %H:%M:%S} UTC: {manifest.summary()}"
        )
        return
    steps = steps_for(sys.stderr)
    with reported():
        try:
            restored = asyncio.run(backups.restore(directory, settings, steps, force=force))
        finally:
            steps.close()
    print(
        f"restored {restored.documents} documents and {restored.records} records, offsets of "
        f"{restored.groups} consumer groups: start the services now"
    )


@config.command("reference")
def config_reference(
    output: Annotated[
        Path, typer.Option(help="Where to write it.", dir_okay=False)
    ] = config_docs.REFERENCE,
) -> None:
    """Write the configuration reference (docs/configuration.md) from the settings models."""
    print(f"wrote {config_docs.write(output)}")


def main() -> None:
    """The console script. The Kafka client's own log lines (a refused connection, each retry)
    stay off the terminal: the command says what failed in one line of its own. (Here, not in
    `app`: it is process-wide, and tests invoke `app` in their own process.)"""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    app()
