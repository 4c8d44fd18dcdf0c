"""Extraction results: mentions and claims per article, pending work, unknown companies."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from intel.store.tables import (
    Article,
    Claim,
    Mention,
)


def pending_articles(engine: Engine, version: str, rebuild: bool = False, batch: int = 64) -> Iterator[list[Article]]:
    """Articles not yet extracted with this extractor version (all of them with rebuild), in batches."""
    last = 0
    while True:
        with Session(engine) as s:
            query = select(Article).where(col(Article.id) > last)
            if not rebuild:
                query = query.where((col(Article.extracted_with).is_(None)) | (Article.extracted_with != version))
            rows = list(s.exec(query.order_by(col(Article.id)).limit(batch)).all())
        if not rows:
            return
        last = int(rows[-1].id or 0)
        yield rows


def count_pending(engine: Engine, version: str) -> int:
    """How many articles wait for extraction with this version."""
    with Session(engine) as s:
        query = select(func.count()).select_from(Article).where(
            (col(Article.extracted_with).is_(None)) | (Article.extracted_with != version))
        return int(s.exec(query).one())


def save_extractions(engine: Engine, results: list[tuple[int, list[dict], list[dict]]], version: str) -> None:
    """Replace the mentions and claims of these articles, and mark them extracted (one transaction)."""
    from sqlalchemy import delete

    with Session(engine) as s:
        ids = [article_id for article_id, _, _ in results]
        s.exec(delete(Mention).where(col(Mention.article_id).in_(ids)))  # type: ignore[call-overload]
        s.exec(delete(Claim).where(col(Claim.article_id).in_(ids)))  # type: ignore[call-overload]
        for article_id, mentions, claims in results:
            s.add_all(Mention(article_id=article_id, **m) for m in mentions)
            s.add_all(Claim(article_id=article_id, extractor=version, **c) for c in claims)
            article = s.get(Article, article_id)
            if article is not None:
                article.extracted_with = version
        s.commit()


def facts_for(engine: Engine, article_ids: list[int]) -> dict[int, tuple[list[Mention], list[Claim]]]:
    """Mentions and claims of these articles, keyed by article id."""
    out: dict[int, tuple[list[Mention], list[Claim]]] = {i: ([], []) for i in article_ids}
    with Session(engine) as s:
        for m in s.exec(select(Mention).where(col(Mention.article_id).in_(article_ids)).order_by(col(Mention.start))):
            out[m.article_id][0].append(m)
        for c in s.exec(select(Claim).where(col(Claim.article_id).in_(article_ids)).order_by(col(Claim.start))):
            out[c.article_id][1].append(c)
    return out


def new_lab_counts(engine: Engine) -> list[tuple[str, int]]:
    """Companies found that the gazetteer does not know, with how many articles name them."""
    with Session(engine) as s:
        query = (select(Mention.key, func.count(func.distinct(Mention.article_id)))
                 .where(Mention.kind == "lab", Mention.known == False)  # noqa: E712
                 .group_by(Mention.key).order_by(func.count(func.distinct(Mention.article_id)).desc()))
        return [(k, int(n)) for k, n in s.exec(query).all()]
