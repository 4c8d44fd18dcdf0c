"""Stories: articles from different outlets that report the same event, grouped.

Two articles join when they come from different feeds, were published within a few days of each
other, their embeddings are close (mean of passage vectors, cosine), and they share a lab (or,
when neither names one, a country). Groups are the connected components (union-find), so a
story told by three outlets holds together even when one pair is weaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

WINDOW = timedelta(days=3)
THRESHOLD = 0.58  # cosine of mean passage vectors; chosen on the sample's labelled pairs


@dataclass
class StoryInput:
    """What grouping needs to know about one article."""

    id: int
    feed_id: int
    published: datetime
    labs: frozenset[str]
    countries: frozenset[str]
    vector: np.ndarray  # normalised


def _related(a: StoryInput, b: StoryInput, threshold: float) -> bool:
    if a.feed_id == b.feed_id:
        return False  # one outlet's follow-ups are separate articles, not corroboration
    if a.labs or b.labs:
        if not a.labs & b.labs:
            return False
    elif not a.countries & b.countries:
        return False
    return float(a.vector @ b.vector) >= threshold


def group_stories(items: Sequence[StoryInput], window: timedelta = WINDOW,
                  threshold: float = THRESHOLD) -> dict[int, int]:
    """Article id -> story id (the smallest article id in its group); singletons map to themselves."""
    ordered = sorted(items, key=lambda x: x.published)
    parent = {x.id: x.id for x in ordered}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n, a in enumerate(ordered):
        for b in ordered[n + 1 :]:
            if b.published - a.published > window:
                break
            if _related(a, b, threshold):
                ra, rb = find(a.id), find(b.id)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    return {x.id: find(x.id) for x in ordered}


def corroborate(members: list[tuple[str, list[dict]]]) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    """Per (lab, type) across a story's articles: how many outlets state it, and differing figures.

    `members` is (source, claims) per article. Figures disagree when claims of the same lab, type
    and unit carry values more than 10% apart; each figure is kept with its source.
    """
    groups: dict[tuple[str, str], list[tuple[str, dict]]] = {}  # type: ignore[type-arg]
    for source, claims in members:
        for claim in claims:
            groups.setdefault((claim["lab"], claim["type"]), []).append((source, claim))
    out: dict[tuple[str, str], dict] = {}  # type: ignore[type-arg]
    for key, items in groups.items():
        figures = [{"source": src, "amount": c["amount"], "value": c["value"], "unit": c["unit"]}
                   for src, c in items if c.get("value")]
        differ = []
        for unit in {f["unit"] for f in figures}:
            same = [f for f in figures if f["unit"] == unit]
            values = [f["value"] for f in same]
            if len({f["source"] for f in same}) > 1 and max(values) > 1.1 * min(values):
                differ.extend(same)
        out[key] = {"corroboration": len({src for src, _ in items}), "figures_differ": differ}
    return out


def pairwise_scores(predicted: dict[int, int], gold_groups: list[set[int]]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping against labelled groups."""
    def pairs(groups: list[set[int]]) -> set[tuple[int, int]]:
        out = set()
        for g in groups:
            members = sorted(g)
            out.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
        return out

    by_story: dict[int, set[int]] = {}
    for article, story in predicted.items():
        by_story.setdefault(story, set()).add(article)
    pred, gold = pairs(list(by_story.values())), pairs(gold_groups)
    tp = len(pred & gold)
    return (tp / len(pred) if pred else 1.0), (tp / len(gold) if gold else 1.0)


def update_stories(engine, model: str, threshold: float = THRESHOLD) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Regroup every indexed article into stories and store the result."""
    from intel.store import save_stories, story_inputs

    items = [StoryInput(i, f, p, frozenset(labs), frozenset(places), v)
             for i, f, p, labs, places, v in story_inputs(engine, model)]
    mapping = group_stories(items, threshold=threshold)
    save_stories(engine, mapping)
    return mapping
