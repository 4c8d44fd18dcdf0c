"""Run extraction over stored articles: new ones after each ingest, all of them on --rebuild."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

from sqlalchemy import Engine

from intel.config import Settings
from intel.store import count_articles, count_pending, pending_articles, save_extractions

log = logging.getLogger("intel.annotate")


@dataclass
class AnnotateReport:
    """What an extraction pass did."""

    articles: int = 0
    mentions: int = 0
    claims: int = 0
    new_labs: int = 0

    def summary(self) -> str:
        """One line for the CLI."""
        return (f"extracted {self.articles} articles: {self.mentions} lab/country mentions, "
                f"{self.claims} claims, {self.new_labs} mentions of companies not in the gazetteer")


@lru_cache(maxsize=4)
def get_extractor(model: str | None = None, vectors: bool = True):  # type: ignore[no-untyped-def]
    """The loaded pipeline, once per process (loading spaCy takes seconds); `vectors` lets the claim
    typer use sentence vectors (INTEL_TYPER_VECTORS)."""
    from intel.extract import Extractor

    return Extractor(model or None, vectors=vectors)


def extractor_version(vectors: bool = True) -> str:
    """The current extractor's version tag (stored with every claim). Types decided without sentence
    vectors get their own tag, so switching INTEL_TYPER_VECTORS back on re-extracts those articles."""
    from intel.extract import EXTRACTOR

    return EXTRACTOR if vectors else f"{EXTRACTOR}+no-vectors"


def annotate(
    engine: Engine,
    settings: Settings,
    rebuild: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
    chunk: int = 64,
) -> AnnotateReport:
    """Extract labs, countries and claims for pending articles (or all, with rebuild); idempotent.

    Results are written every `chunk` articles, each chunk in one transaction, so an interrupted
    run keeps what it finished and the next run picks up the rest.
    """
    version = extractor_version(settings.typer_vectors)
    total = count_articles(engine) if rebuild else count_pending(engine, version)
    report = AnnotateReport()
    if not total:
        return report
    extractor = get_extractor(settings.spacy_model, settings.typer_vectors)
    processes = settings.extract_processes or (min(2, os.cpu_count() or 1) if total >= 400 else 1)
    items = ((a.text or a.title, a.published.year if a.published else None, int(a.id or 0))
             for batch in pending_articles(engine, version, rebuild=rebuild) for a in batch)
    rows: list[tuple[int, list[dict], list[dict]]] = []  # type: ignore[type-arg]
    for ext, article_id in extractor.extract_stream(items, n_process=processes):
        mentions = [asdict(m) for m in ext.mentions]
        claims = [asdict(c) for c in ext.claims]
        rows.append((article_id, mentions, claims))
        report.mentions += len(mentions)
        report.claims += len(claims)
        report.new_labs += sum(1 for m in ext.mentions if not m.known)
        if len(rows) == chunk:
            _flush(engine, rows, version, report, on_batch, total)
    _flush(engine, rows, version, report, on_batch, total)
    log.info(report.summary())
    return report


def _flush(engine, rows, version, report, on_batch, total) -> None:  # type: ignore[no-untyped-def]
    if not rows:
        return
    save_extractions(engine, rows, version)
    report.articles += len(rows)
    rows.clear()
    if on_batch:
        on_batch(report.articles, total)
