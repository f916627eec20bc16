"""Images attached to chat messages: upload, checks, storage with ownership, and their refusals."""
