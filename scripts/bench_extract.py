"""Extraction throughput on a generated corpus of ~600-word articles built from real-style text.

Run: .venv/bin/python scripts/bench_extract.py [--articles 5000 --words 600 --processes 1] [--no-vectors]
Paragraphs come from the bundled sample and the gold set, shuffled into new articles, so the
text has the density of labs, places and figures that real AI-infrastructure news has.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import xml.etree.ElementTree as ET

from intel.config import ROOT, SAMPLE_DIR
from intel.extract import Extractor
from intel.text import html_to_text


def paragraphs() -> list[str]:
    """Paragraphs of the sample feeds and the gold set."""
    out: list[str] = []
    for line in (ROOT / "tests" / "fixtures" / "gold" / "articles.jsonl").read_text().splitlines():
        out.extend(p for p in json.loads(line)["text"].split("\n\n") if len(p) > 80)
    feed = json.loads((SAMPLE_DIR / "feeds" / "frontier-brief.json").read_text())
    for item in feed["items"]:
        out.extend(p for p in html_to_text(item.get("content_html", "")).split("\n\n") if len(p) > 80)
    root = ET.parse(SAMPLE_DIR / "feeds" / "datacenter-wire.xml").getroot()
    for el in root.iter("{http://purl.org/rss/1.0/modules/content/}encoded"):
        out.extend(p for p in html_to_text(el.text or "").split("\n\n") if len(p) > 80)
    return out


def make_articles(n: int, words: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    paras = paragraphs()
    docs = []
    for _ in range(n):
        chosen, count = [], 0
        while count < words:
            p = rng.choice(paras)
            chosen.append(p)
            count += len(p.split())
        docs.append("\n\n".join(chosen))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--no-vectors", action="store_true",
                    help="type claims without the typer's sentence-vector head (words and rule cues only)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ex = Extractor(vectors=not args.no_vectors)
    load = time.perf_counter() - t0
    docs = make_articles(args.articles, args.words)
    words = sum(len(d.split()) for d in docs)
    t1 = time.perf_counter()
    claims = mentions = 0
    stream = ((d, 2026, i) for i, d in enumerate(docs))
    for out, _ in ex.extract_stream(stream, n_process=args.processes, batch_size=args.batch):
        claims += len(out.claims)
        mentions += len(out.mentions)
    elapsed = time.perf_counter() - t1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    vectors = f"typer vectors from {ex.embedder.name}" if ex.embedder else "no typer vectors"
    print(f"pipeline: {ex.nlp.pipe_names}; {vectors}; {args.processes} process(es); load {load:.1f}s")
    print(f"{len(docs)} articles, {words} words (avg {words / len(docs):.0f}) in {elapsed:.1f}s")
    print(f"  {len(docs) / elapsed:.1f} articles/s, {words / elapsed:.0f} words/s")
    print(f"  {mentions} mentions, {claims} claims")
    if ex.embedder:
        print(f"  typer: {ex.typed} distinct claim texts, {ex.embedded} ({ex.embedded / max(ex.typed, 1):.0%}) "
              "needed a sentence vector")
    print(f"peak RSS: main process {peak:.0f} MiB, largest worker {child:.0f} MiB")


if __name__ == "__main__":
    main()
