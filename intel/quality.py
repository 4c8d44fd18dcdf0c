"""Extraction quality against a labelled gold set: precision, recall, F1 (pure)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from intel.gazetteer import Lab

_SUFFIX = re.compile(r"\b(?:inc|corp|corporation|co|ltd|limited|llc|plc|group|holdings|platforms)\b\.?", re.I)


@dataclass
class Score:
    """Counts and the derived precision, recall and F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gold: set, pred: set) -> None:  # type: ignore[type-arg]
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)


def load_gold(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """Gold articles: one JSON object per line (see tests/fixtures/gold/README.md)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def lab_key(name: str, index: dict[str, str]) -> str:
    """A comparable key for a lab name: its gazetteer id when known, else a normalised name."""
    low = name.strip().lower()
    if low in index:
        return index[low]
    bare = " ".join(_SUFFIX.sub("", low).split())
    return index.get(bare, bare)


def name_index(labs: list[Lab]) -> dict[str, str]:
    """Lower-cased names and aliases -> lab id (parents map children where news conflates them)."""
    index: dict[str, str] = {}
    for lab in labs:
        for name in (lab.name, *lab.aliases, *lab.ambiguous):
            index.setdefault(name.lower(), lab.id)
    return index


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter > 0.5 * min(a[1] - a[0], b[1] - b[0])


@dataclass
class Report:
    """All figures for one evaluation run."""

    labs: Score
    countries: Score
    claim_sentences: Score
    claims: Score  # (sentence, lab) pairs
    type_correct: int = 0
    type_total: int = 0

    @property
    def type_accuracy(self) -> float:
        return self.type_correct / self.type_total if self.type_total else 1.0

    def lines(self) -> list[str]:
        """Human-readable lines."""
        rows = [("labs", self.labs), ("countries", self.countries),
                ("claim detection (evidence sentence)", self.claim_sentences),
                ("claims (sentence + lab)", self.claims)]
        out = [f"{n:38} P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f}  (tp={s.tp} fp={s.fp} fn={s.fn})"
               for n, s in rows]
        out.append(f"{'claim type accuracy (matched claims)':38} {self.type_accuracy:.3f}  "
                   f"({self.type_correct}/{self.type_total})")
        return out


def _fold_key(key: str, gold: set[str], parents: dict[str, str | None]) -> str:
    """A sub-brand found where the gold names its parent (Stargate UAE / Stargate) counts as the parent."""
    parent = parents.get(key)
    return parent if key not in gold and parent in gold else key  # type: ignore[return-value]


def _fold(pred: set[str], gold: set[str], parents: dict[str, str | None]) -> set[str]:
    return {_fold_key(p, gold, parents) for p in pred}


def evaluate(gold: list[dict], predicted: list, labs: list[Lab]) -> Report:  # type: ignore[type-arg]
    """Compare extractions (one per gold article, same order) with the gold labels."""
    index = name_index(labs)
    parents = {lab.id: lab.parent for lab in labs}
    rep = Report(Score(), Score(), Score(), Score())
    for art, ext in zip(gold, predicted, strict=True):
        gold_labs = {lab_key(x, index) for x in art["labs"]}
        rep.labs.add(gold_labs, _fold({lab_key(x, index) for x in ext.labs}, gold_labs, parents))
        rep.countries.add(set(art["countries"]), set(ext.countries))
        gold_spans = {}
        for c in art["claims"]:
            start = art["text"].find(c["evidence"])
            gold_spans.setdefault((start, start + len(c["evidence"])), []).append(c)
        pred_spans: dict[tuple[int, int], list] = {}  # type: ignore[type-arg]
        for c in ext.claims:
            pred_spans.setdefault((c.start, c.end), []).append(c)
        matched = {g: next((p for p in pred_spans if _overlap(g, p)), None) for g in gold_spans}
        hit_pred = {p for p in matched.values() if p}
        rep.claim_sentences.tp += sum(1 for p in matched.values() if p)
        rep.claim_sentences.fn += sum(1 for p in matched.values() if p is None)
        rep.claim_sentences.fp += len(set(pred_spans) - hit_pred)
        for g, p in matched.items():
            gold_by_lab = {lab_key(c["lab"], index): c for c in gold_spans[g]}
            pred_by_lab = {_fold_key(lab_key(c.lab, index), set(gold_by_lab), parents): c
                           for c in pred_spans.get(p, [])} if p else {}
            rep.claims.add(set(gold_by_lab), set(pred_by_lab))
            for key in set(gold_by_lab) & set(pred_by_lab):
                rep.type_total += 1
                rep.type_correct += gold_by_lab[key]["type"] == pred_by_lab[key].type
        for p in set(pred_spans) - hit_pred:
            rep.claims.fp += len({c.lab for c in pred_spans[p]})
    return rep
