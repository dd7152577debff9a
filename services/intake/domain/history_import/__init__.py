"""Past cases (the city's suggestions from before Minyi), read row by row from an import file
and turned into what a live case would have left behind: its events, with their historical
times, and the resident's view folded from them. Pure: rows in, events out; no I/O.

A row is checked in three steps, and every problem names its field:
1. `rows.HistoryRow` parses the fields (types, formats, ISO 8601 times);
2. `rows.rule_problems` checks them together (status implications, ordered times, none in the
   future);
3. `references.resolve_holder` checks the directory references like a live submission (active
   category, representative, liaison point, station), and `checker.HistoryChecker` that the
   external id is not repeated in the file.

`history` makes the events and the resident's view of a valid row.
docs/operations.md#importing-past-cases describes the file for the people who write one.
"""
