"""Run extraction over stored articles: new ones after each ingest, all of them on --rebuild."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

from sqlalchemy import Engine

from intel.config import Settings
from intel.store import count_pending, pending_articles, save_extractions

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


@lru_cache(maxsize=2)
def get_extractor(model: str | None = None):  # type: ignore[no-untyped-def]
    """The loaded pipeline, once per process (loading spaCy takes seconds)."""
    from intel.extract import Extractor

    return Extractor(model or None)


def extractor_version() -> str:
    """The current extractor's version tag (stored with every claim)."""
    from intel.extract import EXTRACTOR

    return EXTRACTOR


def annotate(
    engine: Engine,
    settings: Settings,
    rebuild: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> AnnotateReport:
    """Extract labs, countries and claims for pending articles (or all, with rebuild); idempotent."""
    version = extractor_version()
    total = count_pending(engine, version) if not rebuild else None
    report = AnnotateReport()
    extractor = None
    for batch in pending_articles(engine, version, rebuild=rebuild):
        extractor = extractor or get_extractor(settings.spacy_model)
        results = extractor.extract_many([a.text or a.title for a in batch],
                                         [a.published.year if a.published else None for a in batch])
        rows = []
        for article, ext in zip(batch, results, strict=True):
            mentions = [asdict(m) for m in ext.mentions]
            claims = [asdict(c) for c in ext.claims]
            rows.append((int(article.id or 0), mentions, claims))
            report.mentions += len(mentions)
            report.claims += len(claims)
            report.new_labs += sum(1 for m in ext.mentions if not m.known)
        save_extractions(engine, rows, version)
        report.articles += len(batch)
        if on_batch:
            on_batch(report.articles, total or report.articles)
    log.info(report.summary())
    return report
