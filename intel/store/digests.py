"""Digest emails: subscribers and their watches, digests sent, and the reads a digest needs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from intel.errors import InputError
from intel.store.tables import Article, Claim, DigestSend, Feed, Subscriber, Watch, utcnow


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; the store's convention is that they are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# --- subscribers and watches ---


def save_subscriber(
    engine: Engine, email: str, labs: list[str], countries: list[str], types: list[str],
    watches: list[str], replace_filters: bool = True,
) -> tuple[Subscriber, bool, list[str]]:
    """Add a subscriber (or update a known one); return (row, created, watch queries added).

    A known subscriber keeps its filters unless `replace_filters`; watches are added once each
    (the same query twice is one watch) and take the subscriber's filters.
    """
    with Session(engine) as s:
        row = s.exec(select(Subscriber).where(Subscriber.email == email)).first()
        created = row is None
        if row is None:
            row = Subscriber(email=email, labs=labs, countries=countries, types=types)
            s.add(row)
            s.flush()
        elif replace_filters:
            row.labs, row.countries, row.types = list(labs), list(countries), list(types)
        known = {w.query for w in s.exec(select(Watch).where(Watch.subscriber_id == row.id))}
        added = []
        for query in dict.fromkeys(watches):
            if query not in known:
                s.add(Watch(subscriber_id=int(row.id or 0), query=query, labs=list(row.labs),
                            countries=list(row.countries), types=list(row.types)))
                added.append(query)
        s.commit()
        s.refresh(row)
        return row, created, added


def list_subscribers(engine: Engine) -> list[tuple[Subscriber, list[Watch]]]:
    """Every subscriber, in the order they subscribed, with their watches."""
    with Session(engine) as s:
        subs = list(s.exec(select(Subscriber).order_by(col(Subscriber.id))).all())
        watches: dict[int, list[Watch]] = {}
        for w in s.exec(select(Watch).order_by(col(Watch.id))):
            watches.setdefault(w.subscriber_id, []).append(w)
    return [(sub, watches.get(int(sub.id or 0), [])) for sub in subs]


def remove_subscribers(engine: Engine, emails: list[str]) -> int:
    """Remove subscribers (and their watches); an address not subscribed is an InputError."""
    with Session(engine) as s:
        rows = list(s.exec(select(Subscriber).where(col(Subscriber.email).in_(emails))).all())
        missing = set(emails) - {r.email for r in rows}
        if missing:
            raise InputError(f"not a subscriber: {sorted(missing)[0]} (see `intel subscribers list`)")
        for row in rows:
            s.delete(row)
        s.commit()
    return len(rows)


# --- what was sent ---


def digest_sends(engine: Engine, period: str) -> dict[str, DigestSend]:
    """The send records of one period, keyed by recipient."""
    with Session(engine) as s:
        rows = s.exec(select(DigestSend).where(DigestSend.period == period)).all()
    return {r.recipient: r for r in rows}


def last_sends(engine: Engine) -> dict[str, DigestSend]:
    """Each recipient's most recent send record (by period end), for listings."""
    out: dict[str, DigestSend] = {}
    with Session(engine) as s:
        for row in s.exec(select(DigestSend).order_by(col(DigestSend.period_end), col(DigestSend.id))):
            out[row.recipient] = row
    return out


def last_sent_end(engine: Engine, recipient: str, before: datetime) -> datetime | None:
    """End of the latest period sent to this recipient that ended by `before` (watches start there)."""
    with Session(engine) as s:
        value = s.exec(select(func.max(DigestSend.period_end)).where(
            DigestSend.recipient == recipient, DigestSend.status == "sent",
            DigestSend.period_end <= before)).one()
    return _aware(value)


def record_send(
    engine: Engine, recipient: str, period: str, start: datetime, end: datetime,
    error: str | None, message_id: str | None = None,
) -> DigestSend:
    """Record one attempt to send a period's digest to a recipient (sent when error is None)."""
    now = utcnow()
    with Session(engine) as s:
        row = s.exec(select(DigestSend).where(DigestSend.recipient == recipient,
                                              DigestSend.period == period)).first()
        if row is None:
            row = DigestSend(recipient=recipient, period=period, period_start=start, period_end=end)
            s.add(row)
        row.attempts += 1
        row.updated = now
        row.error = error
        if error is None:
            row.status, row.sent_at, row.message_id = "sent", now, message_id
        elif row.status != "sent":  # a failed resend (--force) does not unsend the first one
            row.status = "failed"
        s.commit()
        s.refresh(row)
        return row


# --- the reads a digest is built from ---


def period_articles(engine: Engine, since: datetime, until: datetime) -> list[tuple[Article, Feed]]:
    """Articles published in [since, until) with their feed, oldest first."""
    with Session(engine) as s:
        query = (select(Article, Feed).join(Feed, col(Feed.id) == col(Article.feed_id))
                 .where(Article.published >= since, Article.published < until)
                 .order_by(col(Article.published), col(Article.id)))
        return [(a, f) for a, f in s.exec(query).all()]


def claims_of(engine: Engine, article_ids: list[int]) -> list[Claim]:
    """Claims of these articles, in article and text order."""
    out: list[Claim] = []
    ordered = sorted(set(article_ids))
    with Session(engine) as s:
        for i in range(0, len(ordered), 500):
            query = (select(Claim).where(col(Claim.article_id).in_(ordered[i : i + 500]))
                     .order_by(col(Claim.article_id), col(Claim.start)))
            out.extend(s.exec(query).all())
    return out


def prior_lab_countries(engine: Engine, before: datetime) -> set[tuple[str, str]]:
    """(lab, country) pairs with a claim in an article published before `before`."""
    with Session(engine) as s:
        query = (select(Claim.lab, Claim.country).join(Article, col(Article.id) == col(Claim.article_id))
                 .where(Article.published < before, col(Claim.country).is_not(None)).distinct())
        return {(lab, country) for lab, country in s.exec(query).all() if country}


def prior_highs(engine: Engine, before: datetime) -> dict[tuple[str, str], float]:
    """The largest normalised figure per (claim type, unit) in articles published before `before`."""
    with Session(engine) as s:
        query = (select(Claim.type, Claim.unit, func.max(Claim.value))
                 .join(Article, col(Article.id) == col(Claim.article_id))
                 .where(Article.published < before, col(Claim.value).is_not(None), col(Claim.unit).is_not(None))
                 .group_by(Claim.type, Claim.unit))
        return {(t, u): float(v) for t, u, v in s.exec(query).all() if v is not None}


def failing_feeds(engine: Engine) -> list[Feed]:
    """Feeds whose last fetch failed or was only partly readable, most failures first."""
    with Session(engine) as s:
        query = (select(Feed).where(col(Feed.health).in_(["error", "warning"]))
                 .order_by(col(Feed.consecutive_failures).desc(), col(Feed.id)))
        return list(s.exec(query).all())

