"""reporting: read models built only from events; per-station figures."""
