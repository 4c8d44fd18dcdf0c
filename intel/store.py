"""SQLModel tables, the engine, and the functions that read and write them.

SQLite (WAL, foreign keys on) is the default and the source of truth; every other store
(the vector index) is a cache rebuilt from it. Times are aware UTC throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, event, func
from sqlalchemy import Index as SAIndex
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from intel.config import Settings
from intel.errors import InputError


def utcnow() -> datetime:
    """Now, as aware UTC (the store's convention)."""
    return datetime.now(UTC)


class Feed(SQLModel, table=True):
    """A subscribed feed and its health."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, index=True)
    title: str | None = None
    site_url: str | None = None
    category: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    created: datetime = Field(default_factory=utcnow)
    last_checked: datetime | None = None
    last_ok: datetime | None = None
    last_status: int | None = None  # HTTP status of the last fetch
    health: str = "new"  # new | ok | warning | error
    last_error: str | None = None
    last_error_at: datetime | None = None
    parse_problem: str | None = None  # what was wrong with the last body parsed (salvaged)
    consecutive_failures: int = 0
    entries_last: int = 0  # entries seen in the last parsed body
    new_last: int = 0
    items_total: int = 0  # articles stored from this feed


class Article(SQLModel, table=True):
    """One stored article, deduplicated by content hash, feed GUID and canonical URL."""

    __table_args__ = (SAIndex("ix_article_feed_guid", "feed_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True, ondelete="CASCADE")
    url: str | None = Field(default=None, index=True)  # canonical: tracking params removed
    link: str | None = None  # as the feed gave it, resolved
    guid: str | None = None
    title: str = ""
    author: str | None = None
    published: datetime = Field(index=True)
    date_flag: str | None = None  # missing | assumed_utc | date_only | future | ...
    updated: datetime | None = None
    fetched: datetime = Field(default_factory=utcnow)
    summary: str = ""
    text: str = ""
    content_hash: str = Field(unique=True)
    language: str | None = None
    summary_only: bool = False
    full_text: bool = False  # text came from fetching the article page
    extracted_with: str | None = Field(default=None, index=True)  # extractor version; None = pending


class Mention(SQLModel, table=True):
    """A lab or country found in an article's text, with its character span."""

    __table_args__ = (SAIndex("ix_mention_kind_key", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    kind: str  # lab | country
    key: str  # canonical lab name, or ISO 3166-1 alpha-2
    text: str
    start: int
    end: int
    known: bool = True  # False: a company the gazetteer does not know yet


class Claim(SQLModel, table=True):
    """One actor's infrastructure action or plan, cited to the sentence that states it."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    lab: str = Field(index=True)
    type: str = Field(index=True)
    counterparty: str | None = None
    country: str | None = Field(default=None, index=True)
    status: str | None = None
    amount: str | None = None
    value: float | None = None
    unit: str | None = None
    evidence: str
    start: int
    end: int
    extractor: str


class IngestRun(SQLModel, table=True):
    """One `intel ingest` run; a row left 'running' means a run was interrupted."""

    id: int | None = Field(default=None, primary_key=True)
    started: datetime = Field(default_factory=utcnow)
    finished: datetime | None = None
    status: str = "running"
    feeds_ok: int = 0
    feeds_failed: int = 0
    new: int = 0
    duplicate: int = 0
    updated: int = 0
    skipped: int = 0


@dataclass
class ArticleDraft:
    """An entry as parsed from a feed, ready for dedupe and storage."""

    title: str
    text: str
    summary: str
    content_hash: str
    published: datetime
    url: str | None = None
    link: str | None = None
    guid: str | None = None
    guid_collision: bool = False  # the feed reused this GUID for different items
    author: str | None = None
    date_flag: str | None = None
    updated: datetime | None = None
    language: str | None = None
    summary_only: bool = False
    full_text: bool = False


@dataclass
class FetchOutcome:
    """What fetching and parsing one feed produced, ready to record."""

    health: str  # ok | not_modified | warning | error
    http_status: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    site_url: str | None = None
    drafts: list[ArticleDraft] = field(default_factory=list)
    skipped: int = 0
    repeats: int = 0


@dataclass
class SaveCounts:
    """Counts of what a save did."""

    new: int = 0
    duplicate: int = 0
    updated: int = 0
    skipped: int = 0


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_store(settings: Settings) -> Engine:
    """Open (creating and migrating as needed) the database named by the settings."""
    from intel.migrations import migrate

    url = settings.db_url
    if url.startswith("sqlite"):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    with engine.begin() as conn:
        migrate(conn)
    return engine


# --- feeds -------------------------------------------------------------------


def add_feeds(engine: Engine, feeds: list[dict[str, str | None]]) -> tuple[list[Feed], list[str]]:
    """Add feeds given as dicts with url (and title, site_url, category); return (added, known)."""
    added: list[Feed] = []
    known: list[str] = []
    with Session(engine) as s:
        for spec in feeds:
            url = spec["url"] or ""
            if s.exec(select(Feed).where(Feed.url == url)).first() or url in {f.url for f in added}:
                known.append(url)
                continue
            feed = Feed(url=url, title=spec.get("title"), site_url=spec.get("site_url"),
                        category=spec.get("category"))
            s.add(feed)
            added.append(feed)
        s.commit()
        for feed in added:
            s.refresh(feed)
    return added, known


def list_feeds(engine: Engine, urls: list[str] | None = None) -> list[Feed]:
    """Feeds in id order, optionally only those with the given URLs (unknown URL: InputError)."""
    with Session(engine) as s:
        query = select(Feed).order_by(col(Feed.id))
        if urls:
            query = query.where(col(Feed.url).in_(urls))
        feeds = list(s.exec(query).all())
    missing = set(urls or []) - {f.url for f in feeds}
    if missing:
        raise InputError(f"not a subscribed feed: {sorted(missing)[0]} (see `intel feeds list`)")
    return feeds


def remove_feeds(engine: Engine, urls: list[str]) -> int:
    """Unsubscribe feeds and delete their articles; return how many were removed."""
    feeds = list_feeds(engine, urls)
    with Session(engine) as s:
        for feed in feeds:
            s.delete(s.get(Feed, feed.id))
        s.commit()
    return len(feeds)


# --- articles ----------------------------------------------------------------


class _Known:
    """The stored articles a batch of drafts could repeat, looked up in three IN queries."""

    def __init__(self, s: Session, feed_id: int, drafts: list[ArticleDraft]) -> None:
        self.feed_id = feed_id
        self.by_hash: dict[str, Article] = {}
        self.by_guid: dict[str, Article] = {}
        self.by_url: dict[tuple[str, str], Article] = {}
        for rows in (
            _chunked_in(s, col(Article.content_hash), [d.content_hash for d in drafts]),
            _chunked_in(s, col(Article.guid), [d.guid for d in drafts if d.guid], feed_id),
            _chunked_in(s, col(Article.url), [d.url for d in drafts if d.url and d.title]),
        ):
            for row in rows:
                self.remember(row)

    def remember(self, row: Article) -> None:
        self.by_hash[row.content_hash] = row
        if row.guid and row.feed_id == self.feed_id:
            self.by_guid.setdefault(row.guid, row)
        if row.url and row.title:
            self.by_url.setdefault((row.url, row.title), row)

    def match(self, d: ArticleDraft) -> tuple[Article | None, bool]:
        """The stored article this draft repeats, and whether it is an update of it."""
        if d.content_hash in self.by_hash:
            return self.by_hash[d.content_hash], False
        if d.guid and not d.guid_collision and d.guid in self.by_guid:
            return self.by_guid[d.guid], True
        if d.url and d.title and (d.url, d.title) in self.by_url:
            row = self.by_url[(d.url, d.title)]  # an untitled item on a shared URL may differ
            return row, row.feed_id == self.feed_id
        return None, False


def _chunked_in(s: Session, column, values: list, feed_id: int | None = None) -> list[Article]:  # type: ignore[no-untyped-def,type-arg]
    rows: list[Article] = []
    unique = sorted(set(values))
    for i in range(0, len(unique), 500):
        query = select(Article).where(column.in_(unique[i : i + 500]))
        if feed_id is not None:
            query = query.where(Article.feed_id == feed_id)
        rows.extend(s.exec(query).all())
    return rows


def _apply_update(row: Article, d: ArticleDraft) -> None:
    for name in ("title", "text", "summary", "content_hash", "author", "language",
                 "summary_only", "full_text", "link"):
        setattr(row, name, getattr(d, name))
    row.updated = d.updated or utcnow()


def save_fetch(engine: Engine, feed_id: int, outcome: FetchOutcome) -> SaveCounts:
    """Record one feed's fetch: its health and its new articles, in one transaction.

    One transaction per feed keeps a crash harmless: either the articles and the feed's new
    ETag land together, or neither does and the next run fetches the feed again.
    """
    counts = SaveCounts(skipped=outcome.skipped, duplicate=outcome.repeats)
    now = utcnow()
    with Session(engine) as s:
        feed = s.get(Feed, feed_id)
        if feed is None:
            return counts
        known = _Known(s, feed_id, outcome.drafts)
        for d in outcome.drafts:
            match, is_update = known.match(d)
            if match is None:
                row = Article(feed_id=feed_id, **_draft_fields(d), fetched=now)
                s.add(row)
                known.remember(row)
                counts.new += 1
            elif is_update:
                del known.by_hash[match.content_hash]
                _apply_update(match, d)
                known.remember(match)
                counts.updated += 1
            else:
                counts.duplicate += 1
        _record_health(feed, outcome, counts, now)
        s.commit()
    with Session(engine) as s:
        feed = s.get(Feed, feed_id)
        if feed is not None:
            total = s.exec(select(func.count()).where(Article.feed_id == feed_id)).one()
            feed.items_total = int(total)
            s.commit()
    return counts


def _draft_fields(d: ArticleDraft) -> dict[str, object]:
    skip = {"guid_collision"}
    return {k: v for k, v in d.__dict__.items() if k not in skip}


def _record_health(feed: Feed, outcome: FetchOutcome, counts: SaveCounts, now: datetime) -> None:
    feed.last_checked = now
    feed.last_status = outcome.http_status
    if outcome.health == "error":
        feed.health = "error"
        feed.consecutive_failures += 1
        feed.last_error, feed.last_error_at = outcome.error, now
        return
    feed.last_ok = now
    feed.consecutive_failures = 0
    if outcome.health == "not_modified":  # same body as last time: same verdict on it
        feed.health = "warning" if feed.parse_problem else "ok"
        return
    feed.health = "warning" if outcome.health == "warning" else "ok"
    feed.parse_problem = outcome.error
    if outcome.error:
        feed.last_error, feed.last_error_at = outcome.error, now
    feed.etag, feed.last_modified = outcome.etag, outcome.last_modified
    feed.title = outcome.title or feed.title
    feed.site_url = outcome.site_url or feed.site_url
    feed.entries_last = len(outcome.drafts) + outcome.skipped + outcome.repeats
    feed.new_last = counts.new


def start_run(engine: Engine) -> tuple[int, int]:
    """Open an IngestRun row; also return how many earlier runs were left interrupted."""
    with Session(engine) as s:
        stale = s.exec(select(IngestRun).where(IngestRun.status == "running")).all()
        for run in stale:
            run.status = "interrupted"
        run = IngestRun()
        s.add(run)
        s.commit()
        s.refresh(run)
        return int(run.id or 0), len(stale)


def finish_run(engine: Engine, run_id: int, **counts: int) -> None:
    """Close an IngestRun row with its counts."""
    with Session(engine) as s:
        run = s.get(IngestRun, run_id)
        if run is None:
            return
        for name, value in counts.items():
            setattr(run, name, value)
        run.status, run.finished = "done", utcnow()
        s.commit()


def count_articles(engine: Engine) -> int:
    """How many articles are stored."""
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Article)).one())


def iter_articles(
    engine: Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = 500,
) -> Iterator[tuple[Article, Feed]]:
    """Articles with their feed, newest first, optionally within [since, until)."""
    last_key: tuple[datetime, int] | None = None
    with Session(engine) as s:
        while True:
            query = select(Article, Feed).join(Feed, col(Article.feed_id) == col(Feed.id))
            if since:
                query = query.where(Article.published >= since)
            if until:
                query = query.where(Article.published < until)
            if last_key:
                pub, aid = last_key
                query = query.where(
                    (col(Article.published) < pub)
                    | ((col(Article.published) == pub) & (col(Article.id) < aid))
                )
            query = query.order_by(col(Article.published).desc(), col(Article.id).desc())
            rows = s.exec(query.limit(batch)).all()
            if not rows:
                return
            yield from rows
            last_key = (rows[-1][0].published, int(rows[-1][0].id or 0))


def pending_articles(engine: Engine, version: str, rebuild: bool = False, batch: int = 64) -> Iterator[list[Article]]:
    """Articles not yet extracted with this extractor version (all of them with rebuild), in batches."""
    last = 0
    while True:
        with Session(engine) as s:
            query = select(Article).where(col(Article.id) > last)
            if not rebuild:
                query = query.where((col(Article.extracted_with).is_(None)) | (Article.extracted_with != version))
            rows = list(s.exec(query.order_by(col(Article.id)).limit(batch)).all())
        if not rows:
            return
        last = int(rows[-1].id or 0)
        yield rows


def count_pending(engine: Engine, version: str) -> int:
    """How many articles wait for extraction with this version."""
    with Session(engine) as s:
        query = select(func.count()).select_from(Article).where(
            (col(Article.extracted_with).is_(None)) | (Article.extracted_with != version))
        return int(s.exec(query).one())


def save_extractions(engine: Engine, results: list[tuple[int, list[dict], list[dict]]], version: str) -> None:
    """Replace the mentions and claims of these articles, and mark them extracted (one transaction)."""
    from sqlalchemy import delete

    with Session(engine) as s:
        ids = [article_id for article_id, _, _ in results]
        s.exec(delete(Mention).where(col(Mention.article_id).in_(ids)))  # type: ignore[call-overload]
        s.exec(delete(Claim).where(col(Claim.article_id).in_(ids)))  # type: ignore[call-overload]
        for article_id, mentions, claims in results:
            s.add_all(Mention(article_id=article_id, **m) for m in mentions)
            s.add_all(Claim(article_id=article_id, extractor=version, **c) for c in claims)
            article = s.get(Article, article_id)
            if article is not None:
                article.extracted_with = version
        s.commit()


def facts_for(engine: Engine, article_ids: list[int]) -> dict[int, tuple[list[Mention], list[Claim]]]:
    """Mentions and claims of these articles, keyed by article id."""
    out: dict[int, tuple[list[Mention], list[Claim]]] = {i: ([], []) for i in article_ids}
    with Session(engine) as s:
        for m in s.exec(select(Mention).where(col(Mention.article_id).in_(article_ids)).order_by(col(Mention.start))):
            out[m.article_id][0].append(m)
        for c in s.exec(select(Claim).where(col(Claim.article_id).in_(article_ids)).order_by(col(Claim.start))):
            out[c.article_id][1].append(c)
    return out


def new_lab_counts(engine: Engine) -> list[tuple[str, int]]:
    """Companies found that the gazetteer does not know, with how many articles name them."""
    with Session(engine) as s:
        query = (select(Mention.key, func.count(func.distinct(Mention.article_id)))
                 .where(Mention.kind == "lab", Mention.known == False)  # noqa: E712
                 .group_by(Mention.key).order_by(func.count(func.distinct(Mention.article_id)).desc()))
        return [(k, int(n)) for k, n in s.exec(query).all()]


def known_hashes(engine: Engine, hashes: list[str]) -> set[str]:
    """Which of these content hashes are already stored."""
    if not hashes:
        return set()
    with Session(engine) as s:
        rows = s.exec(select(Article.content_hash).where(col(Article.content_hash).in_(hashes)))
        return set(rows.all())
