"""The whole refresh after new feed items: ingest, extract, index, regroup stories.

The CLI (`intel ingest`, `intel demo`), the dashboard's Feeds page and the scheduler all call
`refresh()`, so they do the same work in the same order and report it the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from intel.config import Settings

Progress = Callable[[str, str], None]  # (stage, what was just done)


@dataclass
class RefreshReport:
    """What one refresh did, stage by stage."""

    ingest: object | None = None  # IngestReport (None when only the later stages ran)
    extract: object | None = None  # AnnotateReport
    indexed_articles: int = 0
    passages: int = 0
    stories: int = 0
    shared: int = 0  # articles that share a story with another outlet
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Every stage's one-line summary, newline-separated."""
        return "\n".join(self.lines)


def _noop(stage: str, what: str) -> None:
    pass


def refresh(
    engine: Engine, settings: Settings, urls: list[str] | None = None, on_progress: Progress | None = None,
    fetch: bool = True,
) -> RefreshReport:
    """Ingest the feeds (or `urls`), then extract, index and regroup what is new."""
    step = on_progress or _noop
    report = RefreshReport()
    if fetch:
        from intel.ingest import ingest

        report.ingest = ingest(engine, settings, urls, on_feed=lambda feed, *_: step("ingest", feed.title or feed.url))
        report.lines.append(report.ingest.summary())  # type: ignore[attr-defined]
    if settings.extract_on_ingest:
        annotate_and_index(engine, settings, report, step)
    return report


def annotate_and_index(
    engine: Engine, settings: Settings, report: RefreshReport | None = None, step: Progress | None = None,
    rebuild: bool = False,
) -> RefreshReport:
    """Extract pending articles (all with rebuild), index new ones, regroup stories if any were indexed."""
    from intel.annotate import annotate

    report = report or RefreshReport()
    step = step or _noop
    report.extract = annotate(engine, settings, rebuild=rebuild,
                              on_batch=lambda done, total: step("extract", f"{done}/{total} articles"))
    report.lines.append(report.extract.summary())  # type: ignore[attr-defined]
    return index_and_group(engine, settings, report, step)


def index_and_group(
    engine: Engine, settings: Settings, report: RefreshReport | None = None, step: Progress | None = None,
) -> RefreshReport:
    """Cut and embed articles not yet indexed, then regroup stories if any were."""
    from intel.index import index_articles

    report = report or RefreshReport()
    step = step or _noop
    articles, passages = index_articles(engine, settings.data_dir, settings.embed_model,
                                        on_batch=lambda a, p: step("index", f"{a} articles"))
    report.indexed_articles, report.passages = articles, passages
    if articles:
        from intel.stories import update_stories

        report.lines.append(f"indexed {articles} articles: {passages} passages embedded")
        mapping = update_stories(engine, settings.embed_model)
        sizes = Counter(mapping.values())
        report.stories = len(sizes)
        report.shared = sum(n for n in sizes.values() if n > 1)
        report.lines.append(f"stories: {report.stories} for {len(mapping)} articles "
                            f"({report.shared} articles share a story with another outlet)")
    return report
