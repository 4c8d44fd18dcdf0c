"""HTTP for feeds and article pages: timeouts, a size cap, redirects, conditional GET."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from intel.config import Settings
from intel.errors import FeedError

if TYPE_CHECKING:
    import httpx

ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)


@dataclass
class Response:
    """A fetched body (None when the server said 304 Not Modified)."""

    status: int
    body: bytes | None
    url: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def make_client(settings: Settings) -> httpx.Client:
    """One HTTP client for a run: shared connection pool, our User-Agent, redirects followed."""
    import httpx

    return httpx.Client(
        headers={"User-Agent": settings.user_agent},
        timeout=httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout)),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        limits=httpx.Limits(max_connections=settings.fetch_concurrency * 2),
    )


def fetch(
    client: httpx.Client,
    url: str,
    settings: Settings,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = ACCEPT_FEED,
) -> Response:
    """GET a URL with a size cap and an overall deadline; raise FeedError with a clear reason."""
    import httpx

    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    cap = settings.max_feed_bytes
    deadline = time.monotonic() + settings.http_timeout * 3  # slow-drip servers still end
    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304:
                return Response(304, None, str(resp.url), etag=etag, last_modified=last_modified)
            if resp.status_code >= 400:
                raise FeedError(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FeedError(f"body of {int(declared):,} bytes exceeds the {cap:,}-byte cap")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FeedError(f"body exceeds the {cap:,}-byte cap")
                if time.monotonic() > deadline:
                    raise FeedError(f"download took longer than {settings.http_timeout * 3:.0f}s")
                chunks.append(chunk)
            return Response(
                resp.status_code,
                b"".join(chunks),
                str(resp.url),
                content_type=resp.headers.get("content-type"),
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
            )
    except httpx.TooManyRedirects:
        raise FeedError(f"redirect loop (more than {settings.max_redirects} redirects)") from None
    except httpx.TimeoutException:
        raise FeedError(f"timed out after {settings.http_timeout:g}s") from None
    except httpx.ConnectError as exc:
        raise FeedError(f"cannot connect: {exc}") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FeedError(f"invalid URL: {exc}") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"HTTP error: {type(exc).__name__}: {exc}") from None


def extract_article(html_bytes: bytes, url: str) -> str | None:
    """Main text of an article page (trafilatura), or None when it finds none."""
    import trafilatura

    text = trafilatura.extract(
        html_bytes, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    return text.strip() if text else None
