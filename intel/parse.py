"""Feed bytes to article drafts (pure): encodings, RSS/Atom via feedparser, JSON Feed, dates.

feedparser is given UTF-8 we decoded ourselves, because it trusts a wrong XML declaration
('ISO-8859-1' over UTF-8 bytes) and silently returns mojibake.
"""

from __future__ import annotations

import html.entities
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from intel.dates import check_plausible, parse_date
from intel.store import ArticleDraft
from intel.text import (
    canonical_url,
    clean_title,
    content_hash,
    guess_language,
    html_to_text,
    strip_controls,
)

_BOMS = [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
_ALIASES = {
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
    "ascii": "cp1252", "iso8859-1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949", "tis-620": "cp874", "windows-874": "cp874",
}
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_XML_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")


@dataclass
class ParsedFeed:
    """What a feed body holds: its metadata, drafts, and any problem found."""

    title: str | None = None
    site_url: str | None = None
    drafts: list[ArticleDraft] = field(default_factory=list)
    skipped: int = 0
    repeats: int = 0  # entries the feed listed twice under one GUID
    problem: str | None = None  # set when the body is malformed (entries may be salvaged)
    fatal: bool = False  # True when nothing usable is there: not a feed, or broken and empty


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        "".encode(name)
    except LookupError:
        return None
    return name


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode feed bytes to text; return (text, encoding used).

    Order: BOM, valid UTF-8, the declared charset (HTTP header, XML or HTML declaration),
    statistical detection. Latin-1 declarations are read as windows-1252, as browsers do.
    """
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = []
    if content_type and "charset=" in content_type.lower():
        declared.append(content_type.lower().split("charset=")[1].split(";")[0])
    for pattern in (_XML_DECL, _META_CHARSET):
        match = pattern.search(body[:2048])
        if match:
            declared.append(match.group(1).decode("ascii", "ignore"))
    for name in declared:
        enc = _codec(name)
        if enc and enc not in {"utf-8", "utf8"}:
            try:
                return body.decode(enc), enc
            except UnicodeDecodeError:
                continue
    import chardet

    guess = chardet.detect(body[:200_000])
    enc = _codec(guess.get("encoding")) or "cp1252"
    return body.decode(enc, errors="replace"), enc


def _numeric_entities(text: str) -> str:
    """Turn HTML named entities that XML does not define (&nbsp;) into numeric references."""

    def swap(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_PREDEFINED or name not in html.entities.name2codepoint:
            return m.group(0)
        return f"&#{html.entities.name2codepoint[name]};"

    return _ENTITY.sub(swap, text)


def _prepare_xml(text: str) -> bytes:
    text = strip_controls(text).lstrip()
    text = re.sub(r"^(<\?xml[^>]*?encoding\s*=\s*[\"'])[^\"']*", r"\1utf-8", text, count=1)
    return _numeric_entities(text).encode("utf-8")


def parse_feed(body: bytes, url: str, fetched: datetime, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x, RSS-in-JSON)."""
    text, _ = decode_body(body, content_type)
    head = text.lstrip()[:1]
    if head in {"{", "["}:
        from intel.jsonfeed import parse_json_feed

        raw = parse_json_feed(text)
    else:
        raw = _parse_xml(text)
    return _to_parsed(raw, url, fetched)


@dataclass
class RawFeed:
    """Format-neutral feed content, before cleaning."""

    title: str | None = None
    site_url: str | None = None
    self_url: str | None = None
    language: str | None = None
    entries: list[dict[str, str | None]] = field(default_factory=list)
    problem: str | None = None
    fatal: bool = False


def _parse_xml(text: str) -> RawFeed:
    import feedparser

    data = _prepare_xml(text)
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    meta = parsed.get("feed", {})
    raw = RawFeed(
        title=meta.get("title"),
        site_url=meta.get("link"),
        self_url=next((lk.get("href") for lk in meta.get("links", []) if lk.get("rel") == "self"), None),
        language=meta.get("language"),
    )
    raw.entries = [_entry_fields(e) for e in parsed.get("entries", [])]
    if not parsed.get("version") and not raw.entries:
        raw.fatal = True
        if re.search(r"<html[\s>]|<!doctype html", text[:5000], re.I):
            raw.problem = "not a feed: the URL returned an HTML page" + _discovered(text)
        else:
            raw.problem = f"not a feed: {_bozo_text(parsed) or 'no RSS, Atom or JSON Feed found'}"
        return raw
    if parsed.get("bozo"):
        raw.problem, truncated = _describe_bozo(parsed, data)
        if truncated:
            complete = _complete_entries(text)
            dropped = max(0, len(raw.entries) - complete)
            if dropped:
                raw.entries = raw.entries[:complete]
                raw.problem += f"; dropped {dropped} cut-off entr{'y' if dropped == 1 else 'ies'}"
            if not raw.entries:
                raw.fatal = True
    return raw


def _bozo_text(parsed) -> str:  # type: ignore[no-untyped-def]
    exc = parsed.get("bozo_exception")
    return str(exc) if exc else ""


def _describe_bozo(parsed, data: bytes) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    message = _bozo_text(parsed)
    tail = data.rstrip()[-200:].lower()
    closed = tail.endswith(b"</rss>") or tail.endswith(b"</feed>") or tail.endswith(b"</rdf:rdf>")
    if "no element found" in message or not closed:
        return f"truncated or unterminated XML ({message or 'missing closing tags'})", True
    return f"malformed XML, read leniently ({message})", False


def _complete_entries(text: str) -> int:
    opened = len(re.findall(r"<(?:\w+:)?(?:item|entry)[\s>]", text))
    closed = len(re.findall(r"</(?:\w+:)?(?:item|entry)\s*>", text))
    return min(opened, closed)


def _discovered(text: str) -> str:
    links = re.findall(
        r"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*href=[\"']([^\"']+)", text[:200_000]
    )
    return f"; it advertises the feed {links[0]}" if links else ""


def _entry_fields(e) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    contents = e.get("content") or []
    body = max((c.get("value") or "" for c in contents), key=len, default="")
    link = e.get("feedburner_origlink") or e.get("link")
    if not link:
        link = next((lk.get("href") for lk in e.get("links", []) if lk.get("rel") == "alternate"), None)
    if link and link == e.get("id") and not link.startswith(("http://", "https://", "/")):
        link = None  # feedparser promotes a permalink-less <guid> like 'abc-1' to the link
    published = e.get("published") or e.get("created") or e.get("updated")
    return {
        "guid": e.get("id") or e.get("guid"),
        "link": link,
        "title": e.get("title"),
        "content": body,
        "summary": e.get("summary") or "",
        "author": e.get("author"),
        "published": published,
        "updated": e.get("updated") if e.get("updated") != published else None,
        "language": (contents[0].get("language") if contents else None) or None,
    }


def _to_parsed(raw: RawFeed, url: str, fetched: datetime) -> ParsedFeed:
    base = raw.self_url if raw.self_url and raw.self_url.startswith(("http://", "https://")) else url
    out = ParsedFeed(
        title=clean_title(raw.title) or None,
        site_url=canonical_url(raw.site_url, base) if raw.site_url else None,
        problem=raw.problem,
        fatal=raw.fatal,
    )
    for entry in raw.entries:
        draft = _to_draft(entry, base, fetched, raw.language)
        if draft is None:
            out.skipped += 1
        else:
            out.drafts.append(draft)
    out.repeats = _mark_guid_collisions(out.drafts)
    return out


def _to_draft(
    e: dict[str, str | None], base: str, fetched: datetime, language: str | None
) -> ArticleDraft | None:
    title = clean_title(e.get("title"))
    content = e.get("content") or ""
    summary_html = e.get("summary") or ""
    text = html_to_text(content or summary_html)
    summary = html_to_text(summary_html) if summary_html else text[:500]
    link = canonical_url(e.get("link"), base) if e.get("link") else None
    guid = strip_controls(e.get("guid") or "").strip() or None
    if not (title or text or link):
        return None
    published, flag = parse_date(e.get("published"))
    if published is None:
        published, flag = fetched, "missing" if flag is None else flag
    else:
        flag = check_plausible(published, fetched) or flag
    updated, _ = parse_date(e.get("updated"))
    return ArticleDraft(
        title=title,
        text=text,
        summary=summary,
        content_hash=content_hash(title, text, fallback=link or guid or ""),
        published=published,
        url=link,
        link=link,
        guid=guid,
        author=clean_title(e.get("author")) or None,
        date_flag=flag,
        updated=updated,
        language=guess_language(text, e.get("language") or language),
        summary_only=not content and len(text) < 1500,
    )


def _mark_guid_collisions(drafts: list[ArticleDraft]) -> int:
    """Resolve GUIDs a feed repeats; return how many repeated entries were dropped.

    A GUID given to items with different bodies identifies none of them (they are kept and
    deduplicated by content); a GUID repeated over the same body is one item listed twice.
    """
    bodies: dict[str, set[str]] = {}
    for d in drafts:
        if d.guid:
            bodies.setdefault(d.guid, set()).add(content_hash("", d.text, d.url or ""))
    seen: set[str] = set()
    keep: list[ArticleDraft] = []
    for d in drafts:
        if d.guid and len(bodies[d.guid]) > 1:
            d.guid_collision = True
        elif d.guid:
            if d.guid in seen:
                continue
            seen.add(d.guid)
        keep.append(d)
    dropped = len(drafts) - len(keep)
    drafts[:] = keep
    return dropped
