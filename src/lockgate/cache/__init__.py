"""The response cache: never pay twice for the same answer.

- (config)    the ``cache:`` section of lockgate.yaml: `lockgate.settings.CacheConfig`
- ``keys``      the one request shape (`CacheRequest`) and its exact key, context tag, prompt
- ``policy``    what is looked up, what is stored, scopes, request controls
- ``semantic``  the semantic layer (vector index + embedder + the salience guard)
- ``store/``    cached answers: embedded (SQLite in the data dir) or the cache Redis
- ``service``   `ResponseCache`: lookup, save, purge, with metrics
- ``factory``   built once by the lifespan (refuses a Redis store it cannot use)
- ``endpoints`` purges: an administrator's by scope or model, a user's of their own entries

Layering: the callers (chat, gateway) use it before admission; it imports nothing above it.
"""
