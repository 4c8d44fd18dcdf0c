"""Print extraction quality on the gold set: labs, countries, claim detection, claim type.

Run: .venv/bin/python scripts/eval_extract.py [--gold tests/fixtures/gold/articles.jsonl] [--errors]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from intel.extract import Extractor
from intel.quality import evaluate, lab_key, load_gold, name_index

GOLD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gold" / "articles.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--errors", action="store_true", help="list each article's misses and false hits")
    args = ap.parse_args()
    gold = load_gold(args.gold)
    ex = Extractor()
    t0 = time.perf_counter()
    predicted = ex.extract_many([a["text"] for a in gold], [int(a["published"][:4]) for a in gold])
    elapsed = time.perf_counter() - t0
    report = evaluate(gold, predicted, ex.labs)
    print(f"gold set: {len(gold)} articles, {sum(len(a['claims']) for a in gold)} claims ({args.gold.name})")
    for line in report.lines():
        print(line)
    print(f"extraction time: {elapsed:.2f}s ({len(gold) / elapsed:.1f} articles/s)")
    if args.errors:
        index = name_index(ex.labs)
        for art, ext in zip(gold, predicted, strict=True):
            g = {lab_key(x, index) for x in art["labs"]}
            p = {lab_key(x, index) for x in ext.labs}
            gc, pc = set(art["countries"]), set(ext.countries)
            print(f"\n## {art['id']} labs -{sorted(g - p)} +{sorted(p - g)} countries -{sorted(gc - pc)} +{sorted(pc - gc)}")
            gold_claims = {(c["evidence"][:70], lab_key(c["lab"], index), c["type"]) for c in art["claims"]}
            pred_claims = {(c.evidence[:70], lab_key(c.lab, index), c.type) for c in ext.claims}
            for c in sorted(gold_claims - pred_claims):
                print("  MISS", c)
            for c in sorted(pred_claims - gold_claims):
                print("  FALSE", c)


if __name__ == "__main__":
    main()
