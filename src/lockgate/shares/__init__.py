"""Share links: read-only snapshots of a conversation, readable signed-out at a secret URL."""
