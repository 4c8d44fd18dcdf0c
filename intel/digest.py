"""The weekly digest: what a period brought, for one recipient's filters, every line cited.

`build_digest()` is pure: it takes what the store holds for the period (`DigestData`, read by
`load_digest_data()`), one recipient's filters and the hits of their watches, and returns a
`Digest`. Claims are merged per story, lab and type, so one event told by three outlets is one
line citing three articles. Top stories score one point per distinct outlet
(corroboration), up to one more for the largest figure (log scale: $1T, 10 GW or 1M chips score
1), and up to RECENCY for how late in the period they ran: one more outlet always outranks a
bigger figure, and recency only breaks near ties.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from intel.amounts import format_amount
from intel.geo import country_name
from intel.periods import Period, last_week, parse_period, week_period

__all__ = ["Digest", "DigestData", "Period", "Recipient", "build_digest", "last_week", "load_digest_data",
           "parse_period", "week_period"]

TOP_STORIES = 5
RECENCY = 0.25  # weight of lateness in the period: breaks near ties, never outweighs an outlet
TYPE_ORDER = ("datacenter", "compute_deal", "chips", "power", "investment", "hiring", "expansion",
              "partnership")
# log10 of a figure that scores 1.0 (the ceiling) per unit: $1T, 10 GW, 1M chips, 10,000 roles
_SCALE = {"USD": 12.0, "MW": 4.0, "chips": 6.0, "roles": 4.0}


@dataclass(frozen=True)
class Source:
    """An article a line is based on: the citation."""

    article_id: int
    title: str
    outlet: str
    url: str | None
    published: datetime

    @property
    def link(self) -> str | None:
        """The URL when it is http(s): a feed could hand us javascript: or data: URLs."""
        return safe_url(self.url)


@dataclass(frozen=True)
class ClaimFact:
    """One stored claim, as the digest needs it."""

    article_id: int
    lab: str
    type: str
    country: str | None
    status: str | None
    amount: str | None
    value: float | None
    unit: str | None
    evidence: str


@dataclass(frozen=True)
class FeedProblem:
    """A feed that is failing (operator section)."""

    name: str
    url: str
    health: str
    error: str | None
    failures: int
    last_ok: datetime | None


@dataclass
class DigestData:
    """Everything the store holds that a period's digests are built from."""

    period: Period
    articles: dict[int, Source]
    story_of: dict[int, int]  # article id -> story id (itself when told once)
    claims: list[ClaimFact]
    prior_pairs: set[tuple[str, str]]  # (lab, country) with a claim before the period
    prior_highs: dict[tuple[str, str], float]  # (type, unit) -> largest figure before the period
    failing_feeds: list[FeedProblem] = field(default_factory=list)


@dataclass
class Recipient:
    """Who a digest is for and what they asked to see (empty filter: everything)."""

    email: str
    labs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    operator: bool = False  # also gets the feeds with problems
    preview: bool = False  # not a real recipient: `intel digest --print/--preview`

    def matches(self, c: ClaimFact) -> bool:
        """Whether a claim passes every filter."""
        return ((not self.labs or c.lab in self.labs) and (not self.types or c.type in self.types)
                and (not self.countries or c.country in self.countries))

    def describe(self) -> str:
        """The filters in words ('all labs, countries and claim types' when none)."""
        parts = [f"{name}: {', '.join(values)}" for name, values in
                 (("labs", self.labs), ("countries", self.countries), ("types", self.types)) if values]
        return "; ".join(parts) or "all labs, countries and claim types"


@dataclass
class WatchResult:
    """A saved search and its new matches (article, best passage) since the last digest."""

    query: str
    since: datetime
    hits: list[tuple[Source, str]]


@dataclass
class ClaimLine:
    """One lab's claim of one type in one story, with every article that states it."""

    lab: str
    type: str
    countries: list[str]
    status: str | None
    amount: str | None
    evidence: str
    sources: list[Source]
    figures_differ: list[str] = field(default_factory=list)  # "1.4 GW (Outlet A)", ...
    value: float | None = None
    unit: str | None = None


@dataclass
class StoryLine:
    """A story: the articles of several outlets about one event, and its claims."""

    title: str
    sources: list[Source]
    claims: list[ClaimLine]
    outlets: int
    score: float


@dataclass
class Line:
    """A sentence of the digest and the articles it is built from."""

    text: str
    sources: list[Source]
    key: tuple[str, ...] = ()  # what it states, e.g. ("first", lab, country) or ("record", type, unit)


@dataclass
class Digest:
    """One recipient's digest for one period, ready to render."""

    period: Period
    recipient: Recipient
    subject: str
    stories: list[StoryLine]
    summaries: list[Line]
    by_lab: list[tuple[str, list[ClaimLine]]]
    by_type: list[tuple[str, list[Line]]]
    firsts: list[Line]
    watches: list[WatchResult]
    failing_feeds: list[FeedProblem]
    sources: list[Source] = field(default_factory=list)  # numbered in order of first citation

    def refs(self, sources: list[Source]) -> list[int]:
        """The citation numbers of these articles, ascending ([n] in the text part)."""
        order = {s.article_id: n for n, s in enumerate(self.sources, 1)}
        return sorted({order[s.article_id] for s in sources})

    def links(self) -> set[str]:
        """Every article URL the digest cites."""
        return {s.link for s in self.sources if s.link}

    def is_empty(self) -> bool:
        """Nothing matched the recipient's filters or watches (feed problems do not count)."""
        return not (self.stories or any(w.hits for w in self.watches))


# --- reading the store ---


def load_digest_data(engine: Engine, period: Period) -> DigestData:
    """What the store holds for the period: articles, their stories and claims, earlier highs."""
    from intel.store import claims_of, failing_feeds, period_articles, prior_highs, prior_lab_countries

    rows = period_articles(engine, period.start, period.end)
    articles = {int(a.id or 0): Source(int(a.id or 0), a.title or "(untitled)", f.title or f.url,
                                       safe_url(a.url or a.link), _aware(a.published)) for a, f in rows}
    story_of = {int(a.id or 0): int(a.story_id or a.id or 0) for a, _ in rows}
    claims = [ClaimFact(c.article_id, c.lab, c.type, c.country, c.status, c.amount, c.value, c.unit,
                        c.evidence) for c in claims_of(engine, list(articles))]
    feeds = [FeedProblem(f.title or f.url, f.url, f.health, f.last_error, f.consecutive_failures,
                         _aware(f.last_ok) if f.last_ok else None) for f in failing_feeds(engine)]
    return DigestData(period, articles, story_of, claims, prior_lab_countries(engine, period.start),
                      prior_highs(engine, period.start), feeds)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def safe_url(url: str | None) -> str | None:
    """Only http(s) links: a feed could hand us javascript: or data: URLs."""
    return url if url and re.match(r"https?://[^\s\"'<>]+$", url, re.IGNORECASE) else None


# --- building ---


def build_digest(data: DigestData, recipient: Recipient, watches: list[WatchResult] | None = None) -> Digest:
    """One recipient's digest: top stories, firsts, per-lab summaries, claims by lab and type."""
    claims = [c for c in data.claims if recipient.matches(c) and c.article_id in data.articles]
    lines = _claim_lines(data, claims)
    stories = _stories(data, lines)
    by_lab = _by_lab(lines)
    digest = Digest(
        period=data.period, recipient=recipient, subject="", stories=stories[:TOP_STORIES],
        summaries=[_summary(lab, items) for lab, items in by_lab], by_lab=by_lab,
        by_type=_by_type(lines), firsts=_firsts(data, recipient, lines), watches=list(watches or []),
        failing_feeds=list(data.failing_feeds) if recipient.operator else [],
    )
    digest.subject = make_subject(data.period, digest.stories[0].title if digest.stories else None)
    digest.sources = _numbered(digest)
    return digest


def _claim_lines(data: DigestData, claims: list[ClaimFact]) -> list[ClaimLine]:
    """Claims merged per (story, lab, type): one line, every article that states it."""
    groups: dict[tuple[int, str, str], list[ClaimFact]] = {}
    for c in claims:
        groups.setdefault((data.story_of.get(c.article_id, c.article_id), c.lab, c.type), []).append(c)
    lines = []
    for (_, lab, kind), items in groups.items():
        best = max(items, key=lambda c: (c.value is not None, c.value or 0.0, c.country is not None))
        sources = sorted({data.articles[c.article_id] for c in items}, key=lambda s: (s.published, s.article_id))
        lines.append(ClaimLine(
            lab=lab, type=kind, countries=list(dict.fromkeys(c.country for c in items if c.country)),
            status=best.status, amount=best.amount, evidence=best.evidence, sources=sources,
            figures_differ=_differing_figures(data, items), value=best.value, unit=best.unit))
    return lines


def _differing_figures(data: DigestData, items: list[ClaimFact]) -> list[str]:
    """Each outlet's largest figure per unit, listed when outlets disagree by more than 10%."""
    out = []
    for unit in sorted({c.unit for c in items if c.value and c.unit}):
        per_outlet: dict[str, ClaimFact] = {}
        for c in items:
            outlet = data.articles[c.article_id].outlet
            if c.unit == unit and c.value and (outlet not in per_outlet or c.value > (per_outlet[outlet].value or 0)):
                per_outlet[outlet] = c
        values = [c.value or 0.0 for c in per_outlet.values()]
        if len(per_outlet) > 1 and max(values) > 1.1 * min(values):
            out.extend(f"{c.amount or format_amount(c.value, unit)} ({outlet})" for outlet, c in per_outlet.items())
    return out


def _stories(data: DigestData, lines: list[ClaimLine]) -> list[StoryLine]:
    """Stories with at least one matching claim, best first."""
    by_story: dict[int, list[ClaimLine]] = {}
    for line in lines:
        by_story.setdefault(data.story_of.get(line.sources[0].article_id, 0), []).append(line)
    span = (data.period.end - data.period.start).total_seconds() or 1.0
    out = []
    for story, items in by_story.items():
        members = sorted((s for a, s in data.articles.items() if data.story_of.get(a) == story),
                         key=lambda s: (s.published, s.article_id))
        counts = {s.article_id: sum(s in line.sources for line in items) for s in members}
        lead = max(members, key=lambda s: (counts[s.article_id], -s.published.timestamp()))
        outlets = len({s.outlet for s in members})
        recency = (members[-1].published - data.period.start).total_seconds() / span
        score = outlets + max((_figure_score(x.value, x.unit) for x in items), default=0.0) + RECENCY * recency
        out.append(StoryLine(lead.title, members, items, outlets, round(score, 4)))
    out.sort(key=lambda s: (-s.score, -len(s.claims), s.title))
    return out


def _figure_score(value: float | None, unit: str | None) -> float:
    if not value or value <= 1 or unit not in _SCALE:
        return 0.0
    return min(1.0, math.log10(value) / _SCALE[unit])


def _by_lab(lines: list[ClaimLine]) -> list[tuple[str, list[ClaimLine]]]:
    groups: dict[str, list[ClaimLine]] = {}
    for line in lines:
        groups.setdefault(line.lab, []).append(line)
    for items in groups.values():
        items.sort(key=lambda x: (_type_rank(x.type), x.sources[0].published))
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].lower()))


def _by_type(lines: list[ClaimLine]) -> list[tuple[str, list[Line]]]:
    """Per claim type: each lab once, citing every article of its claims of that type."""
    out = []
    for kind in sorted({x.type for x in lines}, key=_type_rank):
        labs: dict[str, dict[Source, None]] = {}  # ordered sets of sources
        for line in lines:
            if line.type == kind:
                labs.setdefault(line.lab, {}).update(dict.fromkeys(line.sources))
        out.append((kind, [Line(lab, list(sources)) for lab, sources in sorted(labs.items(), key=lambda kv: kv[0].lower())]))
    return out


def _type_rank(kind: str) -> int:
    return TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER)


def _summary(lab: str, lines: list[ClaimLine]) -> Line:
    """One line per lab, built from its claims: each type with where and the largest figure."""
    parts = []
    for kind in sorted({x.type for x in lines}, key=_type_rank):
        same = [x for x in lines if x.type == kind]
        countries = list(dict.fromkeys(c for x in same for c in x.countries))
        part = type_label(kind) + (f" in {', '.join(country_name(c) for c in countries[:3])}" if countries else "")
        figures = [x for x in same if x.value and x.amount]
        if figures:
            part += f" ({max(figures, key=lambda x: x.value or 0).amount})"
        parts.append(part + (f" x{len(same)}" if len(same) > 1 else ""))
    sources = list(dict.fromkeys(s for x in lines for s in x.sources))
    outlets = len({s.outlet for s in sources})
    return Line(f"{lab}: {'; '.join(parts)} - {outlets} outlet{'s' if outlets > 1 else ''}", sources)


def _firsts(data: DigestData, recipient: Recipient, lines: list[ClaimLine]) -> list[Line]:
    """A lab's first claim in a country, and figures larger than any stored before the period."""
    out = []
    seen: set[tuple[str, str]] = set()
    for line in sorted(lines, key=lambda x: x.sources[0].published):
        for country in line.countries:
            pair = (line.lab, country)
            if pair in data.prior_pairs or pair in seen:
                continue
            seen.add(pair)
            sources = list(dict.fromkeys(s for x in lines if x.lab == line.lab and country in x.countries
                                         for s in x.sources))
            out.append(Line(f"{line.lab}: first claim in {country_name(country)} ({type_label(line.type)})",
                            sources, ("first", line.lab, country)))
    for (kind, unit), high in sorted(data.prior_highs.items()):
        top = [c for c in data.claims if c.type == kind and c.unit == unit and c.value and c.value > high
               and c.article_id in data.articles]
        if not top:
            continue
        best = max(top, key=lambda c: c.value or 0.0)
        if not recipient.matches(best):
            continue
        sources = sorted({data.articles[c.article_id] for c in top if c.lab == best.lab and c.value == best.value},
                         key=lambda s: s.published)
        out.append(Line(f"Largest {type_label(kind)} figure yet: {best.amount or format_amount(best.value, unit)} "
                        f"by {best.lab} (previous high {format_amount(high, unit)})", sources, ("record", kind, unit)))
    return out


def _numbered(digest: Digest) -> list[Source]:
    """Every cited article once, in the order the digest first cites it."""
    seen: dict[int, Source] = {}
    groups = [s.sources for s in digest.stories] + [x.sources for x in digest.firsts]
    groups += [x.sources for x in digest.summaries]
    groups += [line.sources for _, items in digest.by_lab for line in items]
    groups += [x.sources for _, items in digest.by_type for x in items]
    groups += [[src for src, _ in w.hits] for w in digest.watches]
    for group in groups:
        for source in group:
            seen.setdefault(source.article_id, source)
    return list(seen.values())


# --- wording ---


def type_label(kind: str) -> str:
    """'compute_deal' -> 'compute deal'."""
    return kind.replace("_", " ")


def make_subject(period: Period, headline: str | None) -> str:
    """The subject line: period and top story, with every control character removed.

    Feed text may carry CR/LF ('...\\r\\nBcc: x'); dropping control and format characters and
    collapsing whitespace keeps it one header line whatever the feed sent.
    """
    text = f"AI infrastructure digest {period.label}: {headline or 'no new claims'}"
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= 150 else text[:149].rstrip() + "\u2026"
