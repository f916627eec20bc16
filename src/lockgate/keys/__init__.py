"""Virtual API keys: created by users, shown once, stored hashed, enforced by the gate."""
