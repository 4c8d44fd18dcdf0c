"""Ingest: fetch every feed a few at a time, parse, dedupe and store; record each feed's health."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from intel.config import Settings
from intel.errors import FeedError
from intel.fetch import extract_article, fetch, make_client
from intel.parse import parse_feed
from intel.store import (
    Feed,
    FetchOutcome,
    SaveCounts,
    finish_run,
    known_hashes,
    list_feeds,
    save_fetch,
    start_run,
    utcnow,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("intel.ingest")


@dataclass
class IngestReport(SaveCounts):
    """What one ingest run did: the article counts of every feed, plus feed outcomes."""

    feeds_ok: int = 0
    feeds_failed: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted_before: int = 0

    def summary(self) -> str:
        """The one-line summary printed at the end of a run."""
        return (
            f"feeds: {self.feeds_ok} ok, {self.feeds_failed} failed | articles: {self.new} new, "
            f"{self.duplicate} duplicate, {self.updated} updated, {self.skipped} skipped"
        )


def process_feed(client: httpx.Client, feed: Feed, settings: Settings, engine: Engine) -> FetchOutcome:
    """Fetch and parse one feed into an outcome; never raises for a bad feed."""
    fetched = utcnow()
    try:
        resp = fetch(client, feed.url, settings, feed.etag, feed.last_modified)
    except FeedError as exc:
        return FetchOutcome(health="error", error=str(exc))
    if resp.body is None:
        return FetchOutcome(health="not_modified", http_status=304)
    try:
        parsed = parse_feed(resp.body, resp.url, fetched, resp.content_type)
    except Exception as exc:  # a parser bug on one feed must not stop the others
        log.exception("parsing %s failed", feed.url)
        return FetchOutcome(health="error", http_status=resp.status, error=f"parse failed: {exc}")
    if parsed.fatal:
        return FetchOutcome(health="error", http_status=resp.status, error=parsed.problem)
    if settings.fetch_full_text:
        _fill_full_text(client, parsed.drafts, settings, engine)
    return FetchOutcome(
        health="warning" if parsed.problem else "ok",
        http_status=resp.status,
        error=parsed.problem,
        etag=resp.etag,
        last_modified=resp.last_modified,
        title=parsed.title,
        site_url=parsed.site_url,
        drafts=parsed.drafts,
        skipped=parsed.skipped,
        repeats=parsed.repeats,
    )


def _fill_full_text(client: httpx.Client, drafts, settings: Settings, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """Fetch the article page of new summary-only items; the content hash stays the feed's."""
    stored = known_hashes(engine, [d.content_hash for d in drafts])
    for d in drafts:
        if not d.summary_only or not d.link or d.content_hash in stored:
            continue
        try:
            page = fetch(client, d.link, settings, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        except FeedError as exc:
            log.info("full text of %s not fetched: %s", d.link, exc)
            continue
        text = extract_article(page.body or b"", d.link)
        if text and len(text) > len(d.text):
            d.text, d.full_text = text, True


def ingest(
    engine: Engine,
    settings: Settings,
    urls: list[str] | None = None,
    on_feed: Callable[[Feed, FetchOutcome, SaveCounts], None] | None = None,
) -> IngestReport:
    """Fetch every subscribed feed (or those named), store new articles, return the counts."""
    feeds = list_feeds(engine, urls)
    report = IngestReport()
    run_id, report.interrupted_before = start_run(engine)
    if report.interrupted_before:
        log.warning("%d earlier ingest run(s) were interrupted; their feeds are fetched again",
                    report.interrupted_before)
    with make_client(settings) as client, ThreadPoolExecutor(settings.fetch_concurrency) as pool:
        futures = {pool.submit(process_feed, client, f, settings, engine): f for f in feeds}
        for future in as_completed(futures):
            feed = futures[future]
            outcome = future.result()
            counts = save_fetch(engine, int(feed.id or 0), outcome)
            _tally(report, feed, outcome, counts)
            if on_feed:
                on_feed(feed, outcome, counts)
    finish_run(engine, run_id, feeds_ok=report.feeds_ok, feeds_failed=report.feeds_failed,
               new=report.new, duplicate=report.duplicate, updated=report.updated,
               skipped=report.skipped)
    log.info(report.summary())
    return report


def _tally(report: IngestReport, feed: Feed, outcome: FetchOutcome, counts: SaveCounts) -> None:
    if outcome.health == "error":
        report.feeds_failed += 1
        report.failures.append((feed.url, outcome.error or "unknown error"))
        log.info("feed %s failed: %s", feed.url, outcome.error)
        return
    report.feeds_ok += 1
    if outcome.health == "warning":
        report.warnings.append((feed.url, outcome.error or ""))
        log.info("feed %s: %s", feed.url, outcome.error)
    report.new += counts.new
    report.duplicate += counts.duplicate
    report.updated += counts.updated
    report.skipped += counts.skipped
    log.info("feed %s: %d new, %d duplicate, %d updated, %d skipped",
             feed.url, counts.new, counts.duplicate, counts.updated, counts.skipped)
