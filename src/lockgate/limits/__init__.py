"""Per-user budget and rate-limit overrides: stored in the database, held in memory by every
process, changed on every replica at once (Redis pub/sub)."""
