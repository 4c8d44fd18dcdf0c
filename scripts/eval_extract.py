"""Print extraction quality on the gold set: labs, countries, claim detection, claim type.

Run: .venv/bin/python scripts/eval_extract.py [--gold tests/fixtures/gold/articles.jsonl] [--errors] [--confusion]
Use --gold tests/fixtures/gold/heldout3.jsonl or heldout4.jsonl for the blind held-out sets (the others now
train the detector and typer); look at its errors only after the decisions it is meant to measure
are frozen, and use a new blind set after that (see docs/quality.md).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from intel.extract import Extractor
from intel.quality import _overlap, evaluate, lab_key, load_gold, name_index

GOLD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gold" / "articles.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--errors", action="store_true", help="list each article's misses and false hits")
    ap.add_argument("--confusion", action="store_true", help="claim type confusions (gold -> predicted) on matched claims")
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
    if args.confusion:
        print_confusion(gold, predicted, name_index(ex.labs))
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


def print_confusion(gold: list[dict], predicted: list, index: dict[str, str]) -> None:  # type: ignore[type-arg]
    """Counts of (gold type, predicted type) over matched (sentence, actor) claims, errors first."""
    pairs: Counter[tuple[str, str]] = Counter()
    for art, ext in zip(gold, predicted, strict=True):
        for g in art["claims"]:
            start = art["text"].find(g["evidence"])
            span = (start, start + len(g["evidence"]))
            hit = next((c for c in ext.claims if _overlap(span, (c.start, c.end))
                        and lab_key(c.lab, index) == lab_key(g["lab"], index)), None)
            if hit is not None:
                pairs[(g["type"], hit.type)] += 1
    print("\ntype confusions on matched claims (gold -> predicted):")
    for (g, p), n in sorted(pairs.items(), key=lambda kv: (kv[0][0] == kv[0][1], -kv[1])):
        print(f"  {g:>13} -> {p:<13} {n}")


if __name__ == "__main__":
    main()
