"""The ``documents:`` section of lockgate.yaml (`lockgate.documents`): store, retrieval, limits.

    documents:
      enabled: true
      store: auto                  # auto: redis when LOCKGATE_CACHE_REDIS_URL is set, else embedded
                                   # embedded (the data dir, one process) | redis (the cache Redis)
      top_k: 5                     # sources given to a question at most
      min_similarity: 0.25         # a chunk less similar than this is never a source
      max_file_bytes: 10485760     # one file (10 MiB)
      max_files_per_upload: 5      # files attached to one message
      max_documents_per_conversation: 20
      max_user_documents: 200      # the per-user quota: documents …
      max_user_bytes: 104857600    # … and bytes uploaded (100 MiB) over every conversation
      max_pages: 500               # a PDF with more pages is refused
      max_text_chars: 2000000      # extracted text of one document
      max_decompressed_bytes: 33554432   # a PDF stream or the DOCX parts, decompressed (32 MiB)

Why 0.25: with all-MiniLM-L6-v2 a question and the passage that answers it score 0.35-0.75;
unrelated passages score below 0.2 (tests/documents/test_retrieval.py holds both sides).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DocumentsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    store: Literal["auto", "embedded", "redis"] = "auto"
    top_k: int = Field(default=5, ge=1, le=20)
    min_similarity: float = Field(default=0.25, ge=-1.0, le=1.0)
    chunk_chars: int = Field(default=1000, ge=200, le=4000)
    chunk_overlap: int = Field(default=150, ge=0, le=1000)
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024)
    max_files_per_upload: int = Field(default=5, ge=1, le=50)
    max_documents_per_conversation: int = Field(default=20, ge=1, le=10_000)
    max_user_documents: int = Field(default=200, ge=1, le=1_000_000)
    max_user_bytes: int = Field(default=100 * 1024 * 1024, ge=1024, le=1024**4)
    max_pages: int = Field(default=500, ge=1, le=100_000)
    max_text_chars: int = Field(default=2_000_000, ge=1000, le=100_000_000)
    max_decompressed_bytes: int = Field(default=32 * 1024 * 1024, ge=64 * 1024, le=1024**3)

    @property
    def max_upload_bytes(self) -> int:
        """The body limit of the upload endpoint: every file at its limit, plus the form."""
        return self.max_files_per_upload * self.max_file_bytes + 64 * 1024

    def resolved_store(self, cache_redis_url: str | None) -> Literal["embedded", "redis"]:
        """``auto``: the cache Redis when LOCKGATE_CACHE_REDIS_URL is set (shared by workers and
        replicas), else the embedded file (one process)."""
        if self.store != "auto":
            return self.store
        return "redis" if cache_redis_url else "embedded"
