"""The layers of docs/architecture.md, enforced: the import-linter contracts in pyproject.toml."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_imports_keep_to_the_layers_and_services_stay_apart() -> None:
    cwd = Path.cwd()
    os.chdir(ROOT)  # the contracts name packages relative to the project root
    try:
        exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    finally:
        os.chdir(cwd)
    assert exit_code == 0, "an import breaks a contract; `lint-imports` prints which"
