"""SQLModel tables and the plain records that move between the pipeline and the store.

Times are aware UTC throughout (naive values read back from SQLite are UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Index as SAIndex
from sqlmodel import Field, SQLModel


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
    indexed: bool = Field(default=False, index=True)  # passages cut and embedded for search
    story_id: int | None = Field(default=None, index=True)  # smallest article id of its story


class Passage(SQLModel, table=True):
    """A run of whole sentences of an article, with its span and embedding (float32 bytes)."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    start: int
    end: int
    text: str
    embedding: bytes | None = None
    model: str | None = None


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


# --- digest emails (issue 6): subscribers, their saved searches, and what was sent ---

from sqlalchemy import JSON  # noqa: E402
from sqlalchemy import UniqueConstraint as SAUnique  # noqa: E402


class Subscriber(SQLModel, table=True):
    """A digest recipient with its filters (empty list: no restriction)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    labs: list[str] = Field(default_factory=list, sa_type=JSON)  # canonical lab names
    countries: list[str] = Field(default_factory=list, sa_type=JSON)  # ISO 3166-1 alpha-2
    types: list[str] = Field(default_factory=list, sa_type=JSON)  # claim types
    created: datetime = Field(default_factory=utcnow)


class Watch(SQLModel, table=True):
    """A subscriber's saved search: new matches get their own section of the digest."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True, ondelete="CASCADE")
    query: str
    labs: list[str] = Field(default_factory=list, sa_type=JSON)
    countries: list[str] = Field(default_factory=list, sa_type=JSON)
    types: list[str] = Field(default_factory=list, sa_type=JSON)
    created: datetime = Field(default_factory=utcnow)


class DigestSend(SQLModel, table=True):
    """One digest for one period to one recipient: sent, or failed (retried on the next run)."""

    __table_args__ = (SAUnique("recipient", "period", name="uq_digestsend_recipient_period"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(index=True)  # an address, not a subscriber id: the operator may not subscribe
    period: str  # label: 2026-W46, or 2026-11-01..2026-11-08
    period_start: datetime
    period_end: datetime
    status: str = "failed"  # sent | failed
    attempts: int = 0
    error: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    updated: datetime = Field(default_factory=utcnow)
