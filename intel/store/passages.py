"""Passages: cut and embedded articles, keyword search (FTS5/BM25), vectors for the index."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterator

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, delete, select

from intel.store.tables import Article, Passage


def articles_to_index(engine: Engine, batch: int = 64) -> Iterator[list[Article]]:
    """Articles whose passages are missing or stale, in batches."""
    last = 0
    while True:
        with Session(engine) as s:
            query = select(Article).where(Article.indexed == False, col(Article.id) > last)  # noqa: E712
            rows = list(s.exec(query.order_by(col(Article.id)).limit(batch)).all())
        if not rows:
            return
        last = int(rows[-1].id or 0)
        yield rows


def save_passages(
    engine: Engine, items: list[tuple[int, list[tuple[int, int, str]], np.ndarray]], model: str
) -> list[tuple[int, np.ndarray]]:
    """Replace the passages of these articles and mark them indexed; return (passage id, vector)."""
    out: list[tuple[int, np.ndarray]] = []
    with Session(engine) as s:
        ids = [article_id for article_id, _, _ in items]
        s.exec(delete(Passage).where(col(Passage.article_id).in_(ids)))  # type: ignore[call-overload]
        rows = []
        for article_id, spans, vectors in items:
            for (start, end, body), vec in zip(spans, vectors, strict=True):
                row = Passage(article_id=article_id, start=start, end=end, text=body,
                              embedding=np.asarray(vec, dtype=np.float32).tobytes(), model=model)
                s.add(row)
                rows.append((row, vec))
            article = s.get(Article, article_id)
            if article is not None:
                article.indexed = True
        s.flush()
        out = [(int(row.id or 0), vec) for row, vec in rows]
        s.commit()
    return out


def passage_vectors(engine: Engine, model: str, ids: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 matrix) of the passages embedded with `model` (all, or these ids)."""
    with Session(engine) as s:
        query = select(Passage.id, Passage.embedding).where(Passage.model == model)
        if ids is not None:
            query = query.where(col(Passage.id).in_(ids))
        rows = s.exec(query.order_by(col(Passage.id))).all()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    matrix = np.vstack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows])
    return np.array([i for i, _ in rows], dtype=np.int64), matrix


def passage_ids_checksum(engine: Engine, model: str) -> tuple[int, str]:
    """How many passages carry `model` embeddings, and a checksum of their ids (index agreement)."""
    with Session(engine) as s:
        ids = s.exec(select(Passage.id).where(Passage.model == model).order_by(col(Passage.id))).all()
    return len(ids), ids_checksum(np.array(ids, dtype=np.int64))


def ids_checksum(ids: np.ndarray) -> str:
    """A checksum of a set of ids, independent of their order."""
    return hashlib.sha1(np.sort(ids.astype(np.int64)).tobytes()).hexdigest()


STOPWORDS = set("""a an and are as at be been being by can could did do does for from had has have how in
into is it its of on or over than that the their them there these they this those to was were what
when where which who whom whose why will with would about after all also any more most new other our
out some such up we you your""".split())


def keyword_search(
    engine: Engine, query: str, article_ids: set[int] | None, limit: int, enough: int | None = None,
    passage_ids: Collection[int] | None = None,
) -> list[tuple[int, float]]:
    """(passage id, score) by BM25 over FTS5, best first (higher is better), within these articles.

    `passage_ids`, when the caller already has the candidate passages, bounds the search the same
    way as `article_ids` without looking their passages up again.
    """
    terms = [t for t in re.findall(r"\w+", query.lower()) if len(t) > 1 and t not in STOPWORDS][:32]
    if not terms:
        return []
    scope: tuple[str, str] | None = None
    if passage_ids is not None:
        scope = ("+rowid IN (SELECT value FROM json_each(:scope))", json.dumps([int(i) for i in passage_ids]))
    elif article_ids is not None:
        scope = ("+rowid IN (SELECT id FROM passage WHERE article_id IN (SELECT value FROM json_each(:scope)))",
                 json.dumps([int(i) for i in article_ids]))
    # all terms first (selective, fast on common words); any term when that finds too little,
    # leaving out terms in more than a tenth of passages: they barely move BM25 and cost a scan
    rows = _bm25(engine, " ".join(f'"{t}"' for t in terms), scope, limit)
    if len(rows) < (enough or limit) and len(terms) > 1:
        seen = {r[0] for r in rows}
        rows += [r for r in _bm25(engine, " OR ".join(f'"{t}"' for t in _informative(engine, terms)),
                                  scope, limit) if r[0] not in seen][: limit - len(rows)]
    return rows


def _informative(engine: Engine, terms: list[str]) -> list[str]:
    """The terms without the very common ones (at least the two rarest are kept)."""
    with engine.connect() as conn:
        total = conn.execute(text("SELECT COUNT(*) FROM passage")).scalar() or 1
        binds = ", ".join(f":t{i}" for i in range(len(terms)))
        params = {f"t{i}": t for i, t in enumerate(terms)}
        try:
            df = dict(conn.execute(text(f"SELECT term, doc FROM passage_vocab WHERE term IN ({binds})"), params).all())
        except OperationalError:  # a store without the vocab table (not SQLite): keep every term
            return terms
    # the porter stemmer may have changed a term: an unseen term counts as rare
    ranked = sorted(terms, key=lambda t: df.get(t, 0))
    keep = [t for t in ranked if df.get(t, 0) <= total / 10]
    return keep if len(keep) >= 2 else ranked[:2]


def _bm25(engine: Engine, match: str, scope: tuple[str, str] | None, limit: int) -> list[tuple[int, float]]:
    """BM25 over FTS5, optionally only over a scope of candidate passages.

    The scope is a `+rowid IN (...)` test: the unary plus keeps SQLite from handing it to FTS5 as
    a rowid look-up (which would re-run the full-text query once per candidate); instead FTS5
    walks the doclists once and SQLite tests each match against an in-memory set, so BM25 is
    computed only for candidate rows (joining through the passage table cost 3-6x more).
    """
    sql = "SELECT rowid, bm25(passage_fts) AS r FROM passage_fts WHERE passage_fts MATCH :q"
    params: dict[str, object] = {"q": match, "n": limit}
    if scope is not None:
        sql += " AND " + scope[0]
        params["scope"] = scope[1]
    with engine.connect() as conn:
        rows = conn.execute(text(sql + " ORDER BY r LIMIT :n"), params).all()
    return [(int(r[0]), -float(r[1])) for r in rows]


def passage_owners(engine: Engine, ids: Collection[int]) -> dict[int, tuple[int, int | None]]:
    """Passage id -> (article id, story id), for ranked passages (raw SQL: on the query path)."""
    out: dict[int, tuple[int, int | None]] = {}
    ordered = sorted({int(i) for i in ids})
    with engine.connect() as conn:
        for i in range(0, len(ordered), 900):
            binds = ", ".join(str(x) for x in ordered[i : i + 900])  # ints only: safe to inline
            for pid, article_id, story in conn.execute(text(
                    "SELECT p.id, p.article_id, a.story_id FROM passage p JOIN article a ON a.id = p.article_id "
                    f"WHERE p.id IN ({binds})")):
                out[int(pid)] = (int(article_id), None if story is None else int(story))
    return out


def passage_max_id(engine: Engine) -> int:
    """Cheap agreement probe for queries: the largest passage id (a primary-key look-up).

    New passages always raise it; passages deleted since the index was loaded only leave ids
    that match no row, which searches skip and the next `intel ingest` or `reindex` removes.
    """
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM passage")).scalar() or 0)


def passages_by_ids(engine: Engine, ids: list[int]) -> dict[int, Passage]:
    """Passage rows by id."""
    with Session(engine) as s:
        return {int(p.id or 0): p for p in s.exec(select(Passage).where(col(Passage.id).in_(ids))).all()}


def hit_articles(engine: Engine, article_ids: Collection[int]) -> list[dict]:  # type: ignore[type-arg]
    """The articles shown in search hits: these, and every other member of their stories, with their
    feed, oldest first; only the columns a hit shows (no article text), in one query."""
    from sqlalchemy import select as core_select

    from intel.store.tables import Feed

    a, f = Article.__table__.c, Feed.__table__.c  # type: ignore[attr-defined]
    ids = [int(i) for i in article_ids]
    stories = core_select(a.story_id).where(a.id.in_(ids), a.story_id.is_not(None))
    query = (core_select(a.id, a.title, a.url, a.published, a.story_id, f.title, f.url)
             .join_from(Article.__table__, Feed.__table__, a.feed_id == f.id)
             .where(a.id.in_(ids) | a.story_id.in_(stories)).order_by(a.published))
    with engine.connect() as conn:
        return [{"id": int(r[0]), "title": r[1], "url": r[2], "published": r[3], "story_id": r[4],
                 "source": r[5] or r[6]} for r in conn.execute(query)]


def passage_texts(engine: Engine, ids: Collection[int]) -> dict[int, tuple[str, int, int]]:
    """Passage id -> (text, start, end), without the embedding."""
    with engine.connect() as conn:
        rows = conn.execute(select(Passage.id, Passage.text, Passage.start, Passage.end)
                            .where(col(Passage.id).in_([int(i) for i in ids])))
        return {int(r[0]): (r[1], int(r[2]), int(r[3])) for r in rows}


def passage_ids_for_articles(engine: Engine, article_ids: set[int]) -> set[int]:
    """Ids of every passage of these articles (raw SQL: this is on the query path)."""
    out: set[int] = set()
    ordered = sorted(article_ids)
    with engine.connect() as conn:
        for i in range(0, len(ordered), 900):
            chunk = ordered[i : i + 900]
            binds = ", ".join(str(int(x)) for x in chunk)  # ints only: safe to inline
            out.update(r[0] for r in conn.execute(text(f"SELECT id FROM passage WHERE article_id IN ({binds})")))
    return out


def story_inputs(engine: Engine, model: str) -> list[tuple[int, int, object, set[str], set[str], np.ndarray]]:
    """Per indexed article: (id, feed id, published, labs, countries, mean passage vector)."""
    from intel.store.tables import Mention

    with Session(engine) as s:
        arts = {int(a.id or 0): a for a in s.exec(select(Article).where(Article.indexed == True))}  # noqa: E712
        sums: dict[int, np.ndarray] = {}
        for article_id, blob in s.exec(select(Passage.article_id, Passage.embedding).where(Passage.model == model)):
            if blob is not None:
                vec = np.frombuffer(blob, dtype=np.float32)
                sums[article_id] = sums[article_id] + vec if article_id in sums else vec.copy()
        labs: dict[int, set[str]] = {}
        places: dict[int, set[str]] = {}
        for m in s.exec(select(Mention)):
            (labs if m.kind == "lab" else places).setdefault(m.article_id, set()).add(m.key)
    out = []
    for article_id, vec in sums.items():
        art = arts.get(article_id)
        if art is None:
            continue
        norm = float(np.linalg.norm(vec)) or 1.0
        out.append((article_id, art.feed_id, art.published, labs.get(article_id, set()),
                    places.get(article_id, set()), vec / norm))
    return out


def save_stories(engine: Engine, mapping: dict[int, int]) -> None:
    """Store each article's story id."""
    with Session(engine) as s:
        for article_id, story in mapping.items():
            art = s.get(Article, article_id)
            if art is not None and art.story_id != story:
                art.story_id = story
        s.commit()



def claim_passage_ids(engine: Engine, countries: list[str]) -> np.ndarray:
    """Ids of the passages that hold a claim placed in one of these countries (indexed by country).

    Kept per store state: the same region question comes back often (a dashboard re-runs it per
    filter), and any new claim or passage changes the probe (max ids), which drops the entry.
    """
    if not countries:
        return np.empty(0, dtype=np.int64)
    with engine.connect() as conn:
        probe = tuple(conn.execute(text(
            "SELECT (SELECT coalesce(max(id), 0) FROM claim), (SELECT coalesce(max(id), 0) FROM passage)")).one())
    key = (str(engine.url), tuple(sorted(countries)))
    hit = _PLACED.get(key)
    if hit is not None and hit[0] == probe:
        return hit[1]
    ids = _claim_passage_ids(engine, countries)
    if len(_PLACED) > 64:
        _PLACED.clear()
    _PLACED[key] = (probe, ids)
    return ids


_PLACED: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, ...], np.ndarray]] = {}


def _claim_passage_ids(engine: Engine, countries: list[str]) -> np.ndarray:
    sql = ("SELECT DISTINCT p.id FROM claim c JOIN passage p ON p.article_id = c.article_id "
           "AND c.start >= p.start AND c.start < p.\"end\" WHERE c.country IN (SELECT value FROM json_each(:cc))")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"cc": json.dumps(countries)}).all()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
