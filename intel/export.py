"""Export stored articles as JSON Lines or CSV, one record per article (a documented contract)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import Engine

from intel.store import Article, Claim, Feed, Mention, facts_for, iter_articles

# The export contract: field names and order. Add fields at the end; never rename or remove.
FIELDS = [
    "id", "url", "title", "source", "feed", "published", "date_flag", "updated", "fetched",
    "author", "guid", "language", "summary_only", "full_text", "content_hash", "summary", "text",
    "labs", "countries", "claims", "story",
]
CLAIM_FIELDS = ["type", "lab", "counterparty", "country", "status", "amount", "value", "unit",
                "evidence", "start", "end"]


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def to_record(
    article: Article, feed: Feed, mentions: list[Mention] | None = None, claims: list[Claim] | None = None
) -> dict[str, object]:
    """One export record for an article, with its labs, countries and claims."""
    mentions, claims = mentions or [], claims or []
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
        "labs": list(dict.fromkeys(m.key for m in mentions if m.kind == "lab")),
        "countries": list(dict.fromkeys(m.key for m in mentions if m.kind == "country")),
        "claims": [{f: getattr(c, f) for f in CLAIM_FIELDS} for c in claims],
        "story": article.story_id,
    }


def iter_records(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> Iterator[dict[str, object]]:
    """Export records, newest first."""
    batch: list[tuple[Article, Feed]] = []
    for pair in iter_articles(engine, since=since, until=until):
        batch.append(pair)
        if len(batch) == 200:
            yield from _with_facts(engine, batch)
            batch = []
    yield from _with_facts(engine, batch)


def _with_facts(engine: Engine, batch: list[tuple[Article, Feed]]) -> Iterator[dict[str, object]]:
    facts = facts_for(engine, [int(a.id or 0) for a, _ in batch]) if batch else {}
    for article, feed in batch:
        mentions, claims = facts.get(int(article.id or 0), ([], []))
        yield to_record(article, feed, mentions, claims)


def write_records(records: Iterator[dict[str, object]], out: IO[str], fmt: str) -> int:
    """Write records as 'jsonl' or 'csv'; return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            row = dict(record)
            for key in ("labs", "countries"):
                row[key] = ";".join(row[key])  # type: ignore[arg-type]
            row["claims"] = json.dumps(row["claims"], ensure_ascii=False)
            writer.writerow(row)
            count += 1
        return count
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
