"""docs/configuration.md is generated from the settings models (minyi_cli/config_reference.py):
it lists every variable the services read, each described, and it is never stale."""

from __future__ import annotations

from minyi_cli.config_reference import REFERENCE, REGENERATE, SERVICES, render, undocumented
from shared.settings import ServiceSettings


def test_the_configuration_reference_is_what_the_settings_models_generate() -> None:
    written = REFERENCE.read_text(encoding="utf-8")
    assert written == render(), (
        f"docs/configuration.md is stale: regenerate it with `{REGENERATE}` and commit it"
    )


def test_every_variable_a_service_reads_is_listed_and_described() -> None:
    reference = render()
    for _, settings in SERVICES:
        for name in settings.model_fields:
            assert f"| `MINYI_{name.upper()}` |" in reference, name
    assert undocumented() == [], "add Field(description=...) to these settings"


def test_secrets_are_marked_and_demo_keys_are_not_printed() -> None:
    reference = render()
    secret_rows = [line for line in reference.splitlines() if "**secret**" in line]
    assert any("`MINYI_JWT_SECRET`" in row for row in secret_rows)
    assert any("`MINYI_GATEWAY_SECRET`" in row for row in secret_rows)
    assert not any("`MINYI_MONGO_URL`" in row for row in secret_rows)
    demo = ServiceSettings.model_fields["jwt_secret"].get_default(call_default_factory=True)
    assert demo.get_secret_value() not in reference
    assert "BEGIN PRIVATE KEY" not in reference
