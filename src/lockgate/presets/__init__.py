"""A user's saved parameter presets: create, list, apply to a conversation, delete."""
