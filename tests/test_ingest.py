"""Ingest over a real loopback HTTP server: good feeds, every kind of bad input, dedupe, 304s."""

from __future__ import annotations

from dataclasses import replace

from conftest import FIXTURES
from httpserver import Route
from sqlmodel import Session, select

from intel.ingest import ingest
from intel.store import Article, Feed, add_feeds, count_articles, list_feeds

FEEDS = FIXTURES / "feeds"


def _subscribe(engine, *urls: str) -> None:
    add_feeds(engine, [{"url": u} for u in urls])


def _feed(engine, url: str) -> Feed:
    return list_feeds(engine, [url])[0]


def _articles(engine) -> list[Article]:
    with Session(engine) as s:
        return list(s.exec(select(Article).order_by(Article.id)).all())


def test_good_feed_stored_clean_and_idempotent(server, engine, settings):
    url = server.add_file("/good.xml", FEEDS / "good.xml")
    _subscribe(engine, url)
    report = ingest(engine, settings)
    assert (report.feeds_ok, report.feeds_failed, report.new) == (1, 0, 3)
    arts = {a.guid: a for a in _articles(engine)}
    oracle = arts["gw-1"]
    assert oracle.url == "https://goodwire.example/2026/10/oracle-abilene?id=7"  # utm_* removed
    assert oracle.text.startswith("Oracle began construction of a 1.2 gigawatt")
    assert "\n\n" in oracle.text and "<p>" not in oracle.text
    assert oracle.published.isoformat() == "2026-10-06T09:15:00+00:00"
    assert arts["gw-2"].published.isoformat() == "2026-10-07T23:00:00+00:00"  # -0500 -> UTC
    assert arts["gw-3"].published.isoformat() == "2026-10-07T17:30:00+00:00"  # +0900 -> UTC
    assert arts["gw-2"].summary_only and "Mäntsälä" in arts["gw-2"].text
    assert oracle.language == "en"
    feed = _feed(engine, url)
    assert (feed.health, feed.title, feed.items_total, feed.consecutive_failures) == ("ok", "Good Wire", 3, 0)
    again = ingest(engine, settings)
    assert (again.new, again.duplicate, again.updated) == (0, 3, 0)
    assert count_articles(engine) == 3


def test_conditional_get_304_costs_nothing(server, engine, settings):
    route = Route(body=(FEEDS / "good.xml").read_bytes(), etag=True)
    url = server.add("/etag.xml", route)
    _subscribe(engine, url)
    ingest(engine, settings)
    before = len(server.requests)
    report = ingest(engine, settings)
    assert (report.new, report.duplicate) == (0, 0)
    path, headers = server.requests[before]
    assert path == "/etag.xml" and headers.get("If-None-Match", "").startswith('"')
    assert _feed(engine, url).last_status == 304
    assert "intel/" in headers["User-Agent"]


def test_malformed_xml_salvages_and_flags(server, engine, settings):
    url = server.add_file("/malformed.xml", FEEDS / "malformed.xml")
    _subscribe(engine, url)
    report = ingest(engine, settings)
    feed = _feed(engine, url)
    assert feed.health == "warning" and "malformed" in (feed.last_error or "")
    assert report.feeds_failed == 0 and report.warnings
    assert [a.guid for a in _articles(engine)][0] == "b-1"


def test_undeclared_windows_1252(server, engine, settings):
    url = server.add_file("/cp.xml", FEEDS / "cp1252_undeclared.xml", content_type="application/xml")
    _subscribe(engine, url)
    ingest(engine, settings)
    art = _articles(engine)[0]
    assert art.title == "“Mistral” raises €1.7bn for compute in Essonne"
    assert "Bruyères-le-Châtel" in art.text
    assert _feed(engine, url).title == "Café Tech Revue"


def test_bom_before_declaration(server, engine, settings):
    url = server.add_file("/bom.xml", FEEDS / "bom.xml")
    _subscribe(engine, url)
    ingest(engine, settings)
    assert _articles(engine)[0].title == "Café owners in Zürich rent space to a GPU cloud"
    assert _feed(engine, url).health == "ok"


def test_html_page_is_not_a_feed(server, engine, settings):
    url = server.add_file("/page.html", FEEDS / "html_page.html", content_type="text/html")
    _subscribe(engine, url)
    report = ingest(engine, settings)
    feed = _feed(engine, url)
    assert report.feeds_failed == 1 and feed.health == "error"
    assert "HTML page" in feed.last_error and "https://site.example/feed.xml" in feed.last_error
    assert count_articles(engine) == 0


def test_http_errors_recorded_and_others_still_ingest(server, engine, settings):
    good = server.add_file("/good-2.xml", FEEDS / "good.xml")
    e500 = server.add("/500.xml", Route(status=500, body=b"oops"))
    missing = server.base + "/never-registered.xml"
    _subscribe(engine, good, e500, missing)
    report = ingest(engine, settings)
    assert (report.feeds_ok, report.feeds_failed, report.new) == (1, 2, 3)
    assert _feed(engine, e500).last_error.startswith("HTTP 500")
    assert _feed(engine, missing).last_error.startswith("HTTP 404")
    ingest(engine, settings)
    assert _feed(engine, e500).consecutive_failures == 2
    assert _feed(engine, good).consecutive_failures == 0


def test_timeout(server, engine, settings):
    url = server.add("/slow.xml", Route(body=b"<rss/>", delay=3.0))
    _subscribe(engine, url)
    report = ingest(engine, replace(settings, http_timeout=0.5))
    assert report.feeds_failed == 1
    assert "timed out" in _feed(engine, url).last_error


def test_oversized_body_is_cut_off(server, engine, settings):
    def fifty_mb():
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
        block = b"<item><title>x</title><description>" + b"y" * 65_000 + b"</description></item>"
        for _ in range(50_000_000 // len(block)):
            yield block

    url = server.add("/huge.xml", Route(chunks=fifty_mb))
    _subscribe(engine, url)
    report = ingest(engine, replace(settings, max_feed_bytes=5_000_000))
    assert report.feeds_failed == 1
    assert "exceeds the 5,000,000-byte cap" in _feed(engine, url).last_error
    assert count_articles(engine) == 0


def test_redirect_loop(server, engine, settings):
    a = server.add("/loop-a", Route(redirect="/loop-b"))
    server.add("/loop-b", Route(redirect="/loop-a"))
    _subscribe(engine, a)
    ingest(engine, settings)
    assert "redirect loop" in _feed(engine, a).last_error


def test_redirect_followed(server, engine, settings):
    server.add_file("/real-home.xml", FEEDS / "good.xml")
    url = server.add("/moved.xml", Route(redirect="/real-home.xml"))
    _subscribe(engine, url)
    assert ingest(engine, settings).new == 3


def test_unreachable_host(engine, settings):
    url = "http://127.0.0.1:9/nothing-listens-here.xml"
    _subscribe(engine, url)
    report = ingest(engine, settings)
    assert report.feeds_failed == 1 and "cannot connect" in _feed(engine, url).last_error


def test_duplicate_guids(server, engine, settings):
    url = server.add_file("/dups.xml", FEEDS / "duplicate_guids.xml")
    _subscribe(engine, url)
    report = ingest(engine, settings)
    titles = sorted(a.title for a in _articles(engine))
    assert titles == ["Meta breaks ground in Louisiana", "Microsoft signs nuclear power deal",
                      "xAI expands Colossus in Memphis"]
    assert (report.new, report.duplicate) == (3, 1)
    again = ingest(engine, settings)
    assert (again.new, again.updated) == (0, 0) and count_articles(engine) == 3


def test_items_without_links_or_dates(server, engine, settings):
    url = server.add_file("/sparse.xml", FEEDS / "no_links_no_dates.xml")
    _subscribe(engine, url)
    report = ingest(engine, settings)
    arts = {a.title: a for a in _articles(engine)}
    assert (report.new, report.skipped) == (2, 1)
    nolink = arts["No link here: Mistral AI plans a data center near Paris"]
    assert nolink.url is None and nolink.date_flag is None
    nodate = arts["No date here: Humain orders Nvidia chips"]
    assert nodate.date_flag == "missing" and nodate.published is not None
    assert ingest(engine, settings).new == 0


def test_script_tags_never_stored(server, engine, settings):
    url = server.add_file("/hostile.xml", FEEDS / "script_tags.xml")
    _subscribe(engine, url)
    ingest(engine, settings)
    art = _articles(engine)[0]
    assert art.text == "CoreWeave signed a $14 billion contract with Meta.\n\nThe deal runs to 2031."
    for bad in ("script", "cookie", "Home", "color:red", "onerror", "Subscribe", "iframe"):
        assert bad not in art.text
    assert art.title == "CoreWeave & Core Scientific"


def test_full_text_for_summary_only_items(server, engine, settings):
    page = server.add_file("/articles/crusoe.html", FEEDS / "article.html", content_type="text/html")
    body = (FEEDS / "summary_only.xml").read_text().replace("ARTICLE_URL", page)
    url = server.add("/teaser.xml", Route(body=body.encode()))
    _subscribe(engine, url)
    ingest(engine, replace(settings, fetch_full_text=True))
    art = _articles(engine)[0]
    assert art.full_text and art.summary_only
    assert "1.8 gigawatts of power" in art.text and "Cheyenne, Wyoming" in art.text
    assert "tracking" not in art.text and "Copyright" not in art.text
    assert art.summary == "Crusoe plans a new campus in Wyoming."
    assert ingest(engine, replace(settings, fetch_full_text=True)).new == 0


def test_full_text_off_by_default(server, engine, settings):
    page = server.add_file("/articles/crusoe-2.html", FEEDS / "article.html", content_type="text/html")
    body = (FEEDS / "summary_only.xml").read_text().replace("ARTICLE_URL", page)
    url = server.add("/teaser-2.xml", Route(body=body.encode()))
    _subscribe(engine, url)
    ingest(engine, settings)
    assert server.routes["/articles/crusoe-2.html"].hits == 0
    assert not _articles(engine)[0].full_text


def test_same_story_in_two_feeds_stored_once(server, engine, settings):
    a = server.add_file("/syndicated-a.xml", FEEDS / "good.xml")
    b = server.add_file("/syndicated-b.xml", FEEDS / "good.xml")
    _subscribe(engine, a, b)
    report = ingest(engine, settings)
    assert (report.new, report.duplicate) == (3, 3)


def test_updated_item_replaces_in_place(server, engine, settings):
    route = Route(body=(FEEDS / "good.xml").read_bytes())
    url = server.add("/changing.xml", route)
    _subscribe(engine, url)
    ingest(engine, settings)
    route.body = route.body.replace(b"thousands of GPUs", b"10,000 GPUs")
    report = ingest(engine, settings)
    assert (report.new, report.updated) == (0, 1)
    assert "10,000 GPUs" in next(a.text for a in _articles(engine) if a.guid == "gw-2")
    assert count_articles(engine) == 3


def test_reads_keep_working_while_ingest_writes(server, engine, settings):
    import threading

    from intel.store import iter_articles

    body = (FEEDS / "good.xml").read_text()
    urls = []
    for n in range(30):
        items = "".join(
            f"<item><title>Feed {n} item {i}</title><guid>c{n}-{i}</guid><link>https://c.example/{n}/{i}</link>"
            f"<description>Story {i} of feed {n} about a {i} MW campus.</description></item>" for i in range(60))
        urls.append(server.add(f"/concurrent/{n}.xml", Route(body=body.replace("</channel>", items + "</channel>")
                                                            .encode(), delay=0.05)))
    _subscribe(engine, *urls)
    errors: list[Exception] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                count_articles(engine)
                list(iter_articles(engine, batch=50))[:10]
            except Exception as exc:  # any "database is locked" would land here
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    report = ingest(engine, settings)
    done.set()
    for t in threads:
        t.join()
    assert errors == []
    assert report.new == 30 * 60 + 3
