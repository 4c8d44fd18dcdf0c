"""Helpers shared by the CLI modules: settings from the context, error handling, dates, JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from intel.config import Settings
from intel.errors import InputError, IntelError


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(dict)["settings"]  # type: ignore[no-any-return,index]


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one clear line and exit 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import ArgumentError, OperationalError

        try:
            return fn(*args, **kwargs)
        except IntelError as exc:
            raise click.ClickException(str(exc)) from None
        except ArgumentError as exc:
            raise click.ClickException(f"invalid database URL: {exc}") from None
        except OperationalError as exc:
            raise click.ClickException(f"database error: {exc.orig}") from None
        except BrokenPipeError:  # `intel export | head`: the reader left; not an error
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".strip()) from None

    return wrapper


def parse_day(value: str | None, option: str) -> datetime | None:
    """A --since/--until value (YYYY-MM-DD or ISO 8601, UTC) or InputError."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None
    from datetime import UTC

    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from intel.store import open_store

    return open_store(_settings(ctx))


def echo_json(value: object) -> None:
    """Pretty JSON to standard output."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
