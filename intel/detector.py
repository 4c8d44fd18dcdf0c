"""A learned claim-sentence detector: TF-IDF + logistic regression, stored as plain JSON.

Trained by scripts/train_claims.py on the gold set (tests/fixtures/gold/articles.jsonl); the
held-out set (heldout.jsonl) measures it. Scoring is pure Python + numpy, so run time needs no
scikit-learn and no pickle. It decides *whether* a sentence states an infrastructure claim; its
type head is only a fallback for when the claim typer (intel/typer.py) is absent. The rules still
pick actors, amounts and status.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from intel.gazetteer import MODELS_DIR

DETECTOR_PATH = MODELS_DIR / "claim_detector.json"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_DIGITS = re.compile(r"\d[\d,.]*")


def normalize(text: str) -> str:
    """The text the detector sees: lower case, every number replaced by 0."""
    return _DIGITS.sub("0", text.lower())


def features(text: str, vocab: dict[str, int], idf: list[float]) -> dict[int, float]:
    """Sublinear, L2-normalised TF-IDF of the unigrams in the vocabulary (as scikit-learn does)."""
    counts = Counter(t for t in _TOKEN.findall(normalize(text)) if t in vocab)
    vec = {vocab[t]: (1 + math.log(n)) * idf[vocab[t]] for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {i: v / norm for i, v in vec.items()}


@dataclass
class Detector:
    """Claim-sentence probability and a type guess for a sentence."""

    vocab: dict[str, int]
    idf: list[float]
    coef: list[float]
    intercept: float
    types: list[str]
    type_coef: list[list[float]]
    type_intercept: list[float]
    threshold: float
    version: str

    def probability(self, text: str) -> float:
        """P(the sentence states an infrastructure claim)."""
        x = features(text, self.vocab, self.idf)
        z = self.intercept + sum(self.coef[i] * v for i, v in x.items())
        return 1 / (1 + math.exp(-z))

    def guess_type(self, text: str) -> str:
        """The most likely claim type for a claim sentence."""
        x = features(text, self.vocab, self.idf)
        scores = [b + sum(row[i] * v for i, v in x.items())
                  for row, b in zip(self.type_coef, self.type_intercept, strict=True)]
        return self.types[max(range(len(scores)), key=scores.__getitem__)]


@lru_cache(maxsize=2)
def load_detector(path: Path = DETECTOR_PATH) -> Detector | None:
    """The trained detector, or None when the model file is absent (rules alone then decide)."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Detector(**raw)
