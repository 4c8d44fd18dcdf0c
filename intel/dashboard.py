"""What the dashboard shows, computed without Streamlit: tables, aggregates and escaped HTML.

Everything from a feed is untrusted. Every piece of HTML built here passes feed text through
`html.escape` (quotes included) and only ever links http(s) URLs, so `app.py` may hand these
strings to `st.markdown(..., unsafe_allow_html=True)`; tests/test_dashboard.py proves it with
`<script>` and `<img onerror>` in titles and bodies.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from intel.amounts import format_amount
from intel.geo import country_name

CLAIM_TYPES = ["datacenter", "compute_deal", "chips", "power", "investment", "hiring", "expansion", "partnership"]
STYLE = {
    "lab": "background:#dbeafe;border-radius:3px;padding:0 2px",
    "country": "background:#dcfce7;border-radius:3px;padding:0 2px",
    "claim": "background:#fef3c7",
    "term": "background:#fde047;font-weight:600",
}
CHIP = "display:inline-block;margin:0 4px 4px 0;padding:1px 8px;border-radius:10px;font-size:0.8em;"
STOP = set("the a an and or of in on for to with by at from is are was were be been what which who whom "
           "how when where why that this these those its it as into about over under than then there".split())


def esc(value: object) -> str:
    """Feed text made safe for HTML (quotes too: it may sit inside an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None: a javascript: or data: link is never rendered."""
    if not url:
        return None
    cleaned = url.strip()
    return cleaned if re.match(r"^https?://[^\s\"'<>]+$", cleaned, re.IGNORECASE) else None


def link(text: object, url: str | None) -> str:
    """An escaped anchor opening the original in a new tab, or the escaped text when the URL is unsafe."""
    target = safe_url(url)
    if target is None:
        return esc(text)
    return f'<a href="{esc(target)}" target="_blank" rel="noopener noreferrer">{esc(text)}</a>'


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting (no stopwords, at least three letters)."""
    words = re.findall(r"[\w][\w.-]*[\w]|\w", query.lower())
    return list(dict.fromkeys(w for w in words if len(w) >= 3 and w not in STOP))


def term_spans(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    """Spans of words starting with a query term ("datacenter" also marks "datacenters")."""
    if not terms:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
    return [(m.start(), m.end(), "term") for m in pattern.finditer(text)]


def highlight(text: str, spans: list[tuple[int, int, str]], offset: int = 0) -> str:
    """The text escaped, with each span wrapped in a styled <mark>; overlapping spans nest as classes.

    `offset` is where `text` starts in the article, so article-relative spans can be passed as they are.
    """
    cuts = {0, len(text)}
    for start, end, _ in spans:
        cuts.update((min(max(start - offset, 0), len(text)), min(max(end - offset, 0), len(text))))
    bounds = sorted(cuts)
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a == b:
            continue
        kinds = sorted({k for s, e, k in spans if s - offset <= a and e - offset >= b and e > s})
        piece = esc(text[a:b])
        if kinds:
            style = ";".join(STYLE[k] for k in kinds if k in STYLE)
            piece = f'<mark class="{" ".join(kinds)}" style="{style}">{piece}</mark>'
        out.append(piece)
    return "".join(out)


def chips(values: list[str], kind: str) -> str:
    """Labs or countries as small pills."""
    colour = "background:#dbeafe;color:#1e3a8a" if kind == "lab" else "background:#dcfce7;color:#14532d"
    return "".join(f'<span class="chip {kind}" style="{CHIP}{colour}">{esc(v)}</span>' for v in values)


def hit_card(hit: dict[str, Any], query: str) -> str:
    """One search result (a story) as an HTML card: headline, source, date, cited passage, chips."""
    passage = hit["passage"]
    text = passage["text"] if isinstance(passage, dict) else str(passage)
    start = passage["start"] if isinstance(passage, dict) else 0
    end = passage["end"] if isinstance(passage, dict) else len(text)
    marked = highlight(text, term_spans(text, query_terms(query)))
    also = ", ".join(link(o["source"], o.get("url")) for o in hit.get("also_reported_by", []))
    claims = "".join(
        f"<li>{esc(c['type'])} · {esc(c['lab'])}{' · ' + esc(c['country']) if c.get('country') else ''}"
        f"{' · ' + esc(c['amount']) if c.get('amount') else ''}"
        f"{' · corroborated by ' + str(int(c['corroboration'])) + ' outlets' if c.get('corroboration', 1) > 1 else ''}"
        f"{' · <b>figures differ</b>' if c.get('figures_differ') else ''}</li>"
        for c in hit.get("claims", [])[:4])
    return (
        '<div class="hit" style="border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin-bottom:12px">'
        f'<div style="font-size:1.1em;font-weight:600">{link(hit["title"], hit.get("url"))}</div>'
        f'<div style="color:#6b7280;font-size:0.85em">{esc(hit["source"])} · {esc(str(hit["published"])[:10])}'
        f' · chars {int(start)}–{int(end)}</div>'
        f'<blockquote style="margin:8px 0;padding-left:10px;border-left:3px solid #d1d5db">{marked}</blockquote>'
        f'<div>{chips(hit.get("labs", [])[:8], "lab")}{chips(hit.get("countries", [])[:8], "country")}</div>'
        + (f'<ul style="margin:4px 0 0 0;font-size:0.85em">{claims}</ul>' if claims else "")
        + (f'<div style="font-size:0.85em;color:#374151">Also reported by: {also}</div>' if also else "")
        + "</div>"
    )


def article_html(article: dict[str, Any]) -> str:
    """An article's clean text with labs, countries and claim sentences highlighted (escaped)."""
    spans = [(c["start"], c["end"], "claim") for c in article["claims"]]
    spans += [(m["start"], m["end"], "lab" if m["kind"] == "lab" else "country") for m in article["mentions"]]
    body = highlight(article["text"] or article["summary"], spans)
    return f'<div class="article" style="white-space:pre-wrap;line-height:1.6">{body}</div>'


def lab_country_matrix(rows: list[dict[str, Any]], top: int = 20) -> tuple[list[str], list[str], list[list[int]]]:
    """Claim counts per lab (rows) and country (columns), the most active first."""
    counts = Counter((r["lab"], r["country"]) for r in rows if r["country"])
    labs = [lab for lab, _ in Counter(r["lab"] for r in rows if r["country"]).most_common(top)]
    countries = [c for c, _ in Counter(r["country"] for r in rows if r["country"] and r["lab"] in labs).most_common(top)]
    return labs, countries, [[counts.get((lab, c), 0) for c in countries] for lab in labs]


def country_activity(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per country: claims, labs active there, and the top claim types."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["country"]:
            by.setdefault(r["country"], []).append(r)
    out = []
    for code, items in sorted(by.items(), key=lambda kv: -len(kv[1])):
        labs = Counter(r["lab"] for r in items)
        out.append({"country": code, "name": country_name(code), "claims": len(items),
                    "labs": ", ".join(lab for lab, _ in labs.most_common(5)),
                    "types": ", ".join(t for t, _ in Counter(r["type"] for r in items).most_common(3))})
    return out


def week_of(day: datetime) -> str:
    """The ISO week a date falls in, as 2026-W45."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_counts(rows: list[dict[str, Any]], by: str = "type") -> list[dict[str, Any]]:
    """Claims per ISO week and lab or type, for the timeline (week starts on Monday)."""
    counts: Counter[tuple[str, str]] = Counter()
    starts: dict[str, datetime] = {}
    for r in rows:
        if r["published"] is None:
            continue
        week = week_of(r["published"])
        starts.setdefault(week, (r["published"] - timedelta(days=r["published"].weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0))
        counts[(week, r[by])] += 1
    return [{"week": w, "week_start": starts[w], by: key, "claims": n} for (w, key), n in sorted(counts.items())]


def biggest(rows: list[dict[str, Any]], unit: str, n: int = 5) -> list[dict[str, Any]]:
    """The largest stated figures in one unit (USD, MW, chips, roles), one per lab and figure."""
    seen, out = set(), []
    for r in sorted((r for r in rows if r["unit"] == unit and r["value"]), key=lambda r: -r["value"]):
        if (r["lab"], r["value"]) in seen:
            continue  # the same figure retold by several outlets
        seen.add((r["lab"], r["value"]))
        out.append({**r, "figure": format_amount(r["value"], r["unit"])})
        if len(out) == n:
            break
    return out


def figure_html(row: dict[str, Any]) -> str:
    """One of the biggest figures: the normalised figure, the lab, and its source linked (escaped)."""
    return (f'<div class="figure">{esc(row["figure"])} · {esc(row["lab"])} · '
            f'{link(row["source"], row.get("url"))}</div>')


def claims_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claim rows shaped for a table and for CSV/JSON export (the citation columns kept)."""
    return [{"date": r["published"].strftime("%Y-%m-%d") if r["published"] else "", "lab": r["lab"],
             "type": r["type"], "country": r["country"] or "", "counterparty": r["counterparty"] or "",
             "status": r["status"] or "", "amount": r["amount"] or "", "figure": format_amount(r["value"], r["unit"]),
             "value": r["value"], "unit": r["unit"] or "",
             "evidence": r["evidence"], "source": r["source"], "title": r["title"], "url": safe_url(r["url"]) or "",
             "article_id": r["article_id"], "start": r["start"], "end": r["end"]} for r in rows]


def lab_summary(rows: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Any]:
    """One lab at a glance: countries, claim types, and what is new in the last 7 and 30 days."""
    now = now or datetime.now(UTC).replace(tzinfo=None)

    def since(days: int) -> list[dict[str, Any]]:
        cutoff = now - timedelta(days=days)
        return [r for r in rows if r["published"] and r["published"] >= cutoff]

    return {"claims": len(rows), "countries": Counter(r["country"] for r in rows if r["country"]).most_common(),
            "types": Counter(r["type"] for r in rows).most_common(), "last7": since(7), "last30": since(30),
            "latest": max((r["published"] for r in rows if r["published"]), default=None)}


def evidence_html(row: dict[str, Any]) -> str:
    """A claim's evidence sentence with its citation: source, date, link and character span."""
    figure = format_amount(row.get("value"), row.get("unit"))
    meta = " · ".join(x for x in (esc(row["type"]), esc(row["lab"]), esc(country_name(row.get("country"))),
                                  esc(row.get("amount") or ""), esc(figure), esc(row.get("status") or "")) if x)
    day = row["published"].strftime("%Y-%m-%d") if row.get("published") else ""
    return (f'<div class="evidence" style="margin:6px 0 10px 0"><div style="font-size:0.8em;color:#6b7280">{meta}</div>'
            f'<blockquote style="margin:2px 0;padding-left:10px;border-left:3px solid #f59e0b">{esc(row["evidence"])}</blockquote>'
            f'<div style="font-size:0.8em">{link(row["title"], row.get("url"))} · {esc(row["source"])} · {day}'
            f' · chars {int(row["start"])}–{int(row["end"])}</div></div>')


def flat_hits(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search hits (the JSON contract) with the passage spread into columns, for CSV."""
    return [{**{k: v for k, v in h.items() if k != "passage"}, "passage": h["passage"]["text"],
             "start": h["passage"]["start"], "end": h["passage"]["end"]} for h in hits]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV; lists and dicts (labs, claims, other outlets) as JSON inside their cell."""
    import csv
    import io
    import json

    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in r.items()}
                     for r in rows)
    return buf.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    """Rows as a JSON array (dates as ISO strings)."""
    import json

    return json.dumps(rows, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
                      ensure_ascii=False, indent=1)
