"""Hybrid search with citations: BM25 (FTS5) and vectors (FAISS) fused by reciprocal rank.

Filters (lab, country, claim type, source, dates) select candidate articles first, and both
retrievers rank only within them, so a filtered query finds matching articles even when they rank
low in the whole corpus (vector stores that filter after the nearest-neighbour step miss them).
"""

from __future__ import annotations

import difflib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from intel.claims import TYPES
from intel.errors import InputError
from intel.hits import RRF_K, ranked_hits
from intel.store import Mention, claim_passage_ids, keyword_search

__all__ = ["RRF_K", "Filters", "Hit", "candidate_articles", "candidate_passages", "check_query",
           "resolve_filters", "search"]

MAX_QUERY = 2000  # characters kept from a query; the rest adds nothing a model can use
PLACES = True  # a third retriever when the query names places (see intel.where)
EXACT_BELOW = 50_000  # candidate passages scored exactly rather than through the index


@dataclass
class Filters:
    """What a search is restricted to; empty lists and None mean no restriction."""

    labs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    def active(self) -> bool:
        return bool(self.labs or self.countries or self.types or self.sources or self.since or self.until)


@dataclass
class Hit:
    """One article in the results, with the passage that best answers the query (the citation)."""

    article_id: int
    title: str
    source: str
    published: str
    url: str | None
    score: float
    passage: str
    start: int
    end: int
    labs: list[str]
    countries: list[str]
    claims: list[dict]  # type: ignore[type-arg]
    story: int | None = None
    also_reported_by: list[dict] = field(default_factory=list)  # type: ignore[type-arg]

    def to_json(self) -> dict:  # type: ignore[type-arg]
        """The stable JSON contract (see README 'Search output')."""
        return {"article_id": self.article_id, "title": self.title, "source": self.source,
                "published": self.published, "url": self.url, "score": round(self.score, 6),
                "passage": {"text": self.passage, "start": self.start, "end": self.end},
                "labs": self.labs, "countries": self.countries, "claims": self.claims,
                "story": self.story, "also_reported_by": self.also_reported_by}


def check_query(query: str) -> str:
    """The query trimmed and bounded, or InputError when it is empty."""
    query = " ".join((query or "").split())
    if not query:
        raise InputError("empty query: say what to look for, e.g. intel search \"Anthropic compute deals\"")
    return query[:MAX_QUERY]


@lru_cache(maxsize=1)
def _known_names() -> tuple[dict[str, str], dict[str, str]]:
    """Lower-cased lab names and aliases -> canonical name; strong place names -> ISO code."""
    from intel.gazetteer import load_labs, strong_place_codes

    labs: dict[str, str] = {}
    for lab in load_labs():
        for name in (lab.name, *lab.aliases):
            labs.setdefault(name.lower(), lab.name)
    return labs, strong_place_codes()


def resolve_filters(engine: Engine, filters: Filters) -> Filters:
    """Canonical lab names and ISO codes for what the user typed; unknown values: closest match."""
    if not filters.active():
        return filters
    gazetteer_labs, places = _known_names()
    labs = [gazetteer_labs.get(v.strip().lower()) or _found_lab(engine, v, gazetteer_labs) for v in filters.labs]
    codes = set(places.values())
    countries = []
    for value in filters.countries:
        code = value.strip().upper()
        countries.append(code if len(code) == 2 and code in codes else _pick(value, places, "country"))
    for t in filters.types:
        if t not in TYPES:
            raise InputError(f"unknown claim type {t!r}; use one of: {', '.join(TYPES)}")
    return Filters(labs, countries, filters.types, filters.sources, filters.since, filters.until)


def _found_lab(engine: Engine, value: str, gazetteer: dict[str, str]) -> str:
    """A company found in the news but not (yet) in the gazetteer, or InputError with a suggestion."""
    with engine.connect() as conn:  # the common case, on the query path: one indexed look-up
        exact = conn.execute(select(Mention.key).where(Mention.kind == "lab", Mention.key == value.strip())
                             .limit(1)).scalar()
    if exact:
        return str(exact)
    with Session(engine) as s:
        known = dict(gazetteer)  # the slow path, only for a name we do not know
        for key in s.exec(select(Mention.key).where(Mention.kind == "lab").distinct()).all():
            known.setdefault(key.lower(), key)
    return _pick(value, known, "lab")


def _pick(value: str, known: dict[str, str], what: str) -> str:
    hit = known.get(value.strip().lower())
    if hit:
        return hit
    close = difflib.get_close_matches(value.strip().lower(), list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {known[close[0]]!r}?" if close else ""
    raise InputError(f"unknown {what} {value!r}{hint}")


def candidate_articles(engine: Engine, f: Filters) -> set[int] | None:
    """Ids of articles that pass the filters (None when nothing is filtered), in one SQL query.

    Each filter is an indexed sub-select (mentions by kind+key, claims by type, feeds by title),
    so the most selective one bounds the work whatever the corpus size.
    """
    if not f.active():
        return None
    sql, params = _candidate_sql(f)
    with engine.connect() as conn:
        return {int(r[0]) for r in conn.execute(text(sql), params)}


def candidate_passages(engine: Engine, f: Filters) -> np.ndarray | None:
    """Ids of the passages of the articles that pass the filters (None when nothing is filtered).

    One query: the candidate articles' sub-select joined to passages through their article index,
    so both retrievers can be bounded by the passages without a second look-up.
    """
    if not f.active():
        return None
    sql, params = _candidate_sql(f)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id FROM passage WHERE article_id IN ({sql})"), params).all()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def _candidate_sql(f: Filters) -> tuple[str, dict]:  # type: ignore[type-arg]
    where, params = [], {}
    if f.since:
        where.append("a.published >= :since")
        params["since"] = f.since
    if f.until:
        where.append("a.published < :until")
        params["until"] = f.until
    if f.labs:
        where.append(f"a.id IN (SELECT article_id FROM mention WHERE kind = 'lab' AND key IN ({_binds('lab', f.labs, params)}))")
    if f.countries:
        where.append("a.id IN (SELECT article_id FROM mention WHERE kind = 'country' AND key IN "
                     f"({_binds('cc', f.countries, params)}))")
    if f.types:  # with --lab too: a claim of that type by that lab
        lab_cond = f" AND lab IN ({_binds('clab', f.labs, params)})" if f.labs else ""
        where.append(f"a.id IN (SELECT article_id FROM claim WHERE type IN ({_binds('t', f.types, params)}){lab_cond})")
    if f.sources:  # a source matches its feed's title or URL, case-insensitively
        likes = []
        for n, value in enumerate(f.sources):
            params[f"src{n}"] = f"%{value.lower()}%"
            likes.append(f"lower(coalesce(fd.title, '')) LIKE :src{n} OR lower(fd.url) LIKE :src{n}")
        where.append("a.feed_id IN (SELECT id FROM feed fd WHERE " + " OR ".join(likes) + ")")
    return "SELECT a.id FROM article a WHERE " + " AND ".join(where), params


def _binds(prefix: str, values: list[str], params: dict) -> str:  # type: ignore[type-arg]
    names = []
    for n, value in enumerate(values):
        params[f"{prefix}{n}"] = value
        names.append(f":{prefix}{n}")
    return ", ".join(names)


def search(
    engine: Engine, data_dir: Path, model: str, query: str, filters: Filters | None = None,
    k: int = 10, mode: str = "hybrid",
) -> list[Hit]:
    """The k best articles for the query (hybrid, keyword or vector), grouped per article.

    A worker thread encodes the query (torch and faiss release the GIL) and then ranks by vector,
    while this thread resolves the filters, finds the candidate passages (handed to the worker)
    and ranks by keyword over them. Both rankings only ever see candidate passages.
    """
    query = check_query(query)
    depth = max(50, k * 10)
    candidates: Future[np.ndarray | None] = Future()
    places: list[str] = []
    if mode == "hybrid" and PLACES:
        from intel.where import query_countries

        places = query_countries(query)  # "in the Middle East": a third retriever (see _vector_ranking)
    vector_job = (_POOL.submit(_vector_ranking, engine, data_dir, model, query, candidates, depth, places)
                  if mode in {"hybrid", "vector"} else None)
    try:
        f = resolve_filters(engine, filters or Filters())
        allowed = candidate_passages(engine, f)
        candidates.set_result(allowed)
    except BaseException as exc:
        candidates.set_exception(exc)  # the worker must not wait for candidates that never come
        raise
    if allowed is not None and not len(allowed):
        return []
    rankings = []
    if mode in {"hybrid", "keyword"}:
        rankings.append(keyword_search(engine, query, None, depth, k, passage_ids=allowed))
    if vector_job is not None:
        rankings.extend(vector_job.result())
    return ranked_hits(engine, rankings, k)


def _one_omp_thread() -> None:
    """Worker start: faiss searches from this thread on one OpenMP thread (a per-thread setting).

    A single-query flat search is bound by memory bandwidth: a second thread halved nothing but
    the CPU left to SQLite and the encoder (12 ms wall either way at 100k vectors).
    """
    import faiss

    faiss.omp_set_num_threads(1)


# long-lived workers for the vector side (no thread start per query); threads start on first use
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="intel-search", initializer=_one_omp_thread)


@lru_cache(maxsize=256)
def _query_vector(model: str, query: str) -> np.ndarray:
    """The query's embedding; recent queries are kept (a dashboard re-runs a query per filter)."""
    from intel.embed import get_embedder

    vector = np.array(get_embedder(model).encode([query])[0], dtype=np.float32)
    vector.flags.writeable = False
    return vector


def _vector_ranking(
    engine: Engine, data_dir: Path, model: str, query: str, candidates: Future[np.ndarray | None], depth: int,
    places: list[str] | None = None,
) -> list[list[tuple[int, float]]]:
    """Passages by cosine to the query: every candidate scored exactly, or the index's nearest.

    With `places`, a second ranking: the (candidate) passages holding a claim placed in those
    countries, by the same cosine, so a region question reaches stories that never name the region.
    """
    from intel.index import get_index

    vector = _query_vector(model, query)  # before waiting: encoding overlaps the candidate query
    passage_ids = candidates.result()
    if passage_ids is not None and not len(passage_ids):
        return [[]]
    index = get_index(engine, data_dir, model)
    rankings = [_nearest(index, vector, passage_ids, depth)]
    if places:
        placed = claim_passage_ids(engine, places)
        if passage_ids is not None:
            placed = np.intersect1d(placed, passage_ids, assume_unique=True)
        rankings.append(index.exact_top(vector, placed, depth) if len(placed) else [])
    return rankings


def _nearest(index, vector: np.ndarray, passage_ids: np.ndarray | None, depth: int) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
    if passage_ids is not None and len(passage_ids) <= EXACT_BELOW:
        return index.exact_top(vector, passage_ids, depth)  # every candidate, scored exactly
    if passage_ids is None:
        return index.search(vector, depth)
    allowed = set(passage_ids.tolist())
    found: list[tuple[int, float]] = []
    wide = depth * 4
    while not found and wide <= index.count * 2:  # widen until enough candidates survive the filter
        found = [(i, s) for i, s in index.search(vector, wide) if i in allowed][:depth]
        wide *= 4
    return found
