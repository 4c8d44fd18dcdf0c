"""Subscriptions: add, list, remove feeds."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from intel.errors import InputError
from intel.store.tables import (
    Feed,
)


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
