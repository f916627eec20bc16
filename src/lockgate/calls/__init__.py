"""The one path every paid call takes: candidates → cache → admit → call → settle.

Layering: endpoints (chat, gateway, images) → ``calls`` → ``gate`` → ``providers``; nothing here
imports ``chat`` or ``gateway``. Modules:

- ``cached``      the response cache step: a hit's usage row, a finished answer offered to it,
                  the embedder of its semantic layer and who pays for its embeddings
- ``candidates``  model → ordered candidates with their upper-bound cost; admission of the first
- ``runner``      streamed calls: attempts, retries, fallbacks, settlement (chat, titles, /v1 chat)
- ``once``        one-shot calls (images, embeddings) through the same admit/settle rule
- ``health``      the one ``is_unhealthy(exc)`` rule the breaker counts
- ``retry``       the backoff between retries (tenacity's exponential, injectable jitter)
- ``usage``       the ``UsageSink`` protocol: one ledger row per provider attempt
"""
