"""Conversations and their messages, owned by one user each."""
