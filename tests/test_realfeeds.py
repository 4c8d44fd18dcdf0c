"""Acceptance: the 59 real-world feeds in ../shared/realfeeds, served over loopback HTTP.

Expected counts come from MANIFEST.tsv's `expected` column; the overrides below are the rows
whose note says what a careful reader gets instead of the raw count.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pytest
from conftest import REALFEEDS
from httpserver import TestServer
from sqlmodel import Session, select

from intel.config import load_settings
from intel.ingest import ingest
from intel.store import Article, add_feeds, count_articles, list_feeds, open_store

pytestmark = pytest.mark.skipif(not REALFEEDS.is_dir(), reason="../shared/realfeeds not present")

ROWS = list(csv.DictReader(open(REALFEEDS / "MANIFEST.tsv", encoding="utf-8"), delimiter="\t")) \
    if REALFEEDS.is_dir() else []
OVERRIDES = {  # file: (articles stored, health)
    "nnw_allthis-partial.json": (2, "warning"),  # 2 complete items before the cut
    "nnw_YouTubeTheVolvoRocks.html": (0, "error"),  # not a feed
    "frs_rss_2.0_invalid_1.xml": (0, "error"),  # truncated before any item
    "mf_no_encoding_ISO-8859-1.xml": (9, "ok"),  # the 10th <item> is empty: nothing to store
    "rp_itunes-missing-image.rss": (130, "ok"),  # one GUID listed twice over the same episode
    "cfr_Rss20LeFigaro.xml": (49, "ok"),  # one item listed twice
    "fj_InvalidDateFormat.xml": (2, "warning"),  # truncated after the last item
    "fj_PaulDixExplainsNothingWFW.xml": (5, "warning"),  # unbound namespace prefix
    "rome_issue137-rss.xml": (4, "warning"),  # raw HTML in description; 4 stories, one GUID
}


def _expected(row: dict[str, str]) -> tuple[int, str]:
    if row["file"] in OVERRIDES:
        return OVERRIDES[row["file"]]
    return int(re.match(r"\d+", row["expected"]).group()), "ok"  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def realserver():
    with TestServer() as srv:
        for row in ROWS:
            srv.add_file("/" + row["file"], REALFEEDS / row["file"], content_type="application/octet-stream")
        yield srv


def _ingest_one(realserver, tmp_path, name: str):
    settings = load_settings(env={}, data_dir=tmp_path / name)
    engine = open_store(settings)
    add_feeds(engine, [{"url": f"{realserver.base}/{name}"}])
    report = ingest(engine, settings)
    with Session(engine) as s:
        arts = list(s.exec(select(Article).order_by(Article.id)).all())
    return engine, report, arts, list_feeds(engine)[0]


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_every_entry_a_careful_reader_gets(realserver, tmp_path, row):
    engine, report, arts, feed = _ingest_one(realserver, tmp_path, row["file"])
    count, health = _expected(row)
    assert len(arts) == count, feed.last_error
    assert feed.health == health, feed.last_error
    if health != "ok":
        assert feed.last_error
    for art in arts:
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", art.title + art.text)
        assert "&#" not in art.title and "&amp;" not in art.title and "<b>" not in art.title
        assert art.url is None or art.url.startswith(("http://", "https://"))
        assert art.published.tzinfo is not None


def _by_file(realserver, tmp_path, name: str) -> list[Article]:
    return _ingest_one(realserver, tmp_path, name)[2]


def test_relative_links_resolved_against_the_feed(realserver, tmp_path):
    checks = {
        "fj_SamRuby.xml": "http://intertwingly.net/blog/",
        "nnw_yakubin.atom": "https://yakubin.com/notes/",
        "rp_gulp-atom.atom": "https://github.com/gulpjs/gulp/releases/tag/",
    }
    for name, prefix in checks.items():
        arts = _by_file(realserver, tmp_path, name)
        assert arts and all(a.url.startswith(prefix) for a in arts), name


def test_titles_have_entities_decoded(realserver, tmp_path):
    tsunami = _by_file(realserver, tmp_path, "nnw_OneFootTsunami.atom")
    assert any("’" in a.title for a in tsunami)
    craigslist = _by_file(realserver, tmp_path, "rp_craigslist.rss")
    assert any("$" in a.title for a in craigslist)
    assert not any("<sup>" in a.title or "&#x" in a.title for a in craigslist)


def test_encodings_recovered(realserver, tmp_path):
    koi8 = _by_file(realserver, tmp_path, "fp_chardet_koi8r.xml")
    assert koi8[0].title == "Как пережить новогоднюю ночь"
    engine, _, prolog, feed = _ingest_one(realserver, tmp_path, "mf_utf8-incorrect-prolog.xml")
    assert feed.title == "테스트 피드" and prolog[0].title == "Café"
    assert re.search("[\u0400-\u04ff]", _by_file(realserver, tmp_path, "mf_encoding_WINDOWS-1251.xml")[0].text)
    assert re.search("[\u4e00-\u9fff]", _by_file(realserver, tmp_path, "nnw_kc0011.rss")[0].title)
    latin = _by_file(realserver, tmp_path, "rp_uolNoticias.rss")
    assert any(re.search("[ãçéíóú]", a.title + a.text) for a in latin)
    assert not any("\ufffd" in a.title for a in latin)


def test_dates_feedparser_gets_wrong_are_right(realserver, tmp_path):
    kc = _by_file(realserver, tmp_path, "nnw_kc0011.rss")
    assert all(a.published.date().isoformat() == "2020-01-10" for a in kc)
    assert all(a.date_flag == "assumed_utc" for a in kc)  # no zone given: said, not hidden
    bad = _by_file(realserver, tmp_path, "fj_InvalidDateFormat.xml")
    assert bad[0].published == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)
    assert bad[0].updated == datetime(2018, 2, 12, 23, 42, 14, tzinfo=UTC)
    uol = _by_file(realserver, tmp_path, "rp_uolNoticias.rss")
    assert all(a.published.year == 2018 and a.date_flag is None for a in uol)
    italian = _by_file(realserver, tmp_path, "frs_rss_2.0_ilmessaggero.xml")
    assert italian[0].published == datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)  # 00:38 +0100
    undated = _by_file(realserver, tmp_path, "cfr_Rss20JapanTimes.xml")
    assert {a.date_flag for a in undated} == {"missing"}
    pst = _by_file(realserver, tmp_path, "rp_giantbomb-podcast.rss")
    assert all(a.date_flag is None for a in pst)


def test_control_characters_stripped(realserver, tmp_path):
    art = _by_file(realserver, tmp_path, "cfr_AtomSpecialCharacters.xml")[0]
    assert art.text and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", art.text)


def test_all_feeds_together_then_again_adds_nothing(realserver, tmp_path):
    settings = load_settings(env={}, data_dir=tmp_path / "all")
    engine = open_store(settings)
    add_feeds(engine, [{"url": f"{realserver.base}/{r['file']}"} for r in ROWS])
    first = ingest(engine, settings)
    assert first.feeds_failed == 2 and first.feeds_ok == len(ROWS) - 2
    stored = count_articles(engine)
    assert stored > 2300
    second = ingest(engine, settings)  # this server ignores conditional GET: full re-parse
    assert (second.new, second.updated) == (0, 0)
    assert count_articles(engine) == stored
