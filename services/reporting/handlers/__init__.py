"""reporting's use cases: `projections` fold events into the read models; `reports` is the one
read side the JSON API, the exports and the pages all call."""
