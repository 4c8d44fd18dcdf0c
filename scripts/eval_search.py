"""Search quality on the judged queries: recall@10 and nDCG@10 for keyword, vector and hybrid.

Run: .venv/bin/python scripts/eval_search.py [--queries tests/fixtures/queries.jsonl] [--per-query]
Builds a temporary store from data/sample (same path as the demo), then runs every query in each
mode. A story hit counts for every article of the story (its "also reported by" outlets too).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from sqlmodel import Session, select

from intel.annotate import annotate
from intel.config import ROOT, load_settings
from intel.demo import run_demo
from intel.index import index_articles
from intel.search import search
from intel.store import Article
from intel.stories import update_stories

QUERIES = ROOT / "tests" / "fixtures" / "queries.jsonl"


def ranked_ids(hits, k: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Article ids in ranked order, each story hit followed by its other outlets, cut at k."""
    out: list[int] = []
    for h in hits:
        out.append(h.article_id)
        out.extend(o["article_id"] for o in h.also_reported_by)
    return out[:k]


def recall_at(ranked: list[int], relevant: dict[int, int]) -> float:
    return len(set(ranked) & set(relevant)) / len(relevant)


def ndcg_at(ranked: list[int], relevant: dict[int, int], k: int) -> float:
    dcg = sum((2 ** relevant.get(a, 0) - 1) / math.log2(i + 2) for i, a in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def build_store():  # type: ignore[no-untyped-def]
    data = Path(tempfile.mkdtemp(prefix="intel-search-eval-"))
    settings = load_settings(env={}, data_dir=data)
    engine, _ = run_demo(settings)
    annotate(engine, settings)
    index_articles(engine, data, settings.embed_model)
    update_stories(engine, settings.embed_model)
    return engine, settings


def evaluate(engine, settings, queries: list[dict], k: int = 10, per_query: bool = False) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def,type-arg]
    """Mean recall@k and nDCG@k per mode."""
    with Session(engine) as s:
        by_guid = {a.guid: int(a.id or 0) for a in s.exec(select(Article))}
    results = {}
    for mode in ("keyword", "vector", "hybrid"):
        recalls, ndcgs = [], []
        for q in queries:
            relevant = {by_guid[g]: grade for g, grade in q["relevant"].items() if g in by_guid}
            hits = search(engine, settings.data_dir, settings.embed_model, q["query"], k=k, mode=mode)
            ranked = ranked_ids(hits, k)
            recalls.append(recall_at(ranked, relevant))
            ndcgs.append(ndcg_at(ranked, relevant, k))
            if per_query and mode == "hybrid":
                print(f"  R={recalls[-1]:.2f} nDCG={ndcgs[-1]:.2f}  {q['query']}")
        results[mode] = (sum(recalls) / len(recalls), sum(ndcgs) / len(ndcgs))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--per-query", action="store_true")
    args = ap.parse_args()
    queries = [json.loads(line) for line in args.queries.read_text().splitlines() if line.strip()]
    engine, settings = build_store()
    results = evaluate(engine, settings, queries, per_query=args.per_query)
    print(f"{len(queries)} judged queries over the bundled sample")
    for mode, (r, n) in results.items():
        print(f"{mode:8} recall@10 {r:.3f}  nDCG@10 {n:.3f}")


if __name__ == "__main__":
    main()
