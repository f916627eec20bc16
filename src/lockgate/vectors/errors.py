"""Failures of the vector layer a person can act on.

Both are :class:`~lockgate.errors.ServiceUnavailable` (503): at start-up they stop the process with
their message; at run time the caller (the response cache) decides whether to skip the cache.
"""

from __future__ import annotations

from lockgate.errors import ServiceUnavailable


class EmbedderUnavailable(ServiceUnavailable):
    """The embedding model cannot be loaded or did not answer as expected."""

    code = "embedder_unavailable"
    message = "The embedding model is not available."


class VectorStoreUnavailable(ServiceUnavailable):
    """The vector store cannot be used: unreachable, or lacking what the index needs."""

    code = "vector_store_unavailable"
    message = "The vector store is not available."
