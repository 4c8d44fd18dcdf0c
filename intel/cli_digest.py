"""`intel subscribers ...`, `intel digest` and `intel run`: weekly digest emails and the scheduler."""

from __future__ import annotations

from pathlib import Path

import click

from intel.cliutil import _engine, _settings, echo_json, handle_errors, parse_day
from intel.errors import InputError, IntelError


@click.group()
def subscribers() -> None:
    """Manage digest recipients, their filters and their watches (saved searches)."""


@subscribers.command("add")
@click.argument("email")
@click.option("--lab", "labs", multiple=True, help="Only claims by this lab (repeatable).")
@click.option("--country", "countries", multiple=True, help="Only claims in this country: name or ISO code (repeatable).")
@click.option("--type", "types", multiple=True, help="Only claims of this type (repeatable), e.g. datacenter, power.")
@click.option("--watch", "watches", multiple=True,
              help="A saved search whose new matches get their own section (repeatable), e.g. \"nuclear power\".")
@click.pass_context
@handle_errors
def subscribers_add(ctx: click.Context, email: str, labs: tuple[str, ...], countries: tuple[str, ...],
                    types: tuple[str, ...], watches: tuple[str, ...]) -> None:
    """Subscribe an address to the weekly digest (again: new filters replace the old, watches add up)."""
    from intel.mail import check_address
    from intel.search import Filters, check_query, resolve_filters
    from intel.store import save_subscriber

    address = check_address(email)
    engine = _engine(ctx)
    f = resolve_filters(engine, Filters(list(labs), list(countries), list(types)))
    queries = [check_query(q) for q in watches]
    row, created, added = save_subscriber(engine, address, list(dict.fromkeys(f.labs)),
                                          list(dict.fromkeys(f.countries)), list(dict.fromkeys(f.types)),
                                          queries, replace_filters=bool(labs or countries or types))
    click.echo(f"{'subscribed' if created else 'updated'} {row.email} ({_filters_text(row)})")
    for query in added:
        click.echo(f"  watch added: \"{query}\"")


def _filters_text(row) -> str:  # type: ignore[no-untyped-def]
    parts = [f"{name}: {', '.join(values)}" for name, values in
             (("labs", row.labs), ("countries", row.countries), ("types", row.types)) if values]
    return "; ".join(parts) or "everything"


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@handle_errors
def subscribers_list(ctx: click.Context, as_json: bool) -> None:
    """Show subscribers with their filters, watches and last digest."""
    from intel.store import last_sends, list_subscribers

    engine = _engine(ctx)
    rows, sends = list_subscribers(engine), last_sends(engine)
    if as_json:
        echo_json([{"email": s.email, "labs": s.labs, "countries": s.countries, "types": s.types,
                    "watches": [w.query for w in ws], "last_digest": _send_json(sends.get(s.email))}
                   for s, ws in rows])
        return
    if not rows:
        click.echo("no subscribers yet: `intel subscribers add EMAIL [--lab L] [--watch \"QUERY\"]`")
    for sub, watches in rows:
        last = sends.get(sub.email)
        state = f"{last.period} {last.status}" + (f" ({last.error})" if last.status != "sent" else "") if last else "none"
        click.echo(f"{sub.email}  {_filters_text(sub)}  | last digest: {state}")
        for w in watches:
            click.echo(f"    watch: \"{w.query}\"")


def _send_json(row) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    if row is None:
        return None
    return {"period": row.period, "status": row.status, "error": row.error, "attempts": row.attempts,
            "sent_at": row.sent_at}


@subscribers.command("remove")
@click.argument("emails", nargs=-1, required=True)
@click.pass_context
@handle_errors
def subscribers_remove(ctx: click.Context, emails: tuple[str, ...]) -> None:
    """Unsubscribe addresses (their watches go with them)."""
    from intel.mail import check_address
    from intel.store import remove_subscribers

    n = remove_subscribers(_engine(ctx), [check_address(e) for e in emails])
    click.echo(f"removed {n} subscriber{'s' if n != 1 else ''}")


@click.command("digest")
@click.option("--week", help="ISO week, e.g. 2026-W46 (default: the last complete week).")
@click.option("--since", help="Period start (YYYY-MM-DD), instead of --week.")
@click.option("--until", help="Period end, exclusive (YYYY-MM-DD).")
@click.option("--print", "print_", is_flag=True, help="Show the plain-text digest (the default action).")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML digest to FILE.")
@click.option("--for", "for_", metavar="EMAIL", help="With --print/--preview: that subscriber's digest.")
@click.option("--send", is_flag=True, help="Email every recipient not yet sent this period's digest.")
@click.option("--force", is_flag=True, help="With --send: send again to recipients already sent it.")
@click.pass_context
@handle_errors
def digest(ctx: click.Context, week: str | None, since: str | None, until: str | None, print_: bool,
           preview: Path | None, for_: str | None, send: bool, force: bool) -> None:
    """Build the weekly digest: print it, write an HTML preview, or send it by email."""
    from intel.digest import parse_period
    from intel.mail import preview_digest, render_digest, send_digests

    if force and not send:
        raise InputError("--force only applies with --send")
    if for_ and not (print_ or preview):
        raise InputError("--for applies to --print and --preview")
    period = parse_period(week, parse_day(since, "--since"), parse_day(until, "--until"))
    settings, engine = _settings(ctx), _engine(ctx)
    if print_ or preview or not send:
        text, html = render_digest(preview_digest(engine, settings, period, for_))
        if preview:
            preview.write_text(html, encoding="utf-8")
            click.echo(f"wrote the {period.label} digest (HTML) to {preview}", err=True)
        if print_ or not (preview or send):
            click.echo(text, nl=False)
    if send:
        report = send_digests(engine, settings, period, force=force)
        if not (report.sent or report.failed or report.skipped):
            click.echo("no recipients: `intel subscribers add EMAIL` (or set INTEL_OPERATOR_EMAIL)", err=True)
        for recipient in report.sent:
            click.echo(f"sent    {recipient}")
        for recipient in report.skipped:
            click.echo(f"skipped {recipient}: already sent {period.label} (--force resends)")
        for recipient, error in report.failed:
            click.echo(f"failed  {recipient}: {error}", err=True)
        click.echo(report.summary())
        if report.failed:
            raise IntelError(f"{len(report.failed)} digest(s) not delivered; the next `intel digest --send` "
                             "retries them")


@click.command("run")
@click.option("--once", is_flag=True, help="Do what is due now, then exit (for cron).")
@click.option("--now", "now_", help="With --once: act as if the clock read this (ISO 8601, UTC).")
@click.pass_context
@handle_errors
def run(ctx: click.Context, once: bool, now_: str | None) -> None:
    """Keep ingesting every INTEL_INGEST_INTERVAL minutes and send the weekly digest on schedule."""
    import signal
    import threading
    from datetime import UTC, datetime

    from intel.schedule import RunState, run_due, run_forever

    settings, engine = _settings(ctx), _engine(ctx)
    if now_ and not once:
        raise InputError("--now only applies with --once")
    if not settings.mail_from:
        click.echo("INTEL_MAIL_FROM is not set: ingesting only, no digests are sent", err=True)
    if once:
        now = parse_day(now_, "--now") or datetime.now(UTC)
        run_due(engine, settings, RunState(), now, click.echo)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"running: ingest every {settings.ingest_interval} min, digest {settings.digest_day} "
               f"{settings.digest_time} UTC; Ctrl-C to stop")
    try:
        run_forever(engine, settings, click.echo, stop)
    except KeyboardInterrupt:
        pass
    click.echo("stopped")
