"""A user's folders for conversations: create, rename, delete (their conversations are kept)."""
