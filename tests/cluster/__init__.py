"""The loopback cluster tests: a package, so its cluster is stopped when they are done."""
