"""Search by meaning as well as by words, over a user's own messages.

- `indexer`: embeds saved messages off the request path (a bounded queue fed after a save, and a
  sweep for whatever it missed: a full queue, a restart, an import), batching, restart-safe
  through the ``message_embeddings`` table.
- `words` and `meaning`: the two ranked lists for a query (the words in the text; the nearest
  vectors under the user's own tag); `fusion` merges them by reciprocal rank.
- `service`, `endpoints`: ``GET /api/v1/search/messages`` with snippets whose matched words are
  marked, and the cleanup when a conversation is deleted.
"""
