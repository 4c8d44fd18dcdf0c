"""Train the claim-sentence detector and the claim typer; write models/claim_detector.json and claim_typer.json.

Run: .venv/bin/python scripts/train_claims.py [--threshold 0.5] [--cv] [--typer-only]
Detector (skipped with --typer-only): sentences come from spaCy's sentence split of each training
gold article; a sentence is positive when a gold claim's evidence covers it. Typer: the distinct
(evidence, type) pairs of the gold claims of articles.jsonl and heldout.jsonl plus the labelled
sentences in tests/fixtures/gold/train_sentences.jsonl. `--cv` runs grouped 5-fold
cross-validation, repeated 3 times (group = article; each written sentence its own group), of the
type decision over C, the cue weight and the rule-override settings, prints rules-alone, model-alone
and combined accuracy, and uses the setting best on all held-out-fold items.
heldout2.jsonl is never used here: it is the blind measure.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from intel.detector import _TOKEN, DETECTOR_PATH, normalize
from intel.extract import blank_dateline, build_nlp
from intel.quality import _overlap, load_gold
from intel.typer import TYPER_PATH, Typer, classify, type_cues

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "fixtures" / "gold" / "articles.jsonl"
EXTRA = ROOT / "tests" / "fixtures" / "gold" / "train_sentences.jsonl"
HELDOUT = ROOT / "tests" / "fixtures" / "gold" / "heldout.jsonl"
TYPER_C, CUE_WEIGHT = 30.0, 0.5  # chosen by --cv (typer.v2)
GRID = [(0.0, 1.0)] + [(o, k) for o in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01) for k in (0.05, 0.1, 0.2, 0.3, 0.5)]
HYPER = [(c, w) for c in (3.0, 10.0, 30.0) for w in (0.5, 1.0, 2.0)]  # (C, cue weight) tried by --cv


def labelled_sentences(path: Path) -> tuple[list[str], list[bool], list[str | None]]:
    nlp = build_nlp()
    texts, labels, types = [], [], []
    for art in load_gold(path):
        spans = []
        for c in art["claims"]:
            start = art["text"].find(c["evidence"])
            spans.append(((start, start + len(c["evidence"])), c["type"]))
        for sent in nlp(blank_dateline(art["text"])).sents:
            span = (sent.start_char, sent.end_char)
            text = art["text"][span[0] : span[1]].strip()
            if len(text) < 20:
                continue
            claim_type = next((t for s, t in spans if _overlap(s, span)), None)
            texts.append(text)
            labels.append(claim_type is not None)
            types.append(claim_type)
    return texts, labels, types


def typed_claims(path: Path, group_offset: int = 0) -> tuple[list[str], list[str], list[int]]:
    """Distinct (evidence, type) pairs of the gold claims, with the article index (+ offset) of each."""
    texts, types, groups = [], [], []
    for i, art in enumerate(load_gold(path)):
        seen = set()
        for c in art["claims"]:
            if (c["evidence"], c["type"]) not in seen:
                seen.add((c["evidence"], c["type"]))
                texts.append(c["evidence"])
                types.append(c["type"])
                groups.append(group_offset + i)
    return texts, types, groups


def typer_data() -> tuple[list[str], list[str], list[int], list[str]]:
    """Texts, types, CV groups and source ("articles", "heldout", "sentences") of all typer training data.

    Groups: one per gold article; each written sentence is its own group.
    """
    texts, types, groups, sources = [], [], [], []
    offset = 0
    for name, path in (("articles", TRAIN), ("heldout", HELDOUT)):
        t, y, g = typed_claims(path, offset)
        texts += t
        types += y
        groups += g
        sources += [name] * len(t)
        offset += len(load_gold(path))
    for j, r in enumerate(load_gold(EXTRA)):
        texts.append(r["text"])
        types.append(r["type"])
        groups.append(offset + j)
        sources.append("sentences")
    return texts, types, groups, sources


def cue_lists(texts: list[str]) -> list[list[str]]:
    return [type_cues(t, classify(t)) for t in texts]


def fit_typer(texts: list[str], types: list[str], override: float, keep: float, c: float = TYPER_C,
              cue_weight: float = CUE_WEIGHT, cues: list[list[str]] | None = None) -> Typer:
    """Fit TF-IDF (words + bigrams) and rule cues -> multinomial logistic regression."""
    import scipy.sparse as sp
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(sublinear_tf=True, preprocessor=normalize, token_pattern=_TOKEN.pattern,
                          ngram_range=(1, 2))
    words = vec.fit_transform(texts)
    cue_vec = DictVectorizer()
    cue_x = cue_vec.fit_transform([dict.fromkeys(cs, 1) for cs in (cues or cue_lists(texts))])
    x = sp.hstack([words, cue_weight * cue_x]).tocsr()
    clf = LogisticRegression(C=c, max_iter=5000).fit(x, types)
    return Typer(vocab={t: int(i) for t, i in vec.vocabulary_.items()}, idf=[float(v) for v in vec.idf_],
                 cues={name: int(i) for name, i in cue_vec.vocabulary_.items()}, cue_weight=cue_weight,
                 types=[str(t) for t in clf.classes_],
                 coef=[[round(float(v), 6) for v in row] for row in clf.coef_],
                 intercept=[float(v) for v in clf.intercept_], override=override, keep=keep,
                 version=f"tfidf-cues-lr.v2 ({len(texts)} sentences, C={c}, cue weight {cue_weight})")


def grouped_folds(groups: list[int], k: int, seed: int) -> list[list[int]]:
    """Test-fold indices: the distinct groups shuffled with `seed` and dealt round-robin into k folds."""
    import random

    order = sorted(set(groups))
    random.Random(seed).shuffle(order)
    fold_of = {g: n % k for n, g in enumerate(order)}
    return [[i for i, g in enumerate(groups) if fold_of[g] == f] for f in range(k)]


def _decide(probs: dict[str, float], rule: str | None, override: float, keep: float) -> str:
    best = max(probs, key=probs.__getitem__)
    if rule is None or rule not in probs:
        return best
    if best != rule and probs[best] >= override and probs[rule] <= keep:
        return best
    return rule


def cross_validate(texts: list[str], types: list[str], groups: list[int], sources: list[str],
                   k: int = 5, repeats: int = 3) -> tuple[float, float, float, float]:
    """Repeated grouped k-fold CV of the type decision (all data rotates through the test folds).

    For each (C, cue weight) it prints held-out-fold accuracy of the rules alone, the model alone
    (the rule type is one of its features) and the model overruling the rules at each
    (override, keep) setting, over all items and over the gold article claims only. Picks the best
    setting on all items; ties go to the one that overrules the rules least.
    """
    rules = [classify(t) for t in texts]
    cues = cue_lists(texts)
    n, art = len(texts), [i for i, s in enumerate(sources) if s != "sentences"]

    def acc(pred: list[str | None], idx: list[int]) -> float:
        return sum(pred[i] == types[i] for i in idx) / len(idx)

    every = list(range(n))
    by_source = {s: [i for i in every if sources[i] == s] for s in ("articles", "heldout", "sentences")}
    print(f"{n} items ({', '.join(f'{s} {len(v)}' for s, v in by_source.items())}); grouped {k}-fold x {repeats}")
    print(f"rules alone: all {acc(rules, every):.3f}, article claims {acc(rules, art):.3f} "
          + ", ".join(f"{s} {acc(rules, v):.3f}" for s, v in by_source.items()))
    results = {}
    for c, w in HYPER:
        probs: list[list[dict[str, float]]] = []  # per repeat, per item
        for rep in range(repeats):
            p: list[dict[str, float]] = [{} for _ in range(n)]
            for test in grouped_folds(groups, k, rep):
                tset = set(test)
                train = [i for i in every if i not in tset]
                typer = fit_typer([texts[i] for i in train], [types[i] for i in train], 1.01, 0.0, c, w,
                                  [cues[i] for i in train])
                for i in test:
                    p[i] = typer.probabilities(texts[i], cues[i])
            probs.append(p)
        for o, kp in GRID:
            preds = [[_decide(p[i], rules[i], o, kp) for i in every] for p in probs]
            results[(c, w, o, kp)] = (sum(acc(q, every) for q in preds) / repeats,
                                      sum(acc(q, art) for q in preds) / repeats,
                                      {s: sum(acc(q, v) for q in preds) / repeats for s, v in by_source.items()})
        alone = results[(c, w, 0.0, 1.0)]
        print(f"C={c} cue weight {w}: model alone all {alone[0]:.3f}, article claims {alone[1]:.3f} "
              + ", ".join(f"{s} {a:.3f}" for s, a in alone[2].items()))
        for o, kp in GRID:
            a = results[(c, w, o, kp)]
            print(f"  override >= {o:.2f}, rule type <= {kp:.2f}: all {a[0]:.3f}, article claims {a[1]:.3f} "
                  + ", ".join(f"{s} {v:.3f}" for s, v in a[2].items()))
    best = max(results, key=lambda key: (round(results[key][0], 6), key[2], -key[3]))
    print(f"chosen: C={best[0]}, cue weight {best[1]}, override {best[2]}, keep {best[3]}: "
          f"all {results[best][0]:.3f}, article claims {results[best][1]:.3f}")
    return best


def train_detector(out: Path, threshold: float) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels, types = labelled_sentences(TRAIN)
    vec = TfidfVectorizer(min_df=2, sublinear_tf=True, preprocessor=normalize, token_pattern=_TOKEN.pattern)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced").fit(x, labels)
    pos = [i for i, t in enumerate(types) if t]
    tclf = LogisticRegression(C=4.0, max_iter=5000).fit(x[pos], [types[i] for i in pos])
    model = {
        "vocab": {t: int(i) for t, i in vec.vocabulary_.items()},
        "idf": [float(v) for v in vec.idf_],
        "coef": [float(v) for v in clf.coef_[0]],
        "intercept": float(clf.intercept_[0]),
        "types": [str(t) for t in tclf.classes_],
        "type_coef": [[round(float(v), 6) for v in row] for row in tclf.coef_],
        "type_intercept": [float(v) for v in tclf.intercept_],
        "threshold": threshold,
        "version": f"tfidf-lr.v1 ({len(texts)} sentences, {sum(labels)} claims)",
    }
    out.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {out} ({len(vec.vocabulary_)} terms; {len(texts)} sentences, {sum(labels)} claims)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=DETECTOR_PATH)
    ap.add_argument("--typer-out", type=Path, default=TYPER_PATH)
    ap.add_argument("--cv", action="store_true", help="pick C, cue weight and the override setting by grouped CV")
    ap.add_argument("--typer-only", action="store_true", help="train the typer only; leave the detector file alone")
    ap.add_argument("--c", type=float, default=TYPER_C)
    ap.add_argument("--cue-weight", type=float, default=CUE_WEIGHT)
    ap.add_argument("--override", type=float, default=0.6)
    ap.add_argument("--keep", type=float, default=0.5)
    args = ap.parse_args()
    if not args.typer_only:
        train_detector(args.out, args.threshold)
    texts, types, groups, sources = typer_data()
    if args.cv:
        c, w, override, keep = cross_validate(texts, types, groups, sources)
    else:
        c, w, override, keep = args.c, args.cue_weight, args.override, args.keep
    typer = fit_typer(texts, types, override, keep, c, w)
    args.typer_out.write_text(json.dumps(typer.__dict__, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.typer_out} ({len(typer.vocab)} grams, {len(typer.cues)} cues; {len(texts)} sentences: "
          + ", ".join(f"{s} {sources.count(s)}" for s in ("articles", "heldout", "sentences"))
          + f"; C={c}, cue weight {w}, override {override}, keep {keep})")


if __name__ == "__main__":
    main()
