"""Pairwise precision and recall of story grouping on the sample's labelled groups.

Run: .venv/bin/python scripts/eval_stories.py [--threshold 0.80]
Ingests data/sample into a temporary store (demo path), extracts, indexes, groups, and compares
with data/sample/stories.json (groups of 2-3 items that report one event).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from sqlmodel import Session, select

from intel.annotate import annotate
from intel.config import SAMPLE_DIR, load_settings
from intel.demo import run_demo
from intel.index import index_articles
from intel.store import Article
from intel.stories import pairwise_scores, update_stories


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threshold", type=float, nargs="*", default=[0.70, 0.75, 0.80, 0.85])
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="intel-stories-"))
    settings = load_settings(env={}, data_dir=data)
    engine, _ = run_demo(settings)
    annotate(engine, settings)
    index_articles(engine, data, settings.embed_model)
    with Session(engine) as s:
        by_guid = {a.guid: int(a.id or 0) for a in s.exec(select(Article))}
    gold = [{by_guid[i["id"]] for i in g["items"]} for g in json.loads((SAMPLE_DIR / "stories.json").read_text())]
    for t in args.threshold:
        mapping = update_stories(engine, settings.embed_model, threshold=t)
        p, r = pairwise_scores(mapping, gold)
        groups = len({v for v in mapping.values()})
        print(f"threshold {t:.2f}: pairwise precision {p:.3f} recall {r:.3f} ({groups} stories for {len(mapping)} articles)")


if __name__ == "__main__":
    main()
