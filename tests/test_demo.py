"""The bundled offline sample: the demo stores it, a second ingest adds nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner
from httpserver import TestServer

from intel.cli import cli
from intel.config import SAMPLE_DIR, load_settings
from intel.demo import run_demo
from intel.ingest import ingest
from intel.opml import parse_opml
from intel.store import add_feeds, count_articles, list_feeds, open_store


def test_demo_command_stores_the_sample(tmp_path):
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "demo"), "demo"])
    assert res.exit_code == 0, res.output
    assert "first pass:  feeds: 5 ok, 0 failed" in res.output
    assert "second pass: feeds: 5 ok, 0 failed | articles: 0 new" in res.output
    assert "warning" in res.output and "truncated" in res.output  # the malformed feed, flagged
    again = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "demo"), "demo"])
    assert again.exit_code == 0  # an earlier demo dir is replaced, not appended to


def test_demo_refuses_a_non_demo_directory(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "precious"), "demo"])
    assert res.exit_code == 1 and "not a demo directory" in res.output
    assert (tmp_path / "precious" / "notes.txt").exists()


def test_sample_is_rich_enough(tmp_path):
    engine, reports = run_demo(load_settings(env={}, data_dir=tmp_path / "d"))
    feeds = list_feeds(engine)
    assert sum(f.health in {"ok"} for f in feeds) >= 4
    assert count_articles(engine) >= 80
    broken = [f for f in feeds if f.health != "ok"]
    assert len(broken) == 1 and broken[0].last_error
    stored = {(f.title or "") for f in feeds if f.items_total}
    assert len(stored) >= 4
    records = list(__import__("intel.export", fromlist=["iter_records"]).iter_records(engine))
    months = {r["published"][:7] for r in records}
    assert len(months) >= 3  # several weeks of 2026
    assert sum(r["summary_only"] for r in records) >= 5
    assert not any("<script" in r["text"] or "alert(" in r["text"] for r in records)


def test_sample_twice_without_conditional_get_adds_nothing(tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "s")
    engine = open_store(settings)
    with TestServer() as srv:
        for path in (SAMPLE_DIR / "feeds").iterdir():
            srv.add_file(f"/feeds/{path.name}", path)
        add_feeds(engine, parse_opml((SAMPLE_DIR / "feeds.opml").read_bytes(), base=srv.base + "/"))
        first = ingest(engine, settings)
        stored = count_articles(engine)
        second = ingest(engine, settings)
    assert first.new == stored >= 80
    assert (second.new, second.updated) == (0, 0) and second.duplicate >= stored
    assert count_articles(engine) == stored


def test_cross_outlet_stories_are_separate_articles(tmp_path):
    stories = json.loads((SAMPLE_DIR / "stories.json").read_text())
    assert len(stories) >= 10
    engine, _ = run_demo(load_settings(env={}, data_dir=tmp_path / "d2"))
    from sqlmodel import Session, select

    from intel.store import Article

    with Session(engine) as s:
        guids = set(s.exec(select(Article.guid)).all())
    for story in stories:
        assert all(item["id"] in guids for item in story["items"]), story["story"]
