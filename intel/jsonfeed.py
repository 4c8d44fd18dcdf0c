"""JSON Feed 1.0/1.1 and RSS-in-JSON, which feedparser does not read; salvages truncated files."""

from __future__ import annotations

import json
from typing import Any

from intel.parse import RawFeed


def parse_json_feed(text: str) -> RawFeed:
    """Read a JSON Feed (or Dave Winer's RSS-in-JSON) into format-neutral fields."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        items = _salvage_items(text)
        raw = RawFeed(entries=[_json_item(i) for i in items])
        raw.problem = f"truncated or invalid JSON ({exc.msg} at char {exc.pos}); salvaged {len(items)} items"
        raw.fatal = not items
        return raw
    if not isinstance(doc, dict):
        return RawFeed(problem="not a feed: JSON without a feed object", fatal=True)
    if isinstance(doc.get("rss"), dict):
        return _rss_in_json(doc["rss"])
    version = str(doc.get("version", ""))
    if "jsonfeed.org" not in version and "items" not in doc:
        return RawFeed(problem="not a feed: JSON that is neither JSON Feed nor RSS-in-JSON", fatal=True)
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    return RawFeed(
        title=_str(doc.get("title")),
        site_url=_str(doc.get("home_page_url")),
        self_url=_str(doc.get("feed_url")),
        language=_str(doc.get("language")),
        entries=[_json_item(i) for i in items if isinstance(i, dict)],
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
        if names:
            return ", ".join(names)
    author = item.get("author")
    return _str(author.get("name")) if isinstance(author, dict) else None


def _json_item(item: dict[str, Any]) -> dict[str, str | None]:
    content = _str(item.get("content_html"))
    if content is None and _str(item.get("content_text")):
        content = item["content_text"].replace("&", "&amp;").replace("<", "&lt;")
    guid = item.get("id")
    return {
        "guid": str(guid) if guid is not None else None,
        "link": _str(item.get("url")) or _str(item.get("external_url")),
        "title": _str(item.get("title")),
        "content": content or "",
        "summary": _str(item.get("summary")) or "",
        "author": _author(item),
        "published": _str(item.get("date_published")) or _str(item.get("date_modified")),
        "updated": _str(item.get("date_modified")),
        "language": _str(item.get("language")),
    }


def _rss_in_json(rss: dict[str, Any]) -> RawFeed:
    channel = rss.get("channel") if isinstance(rss.get("channel"), dict) else {}
    items = channel.get("item") or []
    if isinstance(items, dict):
        items = [items]
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        guid = item.get("guid")
        if isinstance(guid, dict):
            guid = guid.get("#value") or guid.get("value")
        entries.append({
            "guid": str(guid) if guid else None,
            "link": _str(item.get("link")),
            "title": _str(item.get("title")),
            "content": "",
            "summary": _str(item.get("description")) or "",
            "author": _str(item.get("author")),
            "published": _str(item.get("pubDate")),
            "updated": None,
            "language": None,
        })
    return RawFeed(title=_str(channel.get("title")), site_url=_str(channel.get("link")),
                   language=_str(channel.get("language")), entries=entries)


def _salvage_items(text: str) -> list[dict[str, Any]]:
    """Complete item objects from a cut-off JSON Feed: decode one object at a time."""
    start = text.find('"items"')
    if start < 0:
        return []
    pos = text.find("[", start)
    if pos < 0:
        return []
    decoder = json.JSONDecoder()
    items: list[dict[str, Any]] = []
    pos += 1
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        if isinstance(obj, dict):
            items.append(obj)
    return items
