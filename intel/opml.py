"""OPML subscription lists in and out (pure)."""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from intel.errors import InputError


def check_feed_url(url: str) -> str:
    """The URL stripped, or InputError when it is not an absolute http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in url:
        raise InputError(f"not a feed URL: {url!r} (expected http:// or https://...)")
    return url


def parse_opml(data: bytes, base: str | None = None) -> list[dict[str, str | None]]:
    """Feeds listed in an OPML document, each with url, title, site_url and category (folder).

    Relative xmlUrl values are resolved against `base` when given (the bundled sample uses them).
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(f"not a valid OPML file: {exc}") from None
    body = root.find("body")
    if root.tag.lower() != "opml" or body is None:
        raise InputError("not an OPML file: no <opml><body> found")
    feeds: list[dict[str, str | None]] = []
    _collect(body, None, base, feeds)
    return feeds


def _attr(node: ET.Element, name: str) -> str | None:
    for key, value in node.attrib.items():
        if key.lower() == name.lower():
            return value.strip() or None
    return None


def _collect(node: ET.Element, folder: str | None, base: str | None, out: list[dict[str, str | None]]) -> None:
    for child in node.findall("outline"):
        url = _attr(child, "xmlUrl")
        label = _attr(child, "title") or _attr(child, "text")
        if url:
            out.append({
                "url": check_feed_url(urljoin(base, url) if base else url),
                "title": label,
                "site_url": _attr(child, "htmlUrl"),
                "category": folder,
            })
        _collect(child, label if not url else folder, base, out)


def render_opml(feeds: list[dict[str, str | None]], title: str = "intel feeds") -> str:
    """An OPML 2.0 document of the feeds, foldered by category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = email.utils.format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.get("category"):
            cat = str(feed["category"])
            if cat not in folders:
                folders[cat] = ET.SubElement(body, "outline", text=cat, title=cat)
            parent = folders[cat]
        attrs = {"type": "rss", "text": feed.get("title") or feed["url"] or "",
                 "title": feed.get("title") or feed["url"] or "", "xmlUrl": feed["url"] or ""}
        if feed.get("site_url"):
            attrs["htmlUrl"] = str(feed["site_url"])
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
