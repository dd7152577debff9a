"""`minyi backup DIR` and `minyi restore DIR`: every service's database and every platform
topic with its consumer groups' offsets, written to a directory and put back into an empty
deployment (docs/operations.md, "Backup and restore").

- `manifest` (pure): what a backup holds, and the checks a directory must pass;
- `offsets` (pure): a consumer group's committed offset carried over to the restored topic;
- `files`: gzip'd JSON lines and their checksums;
- `store`, `topics`: the I/O against the store and Kafka;
- `run`: the two commands' steps in their order;
- `progress`: a bar on a terminal, plain lines otherwise.
"""
