"""intake's command line: `serve` (the default), `import FILE` (past cases) and `erase` (a
resident's personal data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.intake.settings import IntakeSettings
from shared.settings import load_settings

IMPORT_HELP = """\
Load past cases (from before Minyi) from a CSV file (UTF-8, header row) or a JSON Lines file.
Each case is stored with the events of its history; the running intake service publishes them.
Importing a file again imports only what is new (idempotent by external_id).
File format: docs/operations.md, "Importing past cases".
"""
IMPORT_EXIT_CODES = """\
exit codes:
  0  every row is imported (now or by an earlier run); a dry run: every row is valid
  1  some rows were refused (each is printed with its row number); the others are imported
  2  nothing could be done: no such file, bad columns, no directory copy, or the store failed
"""


ERASE_HELP = """\
Erase a resident's personal data (PIPL): one case by tracking code, or every case whose resident
left a phone or an email. Each case keeps its id, status, category, station and dates (it still
counts); its text, messages, notes, photos, location and contact are erased in intake now, and in
routing and notify when the running intake service has published its case.erased event (the
contact's tombstone on resident-contacts follows it). Asking again changes nothing.
See docs/operations.md, "Erasure and retention".
"""
ERASE_EXIT_CODES = """\
exit codes:
  0  the subject's cases are erased (now or before); a dry run: they are listed
  1  no case matches
  2  nothing could be done: an invalid subject, or the store failed
"""


def _batch_size(value: str) -> int:
    size = int(value)
    if not 1 <= size <= 10_000:
        raise argparse.ArgumentTypeError("must be between 1 and 10000")
    return size


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        prog="python -m services.intake", description="Minyi intake: residents' submissions."
    )
    commands = made.add_subparsers(dest="command", metavar="{serve,import,erase}")
    commands.add_parser("serve", help="run the service (the default)")
    load = commands.add_parser(
        "import",
        help="load past cases from a .csv or .jsonl file",
        description=IMPORT_HELP,
        epilog=IMPORT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("file", type=Path, metavar="FILE", help="a .csv or .jsonl file")
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row (directory references included), print the bad ones, write nothing",
    )
    load.add_argument(
        "--batch-size",
        type=_batch_size,
        default=500,
        metavar="N",
        help="cases stored per insert (default 500)",
    )
    load.add_argument(
        "--paced",
        action="store_true",
        help="stay at most 4 batches ahead of the running intake's relay, so that a large "
        "import does not flood the platform (without intake running it stops waiting after "
        "2 minutes)",
    )
    erase = commands.add_parser(
        "erase",
        help="erase a resident's personal data by tracking code, phone or email",
        description=ERASE_HELP,
        epilog=ERASE_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subject = erase.add_mutually_exclusive_group(required=True)
    subject.add_argument("--tracking-code", metavar="CODE", help="that case")
    subject.add_argument("--phone", metavar="P", help="every case whose resident left it")
    subject.add_argument("--email", metavar="E", help="every case whose resident left it")
    erase.add_argument(
        "--dry-run", action="store_true", help="list the cases it would erase, change nothing"
    )
    erase.add_argument(
        "--by",
        metavar="NAME",
        help="who asked, for the erasure log (default: cli:<your login name>)",
    )
    return made


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = load_settings(IntakeSettings)
    if args.command == "erase":
        from services.intake.entrypoints.erasure_cli import default_actor, erase_command

        return erase_command(
            tracking_code=args.tracking_code,
            phone=args.phone,
            email=args.email,
            dry_run=args.dry_run,
            by=f"cli:{args.by}" if args.by else default_actor(),
            settings=settings,
        )
    if args.command == "import":
        from services.intake.entrypoints.history_import import import_command

        return import_command(
            args.file,
            settings=settings,
            dry_run=args.dry_run,
            batch_size=args.batch_size,
            paced=args.paced,
        )
    from services.intake.app import create_app
    from shared.serve import serve

    serve(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
