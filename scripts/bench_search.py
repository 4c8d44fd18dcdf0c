"""Search latency and index build at scale: 100,000 passages in the store, 1,000,000 in FAISS.

Run: .venv/bin/python scripts/bench_search.py [--passages 100000] [--million] [--store DIR] [--runs 3]
--store DIR keeps the generated store in DIR and reuses it on the next run (same corpus, so
before/after figures can be compared without regenerating; populating 100k passages takes ~1 min).
The store gets generated articles (paragraphs of the sample and gold set, shuffled), cut into
passages with FTS5 rows; vectors are random unit vectors of the model's dimension (embedding 100k
passages would measure the model, not search: see docs/benchmarks.md for passages/s) and each
article names 2 of 60 labs and 1 of 30 countries, so a lab filter keeps about 3% of articles.
Queries are real analyst-style questions encoded by the real model.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlmodel import Session, func, select

sys.path.insert(0, str(Path(__file__).parent))
from bench_extract import paragraphs  # noqa: E402

from intel.chunk import passage_spans  # noqa: E402
from intel.config import load_settings  # noqa: E402
from intel.index import HNSW_FROM, VectorIndex, rebuild_index  # noqa: E402
from intel.search import Filters, search  # noqa: E402
from intel.store import Article, Claim, Feed, Mention, Passage, open_store, utcnow  # noqa: E402
from intel.typer import TYPES as CLAIM_TYPES  # noqa: E402

QUERIES = ["who is building data centers in the Middle East?", "Anthropic compute deals",
           "nuclear power for AI campuses", "GPU export licences to the Gulf", "hyperscaler capex guidance",
           "neocloud debt financing", "Johor data center power", "TPU capacity expansion",
           "gigawatt campus in Texas", "memory chip supply for AI"]


def populate(engine, n_passages: int, dim: int, model: str, seed: int = 5) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    paras = paragraphs()
    labs = [f"Lab{i:02d}" for i in range(60)]
    countries = [f"C{i:02d}"[:2] if False else code for i, code in enumerate(
        ["US", "GB", "FR", "DE", "JP", "KR", "IN", "SA", "AE", "MY", "SG", "ID", "BR", "MX", "CL", "NO", "SE", "FI",
         "ES", "PT", "IT", "NL", "IE", "AU", "CA", "CN", "TW", "ZA", "KE", "NG"])]
    vec_rng = np.random.default_rng(seed)
    made = 0
    with Session(engine) as s:
        feed = Feed(url="https://bench.example/feed", title="Bench")
        s.add(feed)
        s.flush()
        while made < n_passages:
            text = "\n\n".join(rng.choice(paras) for _ in range(6))
            art = Article(feed_id=feed.id, title="Generated", published=utcnow(), text=text,
                          content_hash=f"h{made}", indexed=True)
            s.add(art)
            s.flush()
            for lab in rng.sample(labs, 2):
                s.add(Mention(article_id=art.id, kind="lab", key=lab, text=lab, start=0, end=0))
            country = rng.choice(countries)
            s.add(Mention(article_id=art.id, kind="country", key=country, text=country, start=0, end=0))
            # one claim per article, placed in its country: what the place retriever reads
            s.add(Claim(article_id=art.id, lab=labs[made % len(labs)], type=rng.choice(CLAIM_TYPES), country=country,
                        evidence=text[:120], start=0, end=min(120, len(text)), extractor="bench"))
            for a, b in passage_spans(text):
                vec = vec_rng.standard_normal(dim).astype(np.float32)
                vec /= np.linalg.norm(vec)
                s.add(Passage(article_id=art.id, start=a, end=b, text=text[a:b], embedding=vec.tobytes(), model=model))
                made += 1
            if made % 5000 < 8:
                s.commit()
        s.commit()
    return made


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed_queries(engine, settings, filters: Filters | None, runs: int = 3, cached: bool = False) -> list[float]:  # type: ignore[no-untyped-def]
    """Latencies in ms; each query is encoded afresh (the query-embedding cache is cleared first)
    unless `cached`, so repeating the ten queries does not flatter the figures."""
    import intel.search

    cache = getattr(intel.search, "_query_vector", None)
    lat = []
    for _ in range(runs):
        for q in QUERIES:
            if cache is not None and not cached:
                cache.cache_clear()
            t = time.perf_counter()
            search(engine, settings.data_dir, settings.embed_model, q, filters, k=10)
            lat.append((time.perf_counter() - t) * 1000)
    return lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--passages", type=int, default=100_000)
    ap.add_argument("--million", action="store_true", help="also build and query a 1,000,000-vector HNSW index")
    ap.add_argument("--store", type=Path, help="keep the generated store here and reuse it when it exists")
    ap.add_argument("--runs", type=int, default=3, help="times each query is run per filter (default 3)")
    args = ap.parse_args()
    data = args.store or Path(tempfile.mkdtemp(prefix="intel-bench-search-"))
    settings = load_settings(env={}, data_dir=data)
    engine = open_store(settings)
    from intel.embed import get_embedder

    embedder = get_embedder(settings.embed_model)
    with Session(engine) as s:
        have = s.exec(select(func.count()).select_from(Passage)).one()
    if have:
        print(f"store: reusing {have} passages in {data}")
    else:
        t = time.perf_counter()
        made = populate(engine, args.passages, embedder.dim, settings.embed_model)
        print(f"store: {made} passages written in {time.perf_counter() - t:.0f}s")
    t = time.perf_counter()
    vi = rebuild_index(engine, data, settings.embed_model)
    print(f"index build ({'hnsw' if vi.count >= HNSW_FROM else 'flat'}, {vi.count} vectors): "
          f"{time.perf_counter() - t:.1f}s (includes reading vectors from SQLite)")
    for label, filters in (("hybrid, no filter", None), ("hybrid, --lab filter (~3% of articles)", Filters(labs=["Lab07"])),
                           ("hybrid, --country filter (~3%)", Filters(countries=["KE"]))):
        search(engine, data, settings.embed_model, "warm up", filters, k=10)
        lat = timed_queries(engine, settings, filters, args.runs)
        print(f"{label:40} p50 {statistics.median(lat):6.1f} ms  p95 {pct(lat, 0.95):6.1f} ms  (n={len(lat)})  "
              f"load {os.getloadavg()[0]:.2f}")
    import intel.search

    if hasattr(intel.search, "_query_vector"):  # a dashboard re-running a query with other filters
        lat = timed_queries(engine, settings, Filters(labs=["Lab07"]), args.runs, cached=True)
        print(f"{'--lab filter, query embedding cached':40} p50 {statistics.median(lat):6.1f} ms  p95 {pct(lat, 0.95):6.1f} ms  "
              f"(n={len(lat)})  load {os.getloadavg()[0]:.2f}")
    t = time.perf_counter()
    embedder.encode([f"passage number {i} about data centers and GPUs in Texas" * 3 for i in range(512)])
    print(f"embedding throughput: {512 / (time.perf_counter() - t):.0f} passages/s (~60 words each)")
    if args.million:
        n = 1_000_000
        rng = np.random.default_rng(9)
        vecs = rng.standard_normal((n, embedder.dim), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        big = VectorIndex(data / "big", settings.embed_model)
        t = time.perf_counter()
        big.build(np.arange(n, dtype=np.int64), vecs)
        print(f"1,000,000-vector HNSW build: {time.perf_counter() - t:.0f}s")
        q = embedder.encode(QUERIES)
        lat = []
        for _ in range(20):
            for v in q:
                t = time.perf_counter()
                big.search(v, 100)
                lat.append((time.perf_counter() - t) * 1000)
        print(f"1,000,000-vector HNSW search (k=100): p50 {statistics.median(lat):.2f} ms  p95 {pct(lat, 0.95):.2f} ms")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
