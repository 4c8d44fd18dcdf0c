"""Schema: migrations on a blank DB, idempotent re-open, WAL and foreign keys on."""

from __future__ import annotations

import sqlite3

from sqlalchemy import inspect
from sqlmodel import SQLModel

from intel.store import add_feeds, list_feeds, open_store, remove_feeds


def test_migrate_blank_matches_models(settings):
    engine = open_store(settings)
    insp = inspect(engine)
    tables = set(insp.get_table_names())
    assert {"feed", "article", "ingestrun", "_migrations"} <= tables
    for name, table in SQLModel.metadata.tables.items():
        assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}
    indexes = {i["name"] for i in insp.get_indexes("article")}
    assert {"ix_article_feed_guid", "ix_article_url", "ix_article_published"} <= indexes


def test_open_is_idempotent(settings):
    open_store(settings)
    add_feeds(open_store(settings), [{"url": "https://a.example/feed"}])
    engine = open_store(settings)
    assert [f.url for f in list_feeds(engine)] == ["https://a.example/feed"]
    con = sqlite3.connect(settings.data_dir / "intel.db")
    assert [r[0] for r in con.execute("SELECT name FROM _migrations")] == [
        "m001_initial", "m002_extraction", "m003_passages", "m004_stories", "m005_digest"]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_keys_cascade(settings):
    from sqlmodel import Session

    from intel.store import Article, remove_feeds, utcnow

    engine = open_store(settings)
    (feed,), _ = add_feeds(engine, [{"url": "https://b.example/feed"}])
    with Session(engine) as s:
        s.add(Article(feed_id=feed.id, title="t", published=utcnow(), content_hash="h"))
        s.commit()
    assert remove_feeds(engine, ["https://b.example/feed"]) == 1
    con = sqlite3.connect(settings.data_dir / "intel.db")
    assert con.execute("SELECT COUNT(*) FROM article").fetchone()[0] == 0


def test_fts_follows_passages(settings):
    from sqlmodel import Session

    from intel.store import Article, Passage, keyword_search, utcnow

    engine = open_store(settings)
    (feed,), _ = add_feeds(engine, [{"url": "https://f.example/feed"}])
    with Session(engine) as s:
        art = Article(feed_id=feed.id, title="t", published=utcnow(), content_hash="h2")
        s.add(art)
        s.flush()
        s.add(Passage(article_id=art.id, start=0, end=30, text="Hydropower campus near Narvik"))
        s.commit()
    assert len(keyword_search(engine, "narvik hydropower", None, 5)) == 1
    remove_feeds(engine, ["https://f.example/feed"])  # cascade delete must clear the FTS rows too
    assert keyword_search(engine, "narvik", None, 5) == []


def test_add_feeds_reports_known(settings):
    engine = open_store(settings)
    added, known = add_feeds(engine, [{"url": "https://c.example/f"}, {"url": "https://c.example/f"}])
    assert len(added) == 1 and known == ["https://c.example/f"]
