"""Read-only queries behind the dashboard: claims with their citations, facets, one article, stories.

Raw SQL over indexed columns: these run on every page view, on stores of tens of thousands of
articles. Values are always bound, never formatted into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

CLAIM_COLUMNS = ("claim_id", "type", "lab", "counterparty", "country", "status", "amount", "value", "unit",
                 "evidence", "start", "end", "article_id", "title", "url", "published", "source", "story")


@dataclass
class Scope:
    """What the browsing pages are restricted to (canonical values; empty means everything)."""

    labs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # feed titles (or URLs where untitled)
    since: datetime | None = None
    until: datetime | None = None


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")  # the store's text form of a datetime


def _in(prefix: str, values: list[Any], params: dict[str, Any]) -> str:
    names = []
    for n, value in enumerate(values):
        params[f"{prefix}{n}"] = value
        names.append(f":{prefix}{n}")
    return ", ".join(names)


def _scope_sql(scope: Scope, params: dict[str, Any]) -> str:
    where = ["1 = 1"]
    if scope.labs:
        where.append(f"c.lab IN ({_in('lab', scope.labs, params)})")
    if scope.countries:
        where.append(f"c.country IN ({_in('cc', scope.countries, params)})")
    if scope.types:
        where.append(f"c.type IN ({_in('t', scope.types, params)})")
    if scope.sources:
        where.append(f"coalesce(f.title, f.url) IN ({_in('src', scope.sources, params)})")
    if scope.since:
        params["since"] = _day(scope.since)
        where.append("a.published >= :since")
    if scope.until:
        params["until"] = _day(scope.until)
        where.append("a.published < :until")
    return " AND ".join(where)


def claim_rows(engine: Engine, scope: Scope | None = None, limit: int | None = None,
               claim_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Claims in scope, newest first, each with its citation (article, source, date, URL, span)."""
    params: dict[str, Any] = {}
    where = _scope_sql(scope or Scope(), params)
    if claim_ids is not None:
        where += f" AND c.id IN ({_in('cid', [int(i) for i in claim_ids] or [-1], params)})"
    sql = ("SELECT c.id, c.type, c.lab, c.counterparty, c.country, c.status, c.amount, c.value, c.unit, "
           "c.evidence, c.start, c.\"end\", a.id, a.title, coalesce(a.url, a.link), a.published, "
           "coalesce(f.title, f.url), coalesce(a.story_id, a.id) "
           "FROM claim c JOIN article a ON a.id = c.article_id JOIN feed f ON f.id = a.feed_id "
           f"WHERE {where} ORDER BY a.published DESC, c.id")
    if limit:
        sql += f" LIMIT {int(limit)}"
    with engine.connect() as conn:
        return [dict(zip(CLAIM_COLUMNS, _published(row), strict=True)) for row in conn.execute(text(sql), params)]


def _published(row: Any) -> list[Any]:
    values = list(row)
    values[15] = _as_datetime(values[15])
    return values


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def facet_values(engine: Engine) -> dict[str, Any]:
    """What the filters can offer: labs and countries with claim counts, types, sources, date range."""
    with engine.connect() as conn:
        labs = [(r[0], int(r[1])) for r in conn.execute(text(
            "SELECT lab, count(*) FROM claim GROUP BY lab ORDER BY count(*) DESC, lab"))]
        countries = [(r[0], int(r[1])) for r in conn.execute(text(
            "SELECT key, count(DISTINCT article_id) FROM mention WHERE kind = 'country' "
            "GROUP BY key ORDER BY count(DISTINCT article_id) DESC, key"))]
        types = [r[0] for r in conn.execute(text("SELECT DISTINCT type FROM claim ORDER BY type"))]
        sources = [r[0] for r in conn.execute(text(
            "SELECT coalesce(title, url) FROM feed ORDER BY coalesce(title, url)"))]
        low, high, articles = conn.execute(text("SELECT min(published), max(published), count(*) FROM article")).one()
    return {"labs": labs, "countries": countries, "types": types, "sources": sources,
            "first": _as_datetime(low), "last": _as_datetime(high), "articles": int(articles)}


def store_version(engine: Engine) -> tuple[int, ...]:
    """A cheap fingerprint that changes whenever an ingest, extraction or regrouping writes."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT coalesce(max(id), 0) FROM article), (SELECT count(*) FROM article), "
            "(SELECT coalesce(max(id), 0) FROM claim), (SELECT count(*) FROM claim), "
            "(SELECT coalesce(max(id), 0) FROM passage), "
            "(SELECT coalesce(sum(story_id), 0) FROM article WHERE story_id IS NOT NULL), "
            "(SELECT coalesce(sum(items_total + consecutive_failures), 0) FROM feed), (SELECT count(*) FROM feed)"
        )).one()
    return tuple(int(v) for v in row)


def article_detail(engine: Engine, article_id: int) -> dict[str, Any] | None:
    """One article with its source, mentions, claims and the other outlets of its story."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT a.id, a.title, coalesce(a.url, a.link), a.published, a.text, a.summary, a.author, "
            "coalesce(f.title, f.url), a.story_id, a.date_flag FROM article a JOIN feed f ON f.id = a.feed_id "
            "WHERE a.id = :id"), {"id": int(article_id)}).first()
        if row is None:
            return None
        mentions = [dict(zip(("kind", "key", "text", "start", "end", "known"), m, strict=True))
                    for m in conn.execute(text(
                        "SELECT kind, key, text, start, \"end\", known FROM mention WHERE article_id = :id "
                        "ORDER BY start"), {"id": int(article_id)})]
        mates = []
        if row[8] is not None:
            mates = [{"article_id": r[0], "title": r[1], "url": r[2], "published": _as_datetime(r[3]), "source": r[4]}
                     for r in conn.execute(text(
                         "SELECT a.id, a.title, coalesce(a.url, a.link), a.published, coalesce(f.title, f.url) "
                         "FROM article a JOIN feed f ON f.id = a.feed_id WHERE a.story_id = :s AND a.id != :id "
                         "ORDER BY a.published"), {"s": row[8], "id": int(article_id)})]
    claims = _claims_of(engine, int(article_id))
    return {"article_id": row[0], "title": row[1], "url": row[2], "published": _as_datetime(row[3]),
            "text": row[4] or "", "summary": row[5] or "", "author": row[6], "source": row[7],
            "story": row[8], "date_flag": row[9], "mentions": mentions, "claims": claims, "also_reported_by": mates}


def _claims_of(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM claim WHERE article_id = :id"), {"id": article_id})]
    if not ids:
        return []
    return sorted(claim_rows(engine, claim_ids=ids), key=lambda c: (c["start"], c["claim_id"]))


def story_rows(engine: Engine, lab: str | None = None, since: datetime | None = None,
               limit: int = 20) -> list[dict[str, Any]]:
    """Latest stories (one row per story: its earliest headline, outlets, size), optionally of one lab."""
    params: dict[str, Any] = {"limit": int(limit)}
    where = ["1 = 1"]
    if lab:
        params["lab"] = lab
        where.append("a.id IN (SELECT article_id FROM mention WHERE kind = 'lab' AND key = :lab)")
    if since:
        params["since"] = _day(since)
        where.append("a.published >= :since")
    sql = ("SELECT coalesce(a.story_id, a.id) AS story, max(a.published) AS latest, count(*) AS n, "
           "group_concat(DISTINCT coalesce(f.title, f.url)) FROM article a JOIN feed f ON f.id = a.feed_id "
           f"WHERE {' AND '.join(where)} GROUP BY story ORDER BY latest DESC LIMIT :limit")
    with engine.connect() as conn:
        groups = list(conn.execute(text(sql), params))
        if not groups:
            return []
        heads = {}
        story_ids = [int(g[0]) for g in groups]
        head_params: dict[str, Any] = {}
        binds = _in("s", story_ids, head_params)
        for r in conn.execute(text(
                "SELECT coalesce(a.story_id, a.id), a.id, a.title, coalesce(a.url, a.link), coalesce(f.title, f.url), "
                "a.published FROM article a JOIN feed f ON f.id = a.feed_id "
                f"WHERE coalesce(a.story_id, a.id) IN ({binds}) ORDER BY a.published"), head_params):
            heads.setdefault(int(r[0]), []).append(
                {"article_id": r[1], "title": r[2], "url": r[3], "source": r[4], "published": _as_datetime(r[5])})
    out = []
    for g in groups:
        members = heads.get(int(g[0]), [])
        if not members:
            continue
        out.append({"story": int(g[0]), "latest": _as_datetime(g[1]), "articles": int(g[2]),
                    "head": members[0], "members": members,
                    "sources": sorted({m["source"] for m in members})})
    return out
