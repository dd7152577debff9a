"""intake: everything a resident does — submit, track, (later) rate and reopen."""
