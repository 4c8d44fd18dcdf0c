"""Ordered, named schema migrations recorded in a `_migrations` table.

m001 creates the tables of the current models; each later change to the schema is a new
function (m002_add_x: ALTER TABLE ...) appended to MIGRATIONS, never an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

import intel.store.tables  # noqa: F401  (registers the tables that m001 creates)


def m001_initial(conn: Connection) -> None:
    """Create every table and index of the first schema."""
    SQLModel.metadata.create_all(conn)


def m002_extraction(conn: Connection) -> None:
    """Mentions and claims tables, and the article's extractor version (pending extraction)."""
    SQLModel.metadata.create_all(conn)  # creates only the tables that are missing
    columns = {c["name"] for c in inspect(conn).get_columns("article")}
    if "extracted_with" not in columns:
        conn.execute(text("ALTER TABLE article ADD COLUMN extracted_with VARCHAR"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_article_extracted_with ON article (extracted_with)"))


def m003_passages(conn: Connection) -> None:
    """Passages with embeddings, the article's indexed flag, and an FTS5 keyword index (SQLite)."""
    SQLModel.metadata.create_all(conn)
    columns = {c["name"] for c in inspect(conn).get_columns("article")}
    if "indexed" not in columns:
        conn.execute(text("ALTER TABLE article ADD COLUMN indexed BOOLEAN NOT NULL DEFAULT 0"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_article_indexed ON article (indexed)"))
    if conn.dialect.name != "sqlite":
        return  # keyword search falls back to LIKE elsewhere
    for statement in FTS_SQL:
        conn.execute(text(statement))


FTS_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5("
    "text, content='passage', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS passage_ai AFTER INSERT ON passage BEGIN "
    "INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS passage_ad AFTER DELETE ON passage BEGIN "
    "INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE VIRTUAL TABLE IF NOT EXISTS passage_vocab USING fts5vocab(passage_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS passage_au AFTER UPDATE OF text ON passage BEGIN "
    "INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END",
]

def m004_stories(conn: Connection) -> None:
    """The article's story (articles from several outlets reporting one event)."""
    columns = {c["name"] for c in inspect(conn).get_columns("article")}
    if "story_id" not in columns:
        conn.execute(text("ALTER TABLE article ADD COLUMN story_id INTEGER"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_article_story_id ON article (story_id)"))


MIGRATIONS: list[Callable[[Connection], None]] = [m001_initial, m002_extraction, m003_passages, m004_stories]


def migrate(conn: Connection) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied (idempotent)."""
    conn.execute(text("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"))
    done = {row[0] for row in conn.execute(text("SELECT name FROM _migrations"))}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        step(conn)
        conn.execute(
            text("INSERT INTO _migrations (name, applied_at) VALUES (:n, :t)"),
            {"n": step.__name__, "t": datetime.now(UTC).isoformat()},
        )
        applied.append(step.__name__)
    return applied


def m005_digest(conn: Connection) -> None:
    """Digest subscribers, their watches (saved searches) and the record of digests sent."""
    SQLModel.metadata.create_all(conn)  # creates only the tables that are missing


MIGRATIONS.append(m005_digest)
