"""intake's use cases: one async function per command or event, one module per family.

- `submission`: a new case, from a resident or entered by station staff;
- `resident_actions`: what a resident does by tracking code (rate, reopen, reply);
- `case_events`: the resident's view, folded from the case events in batches;
- `directory`: intake's copy of the directory;
- `history_import`: past cases from an import file.
"""

SOURCE = "minyi/intake"
"""The CloudEvents `source` of the events intake produces."""
