"""Vectors: turning text into unit vectors and finding the nearest ones.

Two protocols (`lockgate.vectors.base`): an `Embedder` (the local ONNX sentence model shipped in a
wheel, or a configured embedding model called through the one call path) and a `VectorIndex`
(embedded in the data dir for one process; a Redis with the query engine, FT HNSW, for replicas).
The response cache (`lockgate.cache`) and document search stand on them; neither knows which
embedder or index it was given.
"""
