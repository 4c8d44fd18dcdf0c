"""Train the claim-sentence detector on the gold set and write models/claim_detector.json.

Run: .venv/bin/python scripts/train_claims.py [--threshold 0.5]
Sentences come from spaCy's sentence split of each gold article; a sentence is positive when a
gold claim's evidence covers it. The held-out set is never used here: it measures the result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from intel.detector import _TOKEN, DETECTOR_PATH, normalize
from intel.extract import blank_dateline, build_nlp
from intel.quality import _overlap, load_gold

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "tests" / "fixtures" / "gold" / "articles.jsonl"


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


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=DETECTOR_PATH)
    args = ap.parse_args()
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
        "threshold": args.threshold,
        "version": f"tfidf-lr.v1 ({len(texts)} sentences, {sum(labels)} claims)",
    }
    args.out.write_text(json.dumps(model, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out} ({len(vec.vocabulary_)} terms; {len(texts)} sentences, {sum(labels)} claims)")


if __name__ == "__main__":
    main()
