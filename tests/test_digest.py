"""Weekly digest emails over the bundled sample, delivered to a real SMTP server on 127.0.0.1.

The store is the sample ingested, extracted, indexed and grouped into stories (built once per
module, copied per test). Mail goes through aiosmtpd; nothing of ours is mocked.
"""

from __future__ import annotations

import email
import html
import re
import shutil
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import Session, select

from intel.cli import cli
from intel.config import ROOT, load_settings
from intel.digest import (
    ClaimFact,
    DigestData,
    Recipient,
    Source,
    build_digest,
    load_digest_data,
    make_subject,
    parse_period,
    week_period,
)
from intel.errors import ConfigError, InputError
from intel.mail import compose_message, render_digest
from intel.schedule import RunState, digest_period, due_actions
from intel.store import Article, DigestSend, open_store

WEEK = "2026-W46"
FROM = "digest@intel.test"


# --- fixtures: the sample store, a copy per test, a real SMTP server ---


@pytest.fixture(scope="module")
def sample_dir():
    """The sample store, built once for the module (ingest, extract, index, stories)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_search import build_store

    engine, settings = build_store()
    engine.dispose()
    yield settings.data_dir
    shutil.rmtree(settings.data_dir, ignore_errors=True)


@pytest.fixture
def store(sample_dir, tmp_path):
    """A private copy of the sample store: (data dir, engine)."""
    data = tmp_path / "sample"
    shutil.copytree(sample_dir, data)
    return data, open_store(load_settings(env={}, data_dir=data))


class Mailbox:
    """aiosmtpd handler: keeps every message; refuses RCPT for the addresses in `refuse`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def messages(self) -> dict[str, email.message.EmailMessage]:
        """Received messages by envelope recipient (one recipient per message)."""
        out = {}
        for _, rcpts, raw in self.received:
            assert len(rcpts) == 1
            out[rcpts[0]] = email.message_from_bytes(raw, policy=default_policy)
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    """The SMTP server, emptied, accepting everyone; and the environment that points at it."""
    box, port = smtp_server
    box.received.clear()
    box.refuse.clear()
    env = {"INTEL_SMTP_HOST": "127.0.0.1", "INTEL_SMTP_PORT": str(port), "INTEL_SMTP_SECURITY": "none",
           "INTEL_MAIL_FROM": FROM}
    return box, env


def _intel(data: Path, *args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args], env=env or {})
    assert "Traceback" not in result.output, result.output
    return result


def _store_urls(engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT url, link FROM article")).all()
    return {u for row in rows for u in row if u}


def _parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    body, page = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    return body.replace("\r\n", "\n"), page.replace("\r\n", "\n")  # SMTP line ends


def _check_citations(msg, urls: set[str]) -> list[str]:
    """Every link is an article URL of the store; every bulleted line cites [n]. Returns the hrefs."""
    body, page = _parts(msg)
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
    assert hrefs and set(hrefs) <= urls
    sources = body.split("\nSOURCES\n", 1)[1].split("\n--\n", 1)[0]
    listed = re.findall(r"^    (https?://\S+)$", sources, re.M)
    assert listed and set(listed) <= urls
    assert set(listed) == set(hrefs)  # both parts cite the same articles
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", body.split("\nSOURCES\n", 1)[0])}
    assert numbers == set(range(1, len(listed) + 1))
    for section in ("TOP STORIES", "FIRSTS AND RECORDS", "LABS AT A GLANCE", "NEW CLAIMS BY TYPE"):
        if f"\n{section}\n" in body:
            block = body.split(f"\n{section}\n", 1)[1].split("\n\n", 1)[0]
            for line in block.splitlines():
                if re.match(r"\s*(-|\d+\.) ", line):
                    assert re.search(r"\[\d+\]", line), f"uncited line in {section}: {line}"
    return hrefs


def _labs_in_claims_section(msg) -> set[str]:
    page = _parts(msg)[1]
    section = page.split("New claims by lab</h2>", 1)[1].split("<h2", 1)[0]
    return {html.unescape(h) for h in re.findall(r"<h3[^>]*>(.*?)</h3>", section)}


def _labs_with_claims(engine, period, lab: str | None = None) -> set[str]:
    sql = ("SELECT DISTINCT c.lab FROM claim c JOIN article a ON a.id = c.article_id "
           "WHERE a.published >= :s AND a.published < :e")
    with engine.connect() as conn:
        labs = {r[0] for r in conn.execute(text(sql), {"s": period.start.replace(tzinfo=None),
                                                       "e": period.end.replace(tzinfo=None)})}
    return {x for x in labs if lab is None or x == lab}


def _sends(engine) -> dict[str, DigestSend]:
    with Session(engine) as s:
        return {r.recipient: r for r in s.exec(select(DigestSend))}


# --- periods, ranking, rendering (pure) ---


def test_periods():
    w46 = parse_period("2026-W46")
    assert (w46.start, w46.end, w46.label) == (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC),
                                               "2026-W46")
    assert parse_period("2026w46") == w46
    assert parse_period(now=datetime(2026, 11, 18, 12, tzinfo=UTC)) == w46  # last complete week
    assert parse_period(now=datetime(2026, 11, 16, 0, 0, tzinfo=UTC)) == w46
    assert parse_period("2026-W53").end == datetime(2027, 1, 4, tzinfo=UTC)  # 2026 has 53 ISO weeks
    for bad in ("2025-W53", "2026-W60", "W46", "last week"):
        with pytest.raises(InputError, match="not an ISO week"):
            parse_period(bad)
    span = parse_period(since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2026, 11, 8, tzinfo=UTC))
    assert span.label == "2026-11-01..2026-11-08"
    with pytest.raises(InputError, match="before"):
        parse_period(since=datetime(2026, 11, 8, tzinfo=UTC), until=datetime(2026, 11, 1, tzinfo=UTC))
    with pytest.raises(InputError, match="not both"):
        parse_period("2026-W46", since=datetime(2026, 11, 1, tzinfo=UTC))


def _data(claims: list[tuple[int, str, str, float | None]], outlets: dict[int, str],
          stories: dict[int, int], when: dict[int, int]) -> DigestData:
    """A hand-made week: article id -> outlet, story, day of the week; claims (article, lab, type, USD)."""
    period = week_period(2026, 46)
    articles = {a: Source(a, f"title {a}", outlets[a], f"https://news.example/{a}",
                          period.start + timedelta(days=when[a])) for a in outlets}
    facts = [ClaimFact(a, lab, kind, "US", "planned", f"${v:,.0f}" if v else None, v, "USD" if v else None,
                       f"{lab} evidence {a}") for a, lab, kind, v in claims]
    return DigestData(period, articles, stories, facts, prior_pairs=set(), prior_highs={})


def test_ranking_corroboration_then_amount_then_recency():
    data = _data(
        claims=[(1, "Anthropic", "datacenter", None), (2, "Anthropic", "datacenter", 1e9),  # story 1: 2 outlets
                (3, "OpenAI", "compute_deal", 5e11),  # story 3: one outlet, a huge figure
                (4, "Google", "power", 1e9), (5, "Meta", "power", 1e9)],  # same figure, 4 is older
        outlets={1: "Wire A", 2: "Wire B", 3: "Wire A", 4: "Wire A", 5: "Wire B"},
        stories={1: 1, 2: 1, 3: 3, 4: 4, 5: 5}, when={1: 0, 2: 1, 3: 0, 4: 1, 5: 5},
    )
    digest = build_digest(data, Recipient("a@x.test"))
    assert [s.sources[0].article_id for s in digest.stories] == [1, 3, 5, 4]
    top = digest.stories[0]
    assert top.outlets == 2 and len(top.claims) == 1  # one claim line citing both outlets
    assert [s.article_id for s in top.claims[0].sources] == [1, 2]
    assert digest.subject == "AI infrastructure digest 2026-W46: title 1"
    only_meta = build_digest(data, Recipient("m@x.test", labs=["Meta"]))
    assert [lab for lab, _ in only_meta.by_lab] == ["Meta"] and len(only_meta.stories) == 1


def test_html_is_escaped_and_links_only_http():
    data = _data([(1, "Anthropic", "datacenter", 2e9)], {1: "Evil <b>Wire</b>"}, {1: 1}, {1: 2})
    evil = data.articles[1]
    data.articles[1] = Source(1, "<script>alert(1)</script>", evil.outlet, "javascript:alert(1)", evil.published)
    body, page = render_digest(build_digest(data, Recipient("a@x.test")))
    assert "<script" not in page.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:" not in page and "<img" not in page.lower() and "src=" not in page.lower()
    assert "Evil &lt;b&gt;Wire&lt;/b&gt;" in page
    assert "<script>alert(1)</script>" in body  # the text part is text: nothing to escape


def test_subject_cannot_carry_headers():
    period = week_period(2026, 46)
    subject = make_subject(period, "Big news\r\nBcc: evil@x\n\x00\u2028more")
    assert "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    data = _data([(1, "Anthropic", "datacenter", 2e9)], {1: "Wire"}, {1: 1}, {1: 2})
    digest = build_digest(data, Recipient("a@x.test"))
    digest.subject = "forced\r\nBcc: evil@x"  # even if a subject got past make_subject
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose_message(digest, load_settings(env={"INTEL_MAIL_FROM": FROM}))


# --- the sample store ---


def test_digest_from_sample_week(store):
    _, engine = store
    period = parse_period(WEEK)
    data = load_digest_data(engine, period)
    digest = build_digest(data, Recipient("all@x.test"))
    assert digest.stories and digest.by_lab and digest.summaries
    scores = [s.score for s in digest.stories]
    assert scores == sorted(scores, reverse=True)
    with engine.connect() as conn:
        for story in digest.stories:  # corroboration = distinct outlets of the story in the week
            ids = ",".join(str(s.article_id) for s in story.sources)
            feeds = conn.execute(text(f"SELECT COUNT(DISTINCT feed_id), COUNT(DISTINCT story_id) FROM article "
                                      f"WHERE id IN ({ids})")).one()
            assert story.outlets == feeds[0] and feeds[1] == 1
        assert digest.stories[0].outlets >= 2
        for line in digest.firsts:
            if line.key[0] == "first":
                _, lab, country = line.key
                earlier = conn.execute(text(
                    "SELECT COUNT(*) FROM claim c JOIN article a ON a.id = c.article_id "
                    "WHERE c.lab = :l AND c.country = :c AND a.published < :s"),
                    {"l": lab, "c": country, "s": period.start.replace(tzinfo=None)}).scalar()
                assert earlier == 0, line.text
            else:
                _, kind, unit = line.key
                before, now = (conn.execute(text(
                    f"SELECT MAX(c.value) FROM claim c JOIN article a ON a.id = c.article_id WHERE c.type = :t "
                    f"AND c.unit = :u AND a.published {op} :s AND a.published < :e"),
                    {"t": kind, "u": unit, "s": period.start.replace(tzinfo=None),
                     "e": period.end.replace(tzinfo=None)}).scalar() for op in ("<", ">="))
                assert now > before
    assert any(x.key[0] == "first" for x in digest.firsts)
    assert {lab for lab, _ in digest.by_lab} == _labs_with_claims(engine, period)
    for lab, lines in digest.by_lab:  # every claim line cites articles of that week stating it
        for line in lines:
            assert line.sources and all(period.start <= s.published < period.end for s in line.sources)
            assert all(any(c.article_id == s.article_id and c.lab == lab and c.type == line.type
                           for c in data.claims) for s in line.sources)


def test_send_filters_retries_and_force(store, mailbox):
    data, engine = store
    box, env = mailbox
    env = {**env, "INTEL_OPERATOR_EMAIL": "ops@intel.test"}
    assert _intel(data, "subscribers", "add", "all@x.test").exit_code == 0
    added = _intel(data, "subscribers", "add", "Mistral@X.test", "--lab", "Mistral AI", "--watch", "nuclear power")
    assert added.exit_code == 0 and "labs: Mistral AI" in added.output
    assert _intel(data, "subscribers", "add", "refused@x.test", "--type", "power").exit_code == 0
    box.refuse.add("refused@x.test")

    first = _intel(data, "digest", "--week", WEEK, "--send", env=env)
    assert first.exit_code == 1 and "failed  refused@x.test: 550 5.1.1 mailbox unavailable" in first.output
    assert "digest 2026-W46: 3 sent, 1 failed, 0 already sent" in first.output
    got = box.messages()
    assert set(got) == {"all@x.test", "mistral@x.test", "ops@intel.test"}
    assert all(mail_from == FROM for mail_from, _, _ in box.received)
    urls = _store_urls(engine)
    for msg in got.values():
        _check_citations(msg, urls)
        assert msg["Subject"].startswith("AI infrastructure digest 2026-W46: ") and msg["From"] == FROM
    period = parse_period(WEEK)
    assert _labs_in_claims_section(got["all@x.test"]) == _labs_with_claims(engine, period)
    assert _labs_in_claims_section(got["mistral@x.test"]) == {"Mistral AI"}
    mistral_text = _parts(got["mistral@x.test"])[0]
    assert 'WATCH "nuclear power"' in mistral_text and "nuclear" in mistral_text.split("WATCH", 1)[1].lower()
    assert "Feeds with problems" in _parts(got["ops@intel.test"])[1]
    assert "Compute Courier" in _parts(got["ops@intel.test"])[0]
    assert "Feeds with problems" not in _parts(got["all@x.test"])[1]
    sends = _sends(engine)
    assert sends["refused@x.test"].status == "failed" and "550" in sends["refused@x.test"].error
    assert {e for e, r in sends.items() if r.status == "sent"} == {"all@x.test", "mistral@x.test", "ops@intel.test"}
    assert "2026-W46 failed (550" in _intel(data, "subscribers", "list").output

    box.received.clear()
    box.refuse.clear()  # the mailbox is back: the next run retries only the failed one
    second = _intel(data, "digest", "--week", WEEK, "--send", env=env)
    assert second.exit_code == 0, second.output
    assert "digest 2026-W46: 1 sent, 0 failed, 3 already sent" in second.output
    assert list(box.messages()) == ["refused@x.test"]
    refused_mail = box.messages()["refused@x.test"]
    _check_citations(refused_mail, urls)
    assert _sends(engine)["refused@x.test"].attempts == 2

    box.received.clear()
    third = _intel(data, "digest", "--week", WEEK, "--send", env=env)
    assert third.exit_code == 0 and "0 sent, 0 failed, 4 already sent" in third.output and not box.received
    forced = _intel(data, "digest", "--week", WEEK, "--send", "--force", env=env)
    assert forced.exit_code == 0 and "4 sent" in forced.output
    assert sorted(box.messages()) == ["all@x.test", "mistral@x.test", "ops@intel.test", "refused@x.test"]


def test_feed_title_cannot_inject_headers(store, mailbox, server):
    data, engine = store
    box, env = mailbox
    feed = server.add("/inject.xml", _route(b"""<?xml version="1.0" encoding="utf-8"?>
<!-- Case: an item title carrying CR LF and a Bcc header (character references survive XML parsing). -->
<rss version="2.0"><channel><title>Inject&#13;&#10;Bcc: evil@x Wire</title><link>https://inject.example/</link>
<item><title>Oracle starts building a 1.2 GW campus in Abilene&#13;&#10;Bcc: evil@x</title>
<link>https://inject.example/2026/07/oracle-abilene</link><guid isPermaLink="false">inj-1</guid>
<pubDate>Wed, 22 Jul 2026 09:00:00 +0000</pubDate>
<description>Oracle began construction of a 1.2 gigawatt data-center campus in Abilene, Texas, for OpenAI.</description>
</item></channel></rss>"""))
    assert _intel(data, "feeds", "add", feed).exit_code == 0
    ingested = _intel(data, "ingest", feed)
    assert ingested.exit_code == 0 and "1 new" in ingested.output
    assert _intel(data, "subscribers", "add", "reader@x.test").exit_code == 0

    def received_clean(label: str) -> str:
        got = box.messages()
        assert list(got) == ["reader@x.test"]
        assert all(rcpts == ["reader@x.test"] for _, rcpts, _ in box.received)
        raw = box.received[0][2]
        assert b"evil@x" not in raw.split(b"\r\n\r\n", 1)[0].replace(b"Subject:", b"").split(b"\r\n")[0]
        msg = got["reader@x.test"]
        assert msg["Bcc"] is None and "bcc" not in {k.lower() for k in msg.keys()}
        assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
        assert msg["Subject"].startswith(f"AI infrastructure digest {label}: Oracle starts building")
        return str(msg["Subject"])

    sent = _intel(data, "digest", "--week", "2026-W30", "--send", env=env)  # the injected item's week
    assert sent.exit_code == 0, sent.output
    assert "Bcc: evil@x" in received_clean("2026-W30")  # harmless text inside the one Subject line

    # even a title stored raw, with its CR LF (another writer, an old store), stays in one header
    with Session(engine) as s:
        article = s.exec(select(Article).where(Article.guid == "inj-1")).one()
        article.title = "Oracle starts building a 1.2 GW campus in Abilene\r\nBcc: evil@x\r\n\r\nbody"
        s.commit()
    box.received.clear()
    again = _intel(data, "digest", "--week", "2026-W30", "--send", "--force", env=env)
    assert again.exit_code == 0, again.output
    received_clean("2026-W30")


def _route(body: bytes):
    from httpserver import Route

    return Route(body=body)


def test_print_and_preview(store, tmp_path):
    data, engine = store
    out = _intel(data, "digest", "--week", WEEK, "--print")
    assert out.exit_code == 0 and out.output.startswith("AI INFRASTRUCTURE DIGEST 2026-W46 (9 Nov - 15 Nov 2026)")
    assert "TOP STORIES" in out.output and "SOURCES" in out.output
    target = tmp_path / "d.html"
    res = _intel(data, "digest", "--week", WEEK, "--preview", str(target))
    assert res.exit_code == 0 and target.exists()
    page = target.read_text()
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
    assert hrefs and set(hrefs) <= _store_urls(engine)
    assert "<script" not in page and "<img" not in page and "<style" not in page  # inline CSS only
    assert _intel(data, "subscribers", "add", "m@x.test", "--lab", "Mistral AI").exit_code == 0
    mine = _intel(data, "digest", "--week", WEEK, "--print", "--for", "m@x.test")
    assert mine.exit_code == 0 and "For m@x.test: labs: Mistral AI" in mine.output
    claims = mine.output.split("NEW CLAIMS BY LAB\n", 1)[1].split("\n\n", 1)[0]
    assert claims.splitlines()[0] == "Mistral AI"
    assert "Nothing new matched" in _intel(data, "digest", "--week", "2026-W10", "--print").output


# --- subscribers, errors, config ---


def test_subscribers_commands(tmp_path, store):
    data, _ = store
    assert "no subscribers yet" in _intel(data, "subscribers", "list").output
    res = _intel(data, "subscribers", "add", "A@Example.org", "--country", "france", "--country", "JP",
                 "--type", "power", "--watch", "nuclear power", "--watch", "nuclear power")
    assert res.exit_code == 0 and "subscribed a@example.org (countries: FR, JP; types: power)" in res.output
    assert res.output.count("watch added") == 1
    again = _intel(data, "subscribers", "add", "a@example.org", "--watch", "Paris campus")
    assert "updated a@example.org (countries: FR, JP; types: power)" in again.output  # filters kept
    import json

    listed = json.loads(_intel(data, "subscribers", "list", "--json").output)
    assert listed == [{"email": "a@example.org", "labs": [], "countries": ["FR", "JP"], "types": ["power"],
                       "watches": ["nuclear power", "Paris campus"], "last_digest": None}]
    bad = _intel(data, "subscribers", "add", "a@example.org", "--lab", "Antropic")
    assert bad.exit_code == 1 and "did you mean 'Anthropic'?" in bad.output
    assert _intel(data, "subscribers", "remove", "a@example.org").output.strip() == "removed 1 subscriber"
    gone = _intel(data, "subscribers", "remove", "a@example.org")
    assert gone.exit_code == 1 and "not a subscriber: a@example.org" in gone.output


def _one_error_line(result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[-1].startswith("Error: ") and expected in lines[-1], result.output
    assert "Traceback" not in result.output


def test_user_errors_are_one_line(tmp_path, mailbox):
    data = tmp_path / "store"
    _, env = mailbox
    _one_error_line(_intel(data, "digest", "--week", "2026-W60"), "'2026-W60' is not an ISO week")
    _one_error_line(_intel(data, "digest", "--since", "last week"), "not a date")
    _one_error_line(_intel(data, "subscribers", "add", "not-an-address"), "is not an email address")
    _one_error_line(_intel(data, "subscribers", "add", "a@x.test\r\nBcc: evil@x"), "is not an email address")
    assert _intel(data, "subscribers", "add", "a@x.test").exit_code == 0
    no_from = {k: v for k, v in env.items() if k != "INTEL_MAIL_FROM"}
    _one_error_line(_intel(data, "digest", "--send", env=no_from), "INTEL_MAIL_FROM is not set")
    _one_error_line(_intel(data, "digest", "--send", env={**env, "INTEL_MAIL_FROM": "me"}),
                    "INTEL_MAIL_FROM='me' is not an email address")
    _one_error_line(_intel(data, "digest", "--send", env={**env, "INTEL_SMTP_SECURITY": "tls"}),
                    "INTEL_SMTP_SECURITY='tls': use none, starttls or ssl")
    dead = {**env, "INTEL_SMTP_PORT": str(_free_port())}
    _one_error_line(_intel(data, "digest", "--week", WEEK, "--send", env=dead), "cannot reach SMTP server 127.0.0.1:")
    engine = open_store(load_settings(env={}, data_dir=data))
    assert _sends(engine)["a@x.test"].status == "failed"  # recorded: the next run retries it
    _one_error_line(_intel(data, "digest", "--force"), "--force only applies with --send")


def test_settings_validate_and_hide_password():
    settings = load_settings(env={"INTEL_SMTP_PASSWORD": "hunter2", "INTEL_SMTP_SECURITY": "ssl",
                                  "INTEL_DIGEST_DAY": "fri", "INTEL_DIGEST_TIME": "18:30"})
    assert settings.smtp_password == "hunter2" and "hunter2" not in repr(settings)
    for key, value in (("INTEL_DIGEST_DAY", "friday"), ("INTEL_DIGEST_TIME", "25:00"),
                       ("INTEL_INGEST_INTERVAL", "0"), ("INTEL_SMTP_PORT", "70000")):
        with pytest.raises(ConfigError, match=key):
            load_settings(env={key: value})


def test_migration_adds_digest_tables_to_an_older_store(tmp_path):
    import sqlite3

    settings = load_settings(env={}, data_dir=tmp_path / "old")
    open_store(settings).dispose()
    con = sqlite3.connect(settings.data_dir / "intel.db")
    con.executescript("DROP TABLE digestsend; DROP TABLE watch; DROP TABLE subscriber; "
                      "DELETE FROM _migrations WHERE name = 'm005_digest';")
    con.commit()
    con.close()
    open_store(settings).dispose()
    con = sqlite3.connect(settings.data_dir / "intel.db")
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"subscriber", "watch", "digestsend"} <= tables
    con.execute("INSERT INTO digestsend (recipient, period, period_start, period_end, status, attempts, updated) "
                "VALUES ('a@x', 'W', '2026-01-01', '2026-01-08', 'sent', 1, '2026-01-08')")
    with pytest.raises(sqlite3.IntegrityError):  # one record per recipient and period
        con.execute("INSERT INTO digestsend (recipient, period, period_start, period_end, status, attempts, "
                    "updated) VALUES ('a@x', 'W', '2026-01-01', '2026-01-08', 'failed', 1, '2026-01-08')")


# --- the schedule ---


def _clock(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # 2026-11-23 is a Monday


def test_due_actions_with_fixed_clocks():
    s = load_settings(env={"INTEL_MAIL_FROM": FROM, "INTEL_INGEST_INTERVAL": "60",
                           "INTEL_DIGEST_DAY": "mon", "INTEL_DIGEST_TIME": "07:00"})
    assert due_actions(_clock(23, 6, 59), RunState(), s) == ["ingest", "digest"]  # catch up W46 on start
    assert digest_period(_clock(23, 6, 59), s).label == "2026-W46"
    assert digest_period(_clock(23, 7, 0), s).label == "2026-W47"
    done46 = RunState(last_ingest=_clock(23, 6, 30), digest_done="2026-W46", last_digest_try=_clock(23, 6, 30))
    assert due_actions(_clock(23, 6, 59), done46, s) == []
    assert due_actions(_clock(23, 7, 0), done46, s) == ["digest"]  # the moment arrives: W47 is due
    assert due_actions(_clock(23, 7, 30), done46, s) == ["ingest", "digest"]
    failed = RunState(last_ingest=_clock(23, 7), digest_done="2026-W46", last_digest_try=_clock(23, 7))
    assert due_actions(_clock(23, 7, 59), failed, s) == []  # a failed send waits one interval
    assert due_actions(_clock(23, 8, 0), failed, s) == ["ingest", "digest"]
    done47 = RunState(last_ingest=_clock(29, 23), digest_done="2026-W47", last_digest_try=_clock(23, 7))
    assert due_actions(_clock(29, 23, 30), done47, s) == []  # Sunday: still W47's week
    sunday = load_settings(env={"INTEL_MAIL_FROM": FROM, "INTEL_DIGEST_DAY": "sun", "INTEL_DIGEST_TIME": "23:30"})
    assert digest_period(_clock(22, 23, 30), sunday).label == "2026-W46"  # last complete week before it
    assert "digest" not in due_actions(_clock(23, 7), RunState(), load_settings(env={}))  # no From: no digest


def test_run_once_ingests_then_sends(store, mailbox):
    data, engine = store
    box, env = mailbox
    assert _intel(data, "subscribers", "add", "weekly@x.test").exit_code == 0
    env = {**env, "INTEL_OPERATOR_EMAIL": "ops@x.test", "INTEL_HTTP_TIMEOUT": "2"}
    res = _intel(data, "run", "--once", "--now", "2026-11-23T07:05:00Z", env=env)
    assert res.exit_code == 0, res.output
    assert "feeds: 0 ok, 5 failed" in res.output  # the demo's HTTP server is gone: every feed fails
    assert "digest 2026-W47: 2 sent, 0 failed, 0 already sent" in res.output
    got = box.messages()
    assert set(got) == {"weekly@x.test", "ops@x.test"}
    ops_text = _parts(got["ops@x.test"])[0]
    assert "FEEDS WITH PROBLEMS" in ops_text and "1 failure in a row" in ops_text
    assert got["weekly@x.test"]["Subject"].startswith("AI infrastructure digest 2026-W47: ")
    box.received.clear()
    again = _intel(data, "run", "--once", "--now", "2026-11-23T08:10:00Z", env=env)
    assert "0 sent, 0 failed, 2 already sent" in again.output and not box.received


def test_run_stops_cleanly_on_ctrl_c(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEL_")}
    proc = subprocess.Popen([sys.executable, "-m", "intel", "--data-dir", str(tmp_path / "s"), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until the loop is running and the first ingest is done
        lines.append(line)
        if line.strip().endswith("0 skipped"):
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "running: ingest every 60 min" in output and output.rstrip().endswith("stopped")
    assert "Traceback" not in output and "INTEL_MAIL_FROM is not set" in output
