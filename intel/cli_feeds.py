"""`intel feeds ...`: subscribe, import and export OPML, list health."""

from __future__ import annotations

from pathlib import Path

import click

from intel.cliutil import _engine, echo_json, handle_errors
from intel.errors import InputError


@click.group()
def feeds() -> None:
    """Manage subscribed feeds."""


def _report_added(added: list, known: list[str]) -> None:  # type: ignore[type-arg]
    for feed in added:
        click.echo(f"added {feed.url}")
    for url in known:
        click.echo(f"already subscribed: {url}")


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True)
@click.option("--category", help="Folder to file the feeds under.")
@click.pass_context
@handle_errors
def feeds_add(ctx: click.Context, urls: tuple[str, ...], category: str | None) -> None:
    """Subscribe to one or more feed URLs."""
    from intel.opml import check_feed_url
    from intel.store import add_feeds

    specs = [{"url": check_feed_url(u), "category": category} for u in urls]
    _report_added(*add_feeds(_engine(ctx), specs))


@feeds.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
@handle_errors
def feeds_import(ctx: click.Context, file: Path) -> None:
    """Subscribe to every feed listed in an OPML file."""
    from intel.opml import parse_opml
    from intel.store import add_feeds

    if not file.is_file():
        raise InputError(f"no such file: {file}")
    added, known = add_feeds(_engine(ctx), parse_opml(file.read_bytes()))
    click.echo(f"imported {len(added)} feeds ({len(known)} already subscribed)")


@feeds.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.pass_context
@handle_errors
def feeds_export(ctx: click.Context, output: Path | None) -> None:
    """Write the subscriptions as OPML 2.0."""
    from intel.opml import render_opml
    from intel.store import list_feeds

    doc = render_opml([{"url": f.url, "title": f.title, "site_url": f.site_url,
                        "category": f.category} for f in list_feeds(_engine(ctx))])
    if output:
        output.write_text(doc, encoding="utf-8")
    else:
        click.echo(doc, nl=False)


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """Show subscribed feeds with their health."""
    from intel.store import list_feeds

    rows = list_feeds(_engine(ctx))
    if as_json:
        echo_json([f.model_dump() for f in rows])
        return
    if not rows:
        click.echo("no feeds yet: `intel feeds add URL` or `intel feeds import data/feeds.opml`")
    for f in rows:
        last_ok = f.last_ok.strftime("%Y-%m-%d %H:%M") if f.last_ok else "never"
        click.echo(f"{f.health:7} items={f.items_total:<5} failures={f.consecutive_failures:<2} "
                   f"last_ok={last_ok:16} {f.url}")
        if f.last_error:
            click.echo(f"        last error: {f.last_error}")


@feeds.command("remove")
@click.argument("urls", nargs=-1, required=True)
@click.pass_context
@handle_errors
def feeds_remove(ctx: click.Context, urls: tuple[str, ...]) -> None:
    """Unsubscribe feeds and delete their articles."""
    from intel.store import remove_feeds

    click.echo(f"removed {remove_feeds(_engine(ctx), list(urls))} feeds")
