"""Articles: dedupe and save a feed's fetch with its health, ingest runs, reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from intel.store.tables import (
    Article,
    ArticleDraft,
    Feed,
    FetchOutcome,
    IngestRun,
    SaveCounts,
    utcnow,
)


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
    row.extracted_with, row.indexed = None, False  # changed text: extract and index again


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


def known_hashes(engine: Engine, hashes: list[str]) -> set[str]:
    """Which of these content hashes are already stored."""
    if not hashes:
        return set()
    with Session(engine) as s:
        rows = s.exec(select(Article.content_hash).where(col(Article.content_hash).in_(hashes)))
        return set(rows.all())
