"""The prompt library: each user's saved prompts (list, create, update, delete)."""
