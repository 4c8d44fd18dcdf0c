"""Ingest throughput and peak memory: the bundled sample, and a generated corpus served locally.

Run: .venv/bin/python scripts/bench_ingest.py [--feeds 50 --items 100 --words 600]
Prints items/s for a cold ingest, the re-ingest (all duplicates, no conditional GET), and peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from intel.config import SAMPLE_DIR, load_settings
from intel.demo import serve_directory
from intel.ingest import ingest
from intel.opml import parse_opml
from intel.store import add_feeds, count_articles, open_store

WORDS = ("compute cluster campus gigawatt megawatt GPU accelerator Nvidia Blackwell lease power grid "
         "substation cooling capex billion Texas Johor Abu Dhabi Norway data center hyperscaler "
         "contract capacity training inference fiber turbine nuclear solar the a of to and in for "
         "with on said will plans company build expand").split()


def make_corpus(root: Path, feeds: int, items: int, words: int, seed: int = 7) -> list[str]:
    """Write `feeds` RSS files of `items` items of about `words` words; return their names."""
    rng = random.Random(seed)
    names = []
    for f in range(feeds):
        parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                 f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
                 f"<title>Generated {f}</title><link>https://gen{f}.example/</link>"]
        for i in range(items):
            paras = ["<p>" + " ".join(rng.choice(WORDS) for _ in range(words // 6)) + ".</p>"
                     for _ in range(6)]
            day = 1 + (i % 28)
            parts.append(
                f"<item><title>Story {f}-{i} {rng.choice(WORDS)} {rng.choice(WORDS)}</title>"
                f"<link>https://gen{f}.example/{i}?utm_source=rss</link><guid>g{f}-{i}</guid>"
                f"<pubDate>Mon, {day:02d} Sep 2026 10:{i % 60:02d}:00 +0000</pubDate>"
                f"<description>Summary {i}</description>"
                f"<content:encoded><![CDATA[{''.join(paras)}]]></content:encoded></item>"
            )
        parts.append("</channel></rss>")
        name = f"gen-{f}.xml"
        (root / name).write_text("".join(parts), encoding="utf-8")
        names.append(name)
    return names


def run(label: str, directory: Path, names: list[str] | None, opml: Path | None) -> None:
    data = Path(tempfile.mkdtemp(prefix="intel-bench-"))
    settings = load_settings(env={}, data_dir=data)
    engine = open_store(settings)
    with serve_directory(directory) as base:
        if opml:
            add_feeds(engine, parse_opml(opml.read_bytes(), base=base))
        else:
            add_feeds(engine, [{"url": base + n} for n in names or []])
        t0 = time.perf_counter()
        first = ingest(engine, settings)
        t1 = time.perf_counter()
        with engine.begin() as conn:  # forget validators: the re-ingest must parse and dedupe all
            conn.exec_driver_sql("UPDATE feed SET etag = NULL, last_modified = NULL")
        t2 = time.perf_counter()
        second = ingest(engine, settings)
        t3 = time.perf_counter()
    seen = first.new + first.duplicate + first.updated + first.skipped
    print(f"{label}: {first.feeds_ok} feeds ok, {first.feeds_failed} failed; "
          f"{count_articles(engine)} articles stored")
    print(f"  cold ingest: {seen} items in {t1 - t0:.2f}s = {seen / (t1 - t0):.0f} items/s "
          f"({first.summary()})")
    seen2 = second.new + second.duplicate + second.updated + second.skipped
    print(f"  re-ingest:   {seen2} items in {t3 - t2:.2f}s = {seen2 / (t3 - t2):.0f} items/s "
          f"({second.summary()})")
    shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--words", type=int, default=600)
    args = ap.parse_args()
    run("sample corpus", SAMPLE_DIR, None, SAMPLE_DIR / "feeds.opml")
    with tempfile.TemporaryDirectory() as tmp:
        names = make_corpus(Path(tmp), args.feeds, args.items, args.words)
        run(f"generated corpus ({args.feeds} feeds x {args.items} items x ~{args.words} words)",
            Path(tmp), names, None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
