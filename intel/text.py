"""Pure text helpers for ingestion: HTML to clean text, titles, canonical URLs, hashes."""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# C0/C1 control characters other than tab and newlines, and lone surrogates: never valid text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_DROP_TAGS = {
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg",
    "button", "template", "object", "embed", "canvas", "select", "input", "textarea", "head",
    "meta", "link",
}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "figure", "figcaption", "hr",
    "address", "details", "summary",
}
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|"
    r"ocid|cmpid|ncid|sr_share|ref_src|ref|rss|__twitter_impression|guccounter|smid|spm)$",
    re.IGNORECASE,
)
_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_TAGLIKE = re.compile(r"<[a-zA-Z/!][^>]*>")


def strip_controls(value: str) -> str:
    """Remove control characters that are never valid in text."""
    return _CONTROL.sub("", value)


def normalize_space(value: str) -> str:
    """Collapse runs of spaces within lines and blank lines between paragraphs."""
    lines = [_WS.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


_HTML_WS = re.compile(r"\s+")


def html_to_text(markup: str) -> str:
    """Turn an HTML fragment into clean paragraph text: no scripts, styles or navigation."""
    markup = strip_controls(markup or "")
    if not markup.strip():
        return ""
    if "<" not in markup:
        return normalize_space(html.unescape(markup))
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalize_space(html.unescape(_TAGLIKE.sub(" ", markup)))
    parts: list[str] = []
    _walk(root, parts)
    return normalize_space("".join(parts))


def _walk(node, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    tag = node.tag if isinstance(node.tag, str) else ""
    tag = tag.rsplit("}", 1)[-1].lower()
    if tag in _DROP_TAGS or not isinstance(node.tag, str):
        pass  # dropped element (or comment / processing instruction): skip its content
    else:
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n\n")
        if tag == "br":
            parts.append("\n")
        if node.text:
            parts.append(node.text if tag == "pre" else _HTML_WS.sub(" ", node.text))
        for child in node:
            _walk(child, parts)
        if block:
            parts.append("\n\n")
        elif tag in {"td", "th"}:
            parts.append(" ")
    if node.tail:  # in HTML a line break in the source is a space; only <br> and blocks break lines
        parts.append(_HTML_WS.sub(" ", node.tail))


def clean_title(value: str | None) -> str:
    """A title as plain text: tags removed, entities decoded (twice-escaped too), one line."""
    value = strip_controls(value or "")
    if _TAGLIKE.search(value):
        value = html_to_text(value)
    for _ in range(2):  # feeds often escape twice: '&amp;#8217;' -> '&#8217;' -> '’'
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return _WS.sub(" ", value.replace("\n", " ")).strip()


UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "blob"}


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute URL without tracking parameters or default ports; sorted query."""
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() in UNSAFE_SCHEMES:
        return None  # a feed's javascript:/data: "link" is an attack, not a citation
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return url or None
    host = parts.hostname or ""
    port = parts.port
    netloc = host.lower()
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        netloc = f"{netloc}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    path = parts.path or "/"
    # Fragments can name distinct posts on one page (scripting.com/2017/06/25.html#a080631):
    # keep them, except tracking ones.
    fragment = "" if re.search(r"(xtor|utm_|ref)=", parts.fragment) else parts.fragment
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(sorted(query)), fragment))


def content_hash(title: str, text: str, fallback: str = "") -> str:
    """Hash of the normalised title and text; short items also hash their link or GUID."""
    norm = " ".join(f"{title}\n{text}".lower().split())
    if len(norm) < 40:
        norm = f"{norm}\n{fallback}"
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


_STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "with", "on", "it", "as", "was"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "ein", "zu", "von", "sich"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "pour", "dans", "que", "du", "pas"},
    "es": {"el", "la", "los", "las", "y", "del", "que", "por", "una", "con", "para", "es"},
    "pt": {"o", "os", "as", "e", "do", "da", "que", "em", "um", "uma", "para", "com", "não"},
    "it": {"il", "di", "che", "e", "la", "per", "un", "una", "con", "non", "del", "sono"},
}


def guess_language(text: str, declared: str | None = None) -> str | None:
    """The declared language's primary subtag, else a stopword guess for a few languages."""
    if declared and declared.strip():
        return declared.strip().split("-")[0].split("_")[0].lower()[:8]
    words = re.findall(r"[^\W\d_]+", text.lower())[:400]
    if len(words) < 8:
        return None
    if sum(1 for w in words if not w.isascii()) > len(words) * 0.5 and not any(
        "a" <= ch <= "z" for ch in "".join(words[:50])
    ):
        return None
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= max(3, len(words) * 0.05) else None
