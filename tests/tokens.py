"""Staff tokens for tests, signed as routing signs them, with the settings' default secret."""

from __future__ import annotations

from datetime import timedelta

from shared.auth import Role, issue_token
from shared.settings import DEV_JWT_SECRET


def bearer(
    role: Role = "supervisor",
    *,
    username: str | None = None,
    station: str | None = None,
    representative_code: str | None = None,
    department: str | None = None,
    secret: str = DEV_JWT_SECRET,
) -> dict[str, str]:
    """An Authorization header for this account (any username: no account is looked up)."""
    token, _ = issue_token(
        secret=secret,
        username=username or f"test-{role}",
        role=role,
        station=station,
        representative_code=representative_code,
        department=department,
        ttl=timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}
