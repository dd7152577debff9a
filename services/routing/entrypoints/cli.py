"""routing's command line: serve, seed-demo [FILE], users import FILE, users revoke USERNAME,
directory import FILE, directory export, directory generate-city [FILE]."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import ValidationError

from services.routing.adapters.directory_repository import (
    CITY_DIRECTORY,
    DEMO_DIRECTORY,
    DirectoryRepository,
    directory_file_text,
    read_directory_file,
    read_representatives_csv,
)
from services.routing.adapters.user_repository import (
    StaffAccount,
    UserImport,
    UserRepository,
    read_users_file,
)
from services.routing.domain.city import city_directory
from services.routing.domain.directory import Directory, merged
from services.routing.handlers.sessions import sign_out_everywhere
from services.routing.settings import RoutingSettings
from shared.mongo import create_client, service_database
from shared.settings import load_settings

USAGE = (
    "usage: python -m services.routing "
    "[serve | seed-demo [FILE] | users import FILE.yaml | users revoke USERNAME | "
    "directory import FILE.yaml|FILE.csv | directory export | directory generate-city [FILE]]"
)
# As an imported account's (UserImport).
MIN_PASSWORD = 8
SEED_REFUSED = (
    "seed-demo loads the demo accounts, whose password is published; it is refused with "
    "MINYI_ENVIRONMENT=prod (load your directory with `directory import` and your accounts "
    "with `users import`)"
)


async def seed(path: Path, settings: RoutingSettings) -> str:
    directory = read_directory_file(path)
    users = read_users_file(path)
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        await DirectoryRepository(db).save(directory)
        await UserRepository(db).save(users)
    finally:
        await client.close()
    return (
        f"directory loaded from {path.name}: {len(directory.stations)} stations, "
        f"{len(directory.liaison_points)} liaison points, "
        f"{len(directory.representatives)} representatives, "
        f"{len(directory.departments)} departments, {len(users)} accounts"
    )


def _demo_passwords() -> frozenset[str]:
    return frozenset(u.password for u in read_users_file(DEMO_DIRECTORY))


def check_accounts(users: list[UserImport], *, prod: bool) -> None:
    """In prod, no account may keep a password published with the demo."""
    if not prod:
        return
    published = _demo_passwords()
    weak = sorted(u.username for u in users if u.password in published)
    if weak:
        raise ValueError(f"refused in prod: {', '.join(weak)} use the demo's published password")


async def import_users(path: Path, settings: RoutingSettings) -> str:
    """Create or replace the staff accounts of a YAML file's `users:` list (passwords are
    hashed with argon2; the file itself should not be kept)."""
    users = read_users_file(path)
    if not users:
        raise ValueError(f"{path.name} has no users")
    check_accounts(users, prod=settings.environment == "prod")
    client = create_client(settings)
    try:
        await UserRepository(service_database(client, settings)).save(users)
    finally:
        await client.close()
    return f"imported {path.name}: {len(users)} accounts"


async def revoke_user(username: str, settings: RoutingSettings) -> str:
    """Sign an account out everywhere. Only stored here: the running routing service's relay
    publishes it, and every service refuses the account's older tokens soon after."""
    client = create_client(settings)
    try:
        version = await sign_out_everywhere(
            username=username,
            by="cli",
            users=UserRepository(service_database(client, settings)),
        )
    finally:
        await client.close()
    if version is None:
        raise ValueError(f"no account {username!r}")
    return f"signed {username} out everywhere: tokens before version {version} are refused"


async def deactivate_user(username: str, settings: RoutingSettings) -> str:
    """The account can no longer sign in and is signed out everywhere (`minyi users
    deactivate`); `users import` with `active: true` brings it back."""
    client = create_client(settings)
    try:
        users = UserRepository(service_database(client, settings))
        version = await users.deactivate(username)
    finally:
        await client.close()
    if version is None:
        raise ValueError(f"no account {username!r}")
    return f"deactivated {username}: tokens before version {version} are refused"


async def reset_password(username: str, password: str, settings: RoutingSettings) -> str:
    """A new password (`minyi users reset-password`); the account is signed out everywhere."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs {MIN_PASSWORD} characters or more")
    if settings.environment == "prod" and password in _demo_passwords():
        raise ValueError("refused in prod: that is the demo's published password")
    client = create_client(settings)
    try:
        users = UserRepository(service_database(client, settings))
        version = await users.reset_password(username, password)
    finally:
        await client.close()
    if version is None:
        raise ValueError(f"no account {username!r}")
    return f"new password for {username}: tokens before version {version} are refused"


def unknown_references(user: UserImport, directory: Directory | None) -> list[str]:
    """What an account names that the stored directory does not have."""
    if directory is None:
        return ["no directory is loaded yet (run `minyi directory import` first)"]
    problems = []
    if user.station and user.station not in {s.id for s in directory.stations}:
        problems.append(f"no station {user.station!r}")
    codes = {r.code for r in directory.representatives}
    if user.representative_code and user.representative_code not in codes:
        problems.append(f"no representative {user.representative_code!r}")
    departments = {d.id for d in directory.departments}
    if user.department and user.department not in departments:
        problems.append(f"no department {user.department!r}")
    return problems


async def create_user(user: UserImport, settings: RoutingSettings) -> str:
    """One new account; refused when the username is taken or it names what the directory
    does not have (a typo would otherwise make an account that sees nothing)."""
    check_accounts([user], prod=settings.environment == "prod")
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        problems = unknown_references(user, await DirectoryRepository(db).load())
        if problems:
            raise ValueError(f"{user.username}: " + "; ".join(problems))
        users = UserRepository(db)
        if any(a.username == user.username for a in await users.accounts()):
            raise ValueError(
                f"an account {user.username!r} exists (`minyi users reset-password` or "
                "`minyi users import` change it)"
            )
        await users.save([user])
    finally:
        await client.close()
    return f"created {user.username} ({user.role})"


async def list_users(settings: RoutingSettings) -> list[StaffAccount]:
    client = create_client(settings)
    try:
        return await UserRepository(service_database(client, settings)).accounts()
    finally:
        await client.close()


async def import_file(path: Path, settings: RoutingSettings) -> str:
    """Merge a YAML directory, or a CSV of representatives, into the stored one."""
    client = create_client(settings)
    try:
        repository = DirectoryRepository(service_database(client, settings))
        current = await repository.load()
        incoming = read_directory_file(path) if path.suffix != ".csv" else None
        if incoming is None:
            if current is None:
                raise ValueError("import a YAML directory before a CSV of representatives")
            incoming = current.model_copy(
                update={"representatives": tuple(read_representatives_csv(path))}
            )
        result = merged(current, incoming)
        await repository.save(result)
    finally:
        await client.close()
    return f"imported {path.name}: {len(result.representatives)} representatives in all"


async def export(settings: RoutingSettings) -> str:
    client = create_client(settings)
    try:
        loaded = await DirectoryRepository(service_database(client, settings)).load()
    finally:
        await client.close()
    if loaded is None:
        raise ValueError("the directory is empty")
    return yaml.safe_dump(loaded.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


def generate_city(path: Path) -> str:
    """Write the generated city directory (domain/city.py) and its accounts to `path`."""
    data = city_directory()
    counts = (
        f"{len(data['stations'])} liaison stations, {len(data['liaison_points'])} liaison "
        f"points and {len(data['representatives']):,} representatives"
    )
    header = (
        f"The city directory: Longquan's {counts}.\n"
        "Generated by services/routing/domain/city.py, seeded: the same file every run.\n"
        "Do not edit it by hand; regenerate it with\n"
        "`python -m services.routing directory generate-city`. Load the directory with\n"
        "`python -m services.routing directory import <this file>`, or the directory and\n"
        "its accounts with `MINYI_DIRECTORY=city make up` (docs/operations.md).\n"
        "The accounts are demo accounts: their password is published, `seed-demo` is refused\n"
        "in prod and `directory import` ignores them."
    )
    path.write_text(directory_file_text(data, header=header), encoding="utf-8")
    return f"wrote {path}: {counts}, {len(data['users'])} accounts"


def main(argv: list[str], *, serve: Callable[[RoutingSettings], None]) -> int:
    """Runs one command; `serve` starts the service (app.py's wiring, given by __main__)."""
    settings = load_settings(RoutingSettings)
    if not argv or argv == ["serve"]:
        serve(settings)
        return 0
    if argv[0] == "seed-demo" and len(argv) <= 2:
        if settings.environment == "prod":
            print(f"error: {SEED_REFUSED}", file=sys.stderr)
            return 1
        path = Path(argv[1]) if len(argv) == 2 else DEMO_DIRECTORY
        print(asyncio.run(seed(path, settings)))
        return 0
    try:
        if argv[:2] == ["users", "import"] and len(argv) == 3:
            print(asyncio.run(import_users(Path(argv[2]), settings)))
            return 0
        if argv[:2] == ["users", "revoke"] and len(argv) == 3:
            print(asyncio.run(revoke_user(argv[2], settings)))
            return 0
        if argv[:2] == ["directory", "import"] and len(argv) == 3:
            print(asyncio.run(import_file(Path(argv[2]), settings)))
            return 0
        if argv == ["directory", "export"]:
            print(asyncio.run(export(settings)), end="")
            return 0
        if argv[:2] == ["directory", "generate-city"] and len(argv) <= 3:
            print(generate_city(Path(argv[2]) if len(argv) == 3 else CITY_DIRECTORY))
            return 0
    except (ValueError, OSError, ValidationError, KeyError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2
