"""Where cached answers live: `base` (the entry and the protocol), `embedded` (a SQLite file in
the data dir, one process), `redis` (the dedicated cache Redis, replicas)."""
