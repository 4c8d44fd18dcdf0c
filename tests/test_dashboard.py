"""The dashboard through Streamlit's own AppTest: every page, filters, click-through, escaping, feeds.

The store is the bundled sample plus one hostile feed (served by the loopback test server) whose
title and body carry <script> and <img onerror>, ingested, extracted and indexed for real.
"""

from __future__ import annotations

import pytest
import streamlit as st
from conftest import FIXTURES
from streamlit.testing.v1 import AppTest

from intel import dashboard as dash
from intel.config import ROOT, load_settings
from intel.store import browse as db
from intel.store import count_articles, list_feeds, open_store

HOSTILE_FEED = (FIXTURES / "feeds" / "hostile.xml").read_bytes()  # <script>, <img onerror>, javascript:


@pytest.fixture(scope="module")
def store_dir(dashboard_store):  # type: ignore[no-untyped-def]
    return dashboard_store


@pytest.fixture
def app(store_dir, monkeypatch):  # type: ignore[no-untyped-def]
    """A fresh AppTest of app.py on the module's store (caches cleared: each test starts cold)."""
    monkeypatch.setenv("INTEL_DATA_DIR", str(store_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    st.cache_resource.clear()
    st.cache_data.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()


def _engine(store_dir):  # type: ignore[no-untyped-def]
    return open_store(load_settings(env={}, data_dir=store_dir))


def _page(at: AppTest, name: str) -> AppTest:
    at.sidebar.radio(key="page").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(m.value for m in at.sidebar.markdown)


def test_every_page_renders(app):
    assert not app.exception
    assert "Latest stories" in " ".join(c.value for c in app.caption)
    for name, expect in [("Landscape", "plotly_chart"), ("Timeline", "plotly_chart"), ("Lab profile", "metric"),
                         ("Article", "info"), ("Feeds", "dataframe"), ("Export", "download_button")]:
        at = _page(app, name)
        assert at.header[0].value == name if name != "Lab profile" else at.header[0].value == "Lab profile"
        assert at.get(expect), f"{name} shows no {expect}"


def test_search_cites_passages_and_filters_narrow(app, store_dir):
    app.text_input(key="query").set_value("Anthropic compute deal with Google TPUs").run()
    hits = app.session_state["last_hits"]
    assert hits and "Anthropic" in hits[0]["labs"]
    assert '<div class="hit"' in _html(app) and '<mark class="term"' in _html(app)
    engine = _engine(store_dir)
    for hit in hits:  # each card's passage is the article text at its span
        text = db.article_detail(engine, hit["article_id"])["text"]
        assert text[hit["passage"]["start"]:hit["passage"]["end"]] == hit["passage"]["text"]
    app.sidebar.multiselect(key="f_countries").set_value(["JP"]).run()
    narrowed = app.session_state["last_hits"]
    assert narrowed and {h["article_id"] for h in narrowed} != {h["article_id"] for h in hits}
    assert all("JP" in h["countries"] for h in narrowed)
    lonely = _lab_never_with(store_dir, "JP")  # a lab no article in Japan names: nothing can match
    app.sidebar.multiselect(key="f_labs").set_value([lonely]).run()
    assert app.session_state["last_hits"] == []
    assert "No matching articles" in app.info[0].value


def _lab_never_with(store_dir, country: str) -> str:  # type: ignore[no-untyped-def]
    import sqlite3

    with sqlite3.connect(store_dir / "intel.db") as conn:
        return conn.execute(
            "SELECT lab FROM claim WHERE article_id NOT IN (SELECT article_id FROM mention WHERE kind = 'lab' AND key = "
            "claim.lab AND article_id IN (SELECT article_id FROM mention WHERE kind = 'country' AND key = ?)) "
            "AND lab NOT IN (SELECT m1.key FROM mention m1 JOIN mention m2 ON m1.article_id = m2.article_id "
            "WHERE m1.kind = 'lab' AND m2.kind = 'country' AND m2.key = ?) LIMIT 1", (country, country)).fetchone()[0]


def test_hit_click_opens_article_with_highlighted_evidence(app, store_dir):
    app.text_input(key="query").set_value("Stargate Abilene campus power").run()
    first = app.session_state["last_hits"][0]
    app.button(key="hit_0").click().run()
    assert app.sidebar.radio(key="page").value == "Article"
    page = _html(app)
    article = db.article_detail(_engine(store_dir), first["article_id"])
    assert dash.esc(article["title"]) in page
    for claim in article["claims"]:
        assert dash.esc(claim["evidence"]) in page
    assert '<mark class="claim"' in page and '<mark class="lab' in page


def test_landscape_filters_and_click_through(app, store_dir):
    at = _page(app, "Landscape")
    all_labs = at.selectbox(key="land_lab").options
    assert len(all_labs) > 3
    at.sidebar.multiselect(key="f_labs").set_value(["Microsoft"]).run()
    assert at.selectbox(key="land_lab").options == ["Microsoft"]
    country = at.selectbox(key="land_country").value
    expected = [r for r in db.claim_rows(_engine(store_dir), db.Scope(labs=["Microsoft"], countries=[country]))]
    assert f"{len(expected)} claim{'s' if len(expected) != 1 else ''} by Microsoft" in " ".join(c.value for c in at.caption)
    at.button(key="land_0").click().run()
    assert at.sidebar.radio(key="page").value == "Article"
    assert dash.esc(expected[0]["evidence"]) in _html(at)


def test_timeline_type_filter_and_week_evidence(app, store_dir):
    at = _page(app, "Timeline")
    at.sidebar.multiselect(key="f_types").set_value(["power"]).run()
    week = at.selectbox(key="tl_week").value
    evidence = [m.value for m in at.markdown if 'class="evidence"' in m.value]
    assert evidence and all(">power · " in e for e in evidence)
    rows = db.claim_rows(_engine(store_dir), db.Scope(types=["power"]))
    assert len(evidence) == min(30, sum(1 for r in rows if dash.week_of(r["published"]) == week))
    assert any("GW" in m.value or "MW" in m.value for m in at.markdown)  # biggest power figures called out


def test_lab_profile_matches_store(app, store_dir):
    at = _page(app, "Lab profile")
    at.selectbox(key="lab").set_value("Anthropic").run()
    rows = db.claim_rows(_engine(store_dir), db.Scope(labs=["Anthropic"]))
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Claims"]) == len(rows) > 0
    assert int(metrics["Countries"]) == len({r["country"] for r in rows if r["country"]})
    assert len(at.dataframe[0].value) == len(rows)
    assert "Recent stories" in [s.value for s in at.subheader]


def test_feed_content_is_escaped_everywhere(app, store_dir):
    app.text_input(key="query").set_value("Fluidstack Kansas City data center campus").run()
    hits = app.session_state["last_hits"]
    hostile = next(h for h in hits if "Kansas City" in h["title"])  # ingest strips tags from titles
    pages = [_html(app)]
    app.button(key=f"hit_{hits.index(hostile)}").click().run()
    pages.append(_html(app))
    for name in ("Landscape", "Timeline", "Lab profile"):
        at = _page(app, name)
        if name == "Lab profile":
            at.selectbox(key="lab").set_value("Fluidstack").run()
        pages.append(_html(at))
    at = _page(app, "Timeline")  # the hostile feed alone: its figures and evidence are the ones listed
    at.sidebar.multiselect(key="f_sources").set_value([hostile["source"]]).run()
    assert any('class="figure"' in m.value for m in at.markdown)
    pages.append(_html(at))
    joined = "\n".join(pages)
    assert dash.esc(hostile["title"]) in joined and "&quot;AI factory&quot;" in joined
    assert "&lt;img src=x onerror=&quot;window.__xss=3&quot;&gt;" in joined  # the body's literal tag, as text
    assert "<script" not in joined.lower() and "<img" not in joined.lower()
    assert "javascript:" not in joined.lower().replace("&quot;", "")  # the bad link is never an href
    bad_link = db.article_detail(_engine(store_dir), hostile["article_id"] + 1)
    assert bad_link["title"].startswith("Bad link item") and bad_link["url"] is None  # dropped at ingest


def test_export_downloads_cite_every_row(app, store_dir):
    at = _page(app, "Export")
    at.sidebar.multiselect(key="f_labs").set_value(["OpenAI"]).run()
    rows = db.claim_rows(_engine(store_dir), db.Scope(labs=["OpenAI"]))
    assert f"Claims in the current filters ({len(rows)})" in [s.value for s in at.subheader]
    assert len(at.get("download_button")) == 2  # CSV and JSON; no search run yet
    table = dash.claims_table(rows)
    assert all(r["url"].startswith("http") and r["evidence"] and r["end"] > r["start"] for r in table)
    import csv
    import io
    import json

    parsed = list(csv.DictReader(io.StringIO(dash.to_csv(table))))
    assert [r["evidence"] for r in parsed] == [r["evidence"] for r in table]
    assert json.loads(dash.to_json(table))[0]["url"] == table[0]["url"]
    at = _page(at, "Search")
    at.text_input(key="query").set_value("OpenAI Stargate").run()
    at = _page(at, "Export")
    assert len(at.get("download_button")) == 4  # and now the search results too
    flat = dash.flat_hits(at.session_state["last_hits"])
    assert all(h["labs"] and "OpenAI" in h["labs"] for h in flat) and {"passage", "start", "end"} <= set(flat[0])


def test_feeds_page_adds_a_feed_and_ingests(server, tmp_path, monkeypatch):
    from httpserver import Route

    data = tmp_path / "fresh"
    monkeypatch.setenv("INTEL_DATA_DIR", str(data))
    monkeypatch.setenv("INTEL_EXTRACT_ON_INGEST", "0")  # the ingest itself is what this page adds
    st.cache_resource.clear()
    st.cache_data.clear()
    url = server.add("/dash-feeds.xml", Route(body=HOSTILE_FEED))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at = _page(at, "Feeds")
    at.text_input(key="new_feed").set_value("ftp://nope")
    at.get("form_submit_button")[0].click().run()
    assert at.error and "http" in at.error[0].value.lower()
    at.text_input(key="new_feed").set_value(url)
    at.get("form_submit_button")[0].click().run()
    assert at.success and url in at.success[0].value
    at.button(key="ingest").click().run()
    assert not at.exception
    assert "2 new" in at.success[-1].value
    engine = open_store(load_settings(env={}, data_dir=data))
    assert count_articles(engine) == 2 and list_feeds(engine)[0].health == "ok"
    opml = (f'<opml version="2.0"><body><outline text="Tech"><outline type="rss" xmlUrl="{url}"/>'
            '<outline type="rss" text="Second" xmlUrl="http://127.0.0.1:9/second.xml"/></outline></body></opml>')
    at.file_uploader(key="opml").upload("feeds.opml", opml.encode(), "text/xml").run()
    at.button(key="import_opml").click().run()
    assert "imported 1 feeds (1 already subscribed)" in at.success[-1].value
    assert len(list_feeds(engine)) == 2


def test_highlight_nests_and_escapes():
    text = 'OpenAI <b>builds</b> in "Texas"'
    out = dash.highlight(text, [(0, 6, "lab"), (0, len(text), "claim"), (25, 30, "country")])
    assert out.startswith('<mark class="claim lab"')
    assert "&lt;b&gt;builds&lt;/b&gt;" in out and "&quot;" in out and "<b>" not in out
    assert dash.safe_url("javascript:alert(1)") is None and dash.safe_url('http://x/"><script>') is None
    assert dash.format_amount(12.5e9, "USD") == "$12.5bn" and dash.format_amount(1200, "MW") == "1.20 GW"


def test_world_shapes_cover_the_big_markets():
    from intel.geo import country_points, shaped_countries, world_geojson

    shaped = shaped_countries()
    assert {"US", "CN", "AE", "SA", "JP", "IN", "FR", "MY"} <= shaped
    assert "SG" not in shaped and abs(country_points()["SG"][0] - 1.29) < 0.1  # a marker instead of a shape
    us = next(f for f in world_geojson()["features"] if f["id"] == "US")
    lons = [p[0] for poly in us["geometry"]["coordinates"] for p in poly[0]]
    assert -125 < min(lons) < -60 or min(lons) < -150  # mainland or Alaska, real longitudes


def test_region_filter_answers_middle_east_question(app):
    from intel.geo import REGIONS

    gulf = set(REGIONS["Middle East & Gulf"])
    app.sidebar.multiselect(key="f_regions").set_value(["Middle East & Gulf"]).run()
    app.text_input(key="query").set_value("who is building data centers in the Middle East?").run()
    hits = app.session_state["last_hits"]
    assert hits and all(gulf & set(h["countries"]) for h in hits)
    assert any({"AE", "SA"} & set(h["countries"]) for h in hits[:3])
