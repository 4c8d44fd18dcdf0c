"""The FAISS vector index: a rebuildable cache of the passage embeddings stored in the database.

Inner product on normalised vectors is cosine similarity. Exact search (IndexFlatIP) below
HNSW_FROM vectors; HNSW above it, where exact search gets slow. Ids are Passage ids (IndexIDMap2).
meta.json records model, dimension, count, an id checksum and the index kind; `load_index`
compares them with the database and rebuilds or catches up rather than return stale results.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from intel.store import ids_checksum, passage_ids_checksum, passage_max_id, passage_vectors

# OpenMP threads of faiss and torch spin after each call by default and starve the other
# library (and SQLite) on a 2-core machine; passive waiting cut query p50 by a fifth.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

log = logging.getLogger("intel.index")
HNSW_FROM = 200_000


@dataclass
class VectorIndex:
    """A FAISS index with its directory and metadata."""

    directory: Path
    model: str
    index: Any = None
    dim: int = 0

    @property
    def count(self) -> int:
        return int(self.index.ntotal) if self.index is not None else 0

    def ids(self) -> np.ndarray:
        import faiss

        if self.index is None:
            return np.zeros(0, dtype=np.int64)
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def exact(self, vector: np.ndarray, ids: list[int]) -> list[tuple[int, float]]:
        """Exact cosine of the query against these passages, from the vectors the index holds."""
        wanted, scores = self._exact(vector, ids)
        return [(int(i), float(x)) for i, x in zip(wanted, scores, strict=True)]

    def exact_top(self, vector: np.ndarray, ids: Any, k: int) -> list[tuple[int, float]]:
        """The k best of these passages by exact cosine, best first (ties: lower id first)."""
        if k <= 0:
            return []
        wanted, scores = self._exact(vector, ids)
        if len(scores) > k:
            keep = np.argpartition(-scores, k - 1)[:k]
            wanted, scores = wanted[keep], scores[keep]
        order = np.lexsort((wanted, -scores))
        return [(int(wanted[i]), float(scores[i])) for i in order]

    def _exact(self, vector: np.ndarray, ids: Any) -> tuple[np.ndarray, np.ndarray]:
        """(ids present in the index, their cosines), in the order given."""
        import faiss

        wanted = np.asarray(ids, dtype=np.int64).reshape(-1)
        if self.index is None or not len(wanted) or self.count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if getattr(self, "_rows", None) is None or len(self._order) != self.count:
            inner = self.index.index
            storage = inner.storage if hasattr(inner, "storage") else inner
            flat = faiss.downcast_index(storage)
            self._rows = faiss.vector_to_array(flat.codes).view(np.float32).reshape(self.count, self.dim)
            self._order = self.ids()
            self._sorter = np.argsort(self._order)
        order, sorter = self._order, self._sorter
        pos = sorter[np.minimum(np.searchsorted(order, wanted, sorter=sorter), len(order) - 1)]
        present = order[pos] == wanted
        pos, wanted = pos[present], wanted[present]
        return wanted, inner_products(self._rows[pos], vector)

    def build(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the contents with these vectors."""
        import faiss

        self.dim = int(vectors.shape[1]) if vectors.size else self.dim or 384
        if len(ids) >= HNSW_FROM:
            inner = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
            inner.hnsw.efSearch = 128
        else:
            inner = faiss.IndexFlatIP(self.dim)
        self.index = faiss.IndexIDMap2(inner)
        self._rows = None
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors (the index must exist)."""
        self._rows = None
        if self.index is None:
            self.build(ids, vectors)
            return
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage id, cosine) of the k nearest passages."""
        if self.index is None or self.count == 0:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32),
                                        min(k, self.count))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self) -> None:
        """Write the index and meta.json (atomically: a crash leaves the old pair or the new)."""
        import faiss

        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / "passages.faiss.tmp"
        faiss.write_index(self.index, str(tmp))
        meta = {"model": self.model, "dim": self.dim, "count": self.count, "checksum": ids_checksum(self.ids()),
                "kind": "hnsw" if self.count >= HNSW_FROM else "flat",
                "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (self.directory / "meta.json.tmp").write_text(json.dumps(meta, indent=2))
        tmp.replace(self.directory / "passages.faiss")
        (self.directory / "meta.json.tmp").replace(self.directory / "meta.json")


def inner_products(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector with faiss's SIMD kernel on the calling thread.

    Not numpy's `@`: its OpenBLAS worker thread busy-waits after every call, which on two cores
    took a whole core from query encoding and SQLite (26 ms of CPU per filtered query of ~30 ms).
    """
    import faiss

    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    vector = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
    out = np.empty(len(matrix), dtype=np.float32)
    if len(matrix):
        faiss.fvec_inner_products_ny(faiss.swig_ptr(out), faiss.swig_ptr(vector), faiss.swig_ptr(matrix),
                                     int(vector.shape[0]), len(matrix))
    return out


def index_dir(data_dir: Path) -> Path:
    """Where the index lives: beside the database."""
    return Path(data_dir) / "index"


def rebuild_index(engine: Engine, data_dir: Path, model: str) -> VectorIndex:
    """Build the index from the database's stored embeddings and save it."""
    ids, vectors = passage_vectors(engine, model)
    vi = VectorIndex(index_dir(data_dir), model)
    vi.build(ids, vectors)
    vi.save()
    log.info("index rebuilt: %d passages", vi.count)
    return vi


def load_index(engine: Engine, data_dir: Path, model: str) -> tuple[VectorIndex, str]:
    """The index, checked against the database; returns it with what was done (ok/caught up/rebuilt)."""
    import faiss

    directory = index_dir(data_dir)
    meta_path, path = directory / "meta.json", directory / "passages.faiss"
    db_count, db_checksum = passage_ids_checksum(engine, model)
    if not path.exists() or not meta_path.exists():
        return rebuild_index(engine, data_dir, model), "rebuilt (index missing)"
    try:
        meta = json.loads(meta_path.read_text())
        vi = VectorIndex(directory, model, faiss.read_index(str(path)), int(meta["dim"]))
    except (OSError, ValueError, KeyError, RuntimeError):
        return rebuild_index(engine, data_dir, model), "rebuilt (index unreadable)"
    if meta.get("model") != model:
        return rebuild_index(engine, data_dir, model), f"rebuilt (model changed from {meta.get('model')})"
    if vi.count == db_count and ids_checksum(vi.ids()) == db_checksum:
        return vi, "ok"
    have = set(vi.ids().tolist())
    db_ids, vectors = passage_vectors(engine, model)
    if have <= set(db_ids.tolist()):  # only additions missing (a crash after the DB commit)
        missing = np.array([i not in have for i in db_ids.tolist()], dtype=bool)
        vi.add(db_ids[missing], vectors[missing])
        vi.save()
        return vi, f"caught up ({int(missing.sum())} passages added)"
    return rebuild_index(engine, data_dir, model), "rebuilt (index disagreed with the database)"


_LOADED: dict[tuple[str, str], tuple[VectorIndex, int]] = {}


def get_index(engine: Engine, data_dir: Path, model: str) -> VectorIndex:
    """The index for queries: kept in memory, re-checked with a cheap count/max-id probe each call.

    When the probe differs from what the loaded index saw (an ingest added passages, or the
    files were replaced), the full check of `load_index` runs again.
    """
    key = (str(Path(data_dir).resolve()), model)
    probe = passage_max_id(engine)
    cached = _LOADED.get(key)
    path = index_dir(data_dir) / "passages.faiss"
    if cached and cached[1] == probe and path.exists():
        return cached[0]
    vi, action = load_index(engine, data_dir, model)
    if action != "ok":
        log.info("vector index %s", action)
    _LOADED[key] = (vi, probe)
    return vi


def index_articles(
    engine: Engine, data_dir: Path, model: str, on_batch: Any = None, batch: int = 64
) -> tuple[int, int]:
    """Cut and embed articles not yet indexed, store passages, update the index; (articles, passages).

    The database commit comes first: a crash before the index is saved leaves passages the index
    lacks, which `load_index` then catches up.
    """
    from intel.chunk import passage_spans
    from intel.embed import get_embedder
    from intel.store import articles_to_index, save_passages

    vi, _ = load_index(engine, data_dir, model)
    embedder = None
    articles = passages = 0
    for rows in articles_to_index(engine, batch):
        embedder = embedder or get_embedder(model)
        items, texts = [], []
        for art in rows:
            body = art.text or art.title
            spans = [(a, b, body[a:b]) for a, b in passage_spans(body)]
            items.append((int(art.id or 0), spans))
            texts.extend(_embed_text(art.title, t) for _, _, t in spans)
        vectors = embedder.encode(texts)
        grouped, at = [], 0
        for article_id, spans in items:
            grouped.append((article_id, spans, vectors[at : at + len(spans)]))
            at += len(spans)
        saved = save_passages(engine, grouped, model)
        stale = set(vi.ids().tolist()) & {i for i, _ in saved}
        if stale:  # SQLite reuses the highest ids after those rows are deleted (an updated article)
            vi.index.remove_ids(np.array(sorted(stale), dtype=np.int64))
        if saved:
            vi.add(np.array([i for i, _ in saved], dtype=np.int64), np.vstack([v for _, v in saved]))
        articles += len(rows)
        passages += len(saved)
        if on_batch:
            on_batch(articles, passages)
    if articles:
        if vi.count != passage_ids_checksum(engine, model)[0]:
            rebuild_index(engine, data_dir, model)  # replaced passages left dead ids behind
        else:
            vi.save()
    return articles, passages


def _embed_text(title: str, passage: str) -> str:
    """The passage as embedded: with the headline, which carries the story's who and what."""
    return f"{title}\n{passage}" if title and not passage.startswith(title[:40]) else passage
