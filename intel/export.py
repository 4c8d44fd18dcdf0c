"""Export stored articles as JSON Lines or CSV, one record per article (a documented contract)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import Engine

from intel.store import Article, Feed, iter_articles

# The export contract: field names and order. Add fields at the end; never rename or remove.
FIELDS = [
    "id", "url", "title", "source", "feed", "published", "date_flag", "updated", "fetched",
    "author", "guid", "language", "summary_only", "full_text", "content_hash", "summary", "text",
]


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def to_record(article: Article, feed: Feed) -> dict[str, object]:
    """One export record for an article."""
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": feed.title or feed.url,
        "feed": feed.url,
        "published": _iso(article.published),
        "date_flag": article.date_flag,
        "updated": _iso(article.updated),
        "fetched": _iso(article.fetched),
        "author": article.author,
        "guid": article.guid,
        "language": article.language,
        "summary_only": article.summary_only,
        "full_text": article.full_text,
        "content_hash": article.content_hash,
        "summary": article.summary,
        "text": article.text,
    }


def iter_records(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> Iterator[dict[str, object]]:
    """Export records, newest first."""
    for article, feed in iter_articles(engine, since=since, until=until):
        yield to_record(article, feed)


def write_records(records: Iterator[dict[str, object]], out: IO[str], fmt: str) -> int:
    """Write records as 'jsonl' or 'csv'; return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            count += 1
        return count
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
