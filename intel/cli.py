"""The `intel` command line: each command parses options, calls one intel function, echoes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click

from intel.cli_digest import digest, run, subscribers
from intel.cli_feeds import feeds
from intel.cliutil import _engine, _settings, handle_errors, parse_day
from intel.config import load_settings
from intel.errors import IntelError


@click.group()
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="INTEL_DATA_DIR",
              help="Directory of the store (env INTEL_DATA_DIR; default data/store).")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.version_option(package_name="intel")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, verbose: int) -> None:
    """intel: follow the AI-infrastructure race in news feeds, with citations."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        ctx.obj = {"settings": load_settings(data_dir=data_dir)}
    except IntelError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.pass_context
@handle_errors
def init(ctx: click.Context) -> None:
    """Create the store (idempotent) and say where it is."""
    _engine(ctx)
    click.echo(f"store ready: {_settings(ctx).db_url}")


@cli.command("ingest")
@click.argument("urls", nargs=-1)
@click.option("--full-text/--no-full-text", default=None,
              help="Fetch the article page of summary-only items (env INTEL_FETCH_FULL_TEXT).")
@click.pass_context
@handle_errors
def ingest_cmd(ctx: click.Context, urls: tuple[str, ...], full_text: bool | None) -> None:
    """Fetch every subscribed feed (or the URLs given) and store new articles."""
    from dataclasses import replace

    from intel.ingest import IngestReport
    from intel.pipeline import refresh

    settings = _settings(ctx)
    if full_text is not None:
        settings = replace(settings, fetch_full_text=full_text)
    with _progress("refreshing") as step:
        report = refresh(_engine(ctx), settings, list(urls) or None, on_progress=lambda stage, what: step(what))
    assert isinstance(report.ingest, IngestReport)
    _echo_failures(report.ingest)
    click.echo(report.summary())


def _run_extract(engine, settings, rebuild: bool) -> None:  # type: ignore[no-untyped-def]
    from intel.pipeline import annotate_and_index

    with _progress("extracting") as step:
        report = annotate_and_index(engine, settings, step=lambda stage, what: step(f"{stage} {what}"),
                                    rebuild=rebuild)
    click.echo(report.summary())


def _run_index(engine, settings) -> None:  # type: ignore[no-untyped-def]
    from intel.pipeline import index_and_group

    with _progress("indexing") as step:
        report = index_and_group(engine, settings, step=lambda stage, what: step(what))
    if report.lines:
        click.echo(report.summary())


@cli.command("reindex")
@click.pass_context
@handle_errors
def reindex_cmd(ctx: click.Context) -> None:
    """Rebuild the vector index from the passages stored in the database (and index new articles)."""
    from intel.index import rebuild_index

    settings = _settings(ctx)
    engine = _engine(ctx)
    _run_index(engine, settings)
    vi = rebuild_index(engine, settings.data_dir, settings.embed_model)
    click.echo(f"index rebuilt: {vi.count} passages ({settings.embed_model})")


@cli.command("search")
@click.argument("query")
@click.option("--lab", "labs", multiple=True, help="Only articles naming this lab (repeatable).")
@click.option("--country", "countries", multiple=True, help="Country name or ISO code (repeatable).")
@click.option("--type", "types", multiple=True, help="Claim type (repeatable), e.g. datacenter, compute_deal.")
@click.option("--source", "sources", multiple=True, help="Feed title or URL fragment (repeatable).")
@click.option("--since", help="Published on or after (YYYY-MM-DD).")
@click.option("--until", help="Published before (YYYY-MM-DD).")
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 200), help="How many articles.")
@click.option("--mode", type=click.Choice(["hybrid", "keyword", "vector"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a stable contract).")
@click.pass_context
@handle_errors
def search_cmd(ctx: click.Context, query: str, labs: tuple[str, ...], countries: tuple[str, ...],
               types: tuple[str, ...], sources: tuple[str, ...], since: str | None, until: str | None,
               k: int, mode: str, as_json: bool) -> None:
    """Search articles in plain words; each hit cites its best passage with a character span."""
    from intel.cliutil import echo_json
    from intel.search import Filters, search

    settings = _settings(ctx)
    filters = Filters(list(labs), list(countries), list(types), list(sources),
                      parse_day(since, "--since"), parse_day(until, "--until"))
    hits = search(_engine(ctx), settings.data_dir, settings.embed_model, query, filters, k=k, mode=mode)
    if as_json:
        echo_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no matching articles")
    for n, h in enumerate(hits, 1):
        click.echo(f"{n}. {h.title}  [{h.source}, {h.published[:10]}]  score {h.score:.4f}")
        click.echo(f"   {h.url or '(no link)'}  chars {h.start}-{h.end}")
        click.echo(f"   \"{h.passage[:300]}{'...' if len(h.passage) > 300 else ''}\"")
        if h.also_reported_by:
            click.echo(f"   also reported by: {', '.join(o['source'] for o in h.also_reported_by)}")
        if h.labs or h.countries:
            click.echo(f"   labs: {', '.join(h.labs[:8]) or '-'} | countries: {', '.join(h.countries[:8]) or '-'}")


@cli.command("extract")
@click.option("--rebuild", is_flag=True, help="Re-extract every article (after the gazetteer or rules change).")
@click.pass_context
@handle_errors
def extract_cmd(ctx: click.Context, rebuild: bool) -> None:
    """Extract labs, countries and claims from articles not yet extracted (or all with --rebuild)."""
    _run_extract(_engine(ctx), _settings(ctx), rebuild)


@cli.command("labs")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def labs_cmd(ctx: click.Context, as_json: bool) -> None:
    """Companies found acting in AI infrastructure that the gazetteer does not know yet."""
    from intel.cliutil import echo_json
    from intel.store import new_lab_counts

    rows = new_lab_counts(_engine(ctx))
    if as_json:
        echo_json([{"name": name, "articles": n} for name, n in rows])
        return
    if not rows:
        click.echo("no unknown companies found (every actor is in models/labs.jsonl)")
    for name, n in rows:
        click.echo(f"{n:4} articles  {name}")
    if rows:
        click.echo("to adopt one, add a line for it to models/labs.jsonl and run `intel extract --rebuild`")


def _echo_failures(report) -> None:  # type: ignore[no-untyped-def]
    for url, error in report.failures:
        click.echo(f"  failed  {url}: {error}", err=True)
    for url, problem in report.warnings:
        click.echo(f"  warning {url}: {problem}", err=True)


class _progress:
    """A rich progress bar; the block gets `step(what)`, which advances it and says what is done."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> Callable[[str], None]:
        from rich.progress import Progress

        self.bar = Progress(transient=True, disable=not sys.stderr.isatty())
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=None)

        def step(what: str) -> None:
            self.bar.advance(self.task)
            self.bar.update(self.task, description=f"{self.label} {what}"[:70])

        return step

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published before this date (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.pass_context
@handle_errors
def export_cmd(ctx: click.Context, fmt: str, since: str | None, until: str | None,
               output: Path | None) -> None:
    """Write one record per article (fields: see README 'Export format')."""
    from intel.export import iter_records, write_records

    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    engine = _engine(ctx)
    records = iter_records(engine, since=start, until=end)
    if output:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = write_records(records, fh, fmt)
        click.echo(f"wrote {n} records to {output}", err=True)
    else:
        write_records(records, sys.stdout, fmt)


@cli.command("dashboard")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 to share on a network).")
@click.pass_context
@handle_errors
def dashboard_cmd(ctx: click.Context, port: int, host: str) -> None:
    """Open the Streamlit dashboard on the store (search, landscape, timeline, labs, feeds, export)."""
    import os

    from intel.config import ROOT
    from intel.errors import ConfigError

    app = ROOT / "app.py"
    if not app.exists():
        raise ConfigError(f"dashboard not found at {app}; run it from a checkout of intel")
    settings = _settings(ctx)
    _engine(ctx)  # create or migrate the store first: errors belong on this terminal, in one line
    env = {**os.environ, "INTEL_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    click.echo(f"dashboard on http://{host}:{port}  (store {settings.db_url}; Ctrl-C stops it)")
    cmd = [sys.executable, "-m", "intel.serve", "--server.address", host,
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none"]
    sys.stdout.flush()
    os.execve(sys.executable, cmd, env)  # become the server: Ctrl-C and SIGTERM reach Streamlit itself


@cli.command()
@click.pass_context
@handle_errors
def demo(ctx: click.Context) -> None:
    """Ingest the bundled offline sample into a fresh demo store and show what it holds."""
    from dataclasses import replace
    from itertools import islice

    from intel.demo import run_demo
    from intel.store import count_articles, iter_articles, list_feeds

    settings = _settings(ctx)
    if ctx.parent is None or ctx.parent.params.get("data_dir") is None:
        settings = replace(settings, data_dir=Path("data/demo"))
    with _progress("demo") as step:
        engine, reports = run_demo(settings, on_feed=lambda feed, *_: step(feed.title or feed.url))
    if settings.extract_on_ingest:
        _run_extract(engine, settings, rebuild=False)
    click.echo(f"demo store: {settings.db_url}")
    click.echo(f"first pass:  {reports[0].summary()}")
    click.echo(f"second pass: {reports[1].summary()}")
    for feed in list_feeds(engine):
        err = f"  ({feed.last_error})" if feed.last_error else ""
        click.echo(f"  {feed.health:7} {feed.items_total:4} articles  {feed.title or feed.url}{err}")
    click.echo("latest:")
    for article, feed in islice(iter_articles(engine), 5):
        click.echo(f"  {article.published:%Y-%m-%d}  {feed.title}: {article.title}")
    click.echo(f"{count_articles(engine)} articles stored. Next: intel --data-dir {settings.data_dir} "
               "export --format csv | head")


cli.add_command(feeds)
cli.add_command(subscribers)
cli.add_command(digest)
cli.add_command(run)
