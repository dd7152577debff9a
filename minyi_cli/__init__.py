"""`minyi`: the operator's one command line over every service (directory, accounts, past cases,
erasure, read models, topics, and `doctor`). It sits outside `services/` and `shared/` because it
imports every service, which no service may do (the import-linter contracts in pyproject.toml)."""
