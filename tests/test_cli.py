"""The CLI on a temp store: feeds add/import/export/list, ingest, export, clear errors."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from conftest import FIXTURES

from intel.cli import cli

FEEDS = FIXTURES / "feeds"


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_help_loads_no_model():
    import subprocess
    import sys

    code = ("import sys; from intel.cli import cli; "
            "heavy = [m for m in ('spacy','torch','faiss','feedparser','sentence_transformers','streamlit',"
            "'httpx','sqlmodel') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_feeds_add_list_export_import_roundtrip(tmp_path):
    run("feeds", "add", "https://a.example/feed.xml", "https://b.example/rss", "--category", "Trade")
    again = run("feeds", "add", "https://a.example/feed.xml")
    assert "already subscribed" in again.output
    listed = json.loads(run("feeds", "list", "--json").output)
    assert [f["url"] for f in listed] == ["https://a.example/feed.xml", "https://b.example/rss"]
    assert {"health", "last_ok", "last_error", "consecutive_failures", "items_total"} <= set(listed[0])
    opml = tmp_path / "out.opml"
    run("feeds", "export", "-o", str(opml))
    assert 'text="Trade"' in opml.read_text()
    other = tmp_path / "other"
    res = CliRunner().invoke(cli, ["--data-dir", str(other), "feeds", "import", str(opml)])
    assert res.exit_code == 0 and "imported 2 feeds" in res.output


def test_import_starter_opml():
    from intel.config import ROOT

    res = run("feeds", "import", str(ROOT / "data" / "feeds.opml"))
    assert "imported" in res.output
    listed = json.loads(run("feeds", "list", "--json").output)
    assert len(listed) >= 20 and all(f["url"].startswith("https://") for f in listed)
    assert {f["category"] for f in listed} >= {"AI labs", "Semiconductors"}


def test_ingest_and_export_formats(server, tmp_path):
    url = server.add_file("/cli-good.xml", FEEDS / "good.xml")
    bad = server.add("/cli-missing.xml", __import__("httpserver").Route(status=404))
    run("feeds", "add", url, bad)
    res = run("ingest")
    assert "feeds: 1 ok, 1 failed | articles: 3 new, 0 duplicate, 0 updated, 0 skipped" in res.output
    assert "HTTP 404" in res.output
    lines = run("export", "--format", "jsonl").output.strip().splitlines()
    records = [json.loads(x) for x in lines]
    assert len(records) == 3
    for key in ("url", "title", "source", "feed", "published", "text"):
        assert all(key in r for r in records)
    assert records[0]["source"] == "Good Wire" and records[0]["feed"] == url
    assert records[0]["published"] == "2026-10-07T23:00:00Z"  # newest first
    since = run("export", "--format", "csv", "--since", "2026-10-07").output
    rows = list(csv.DictReader(io.StringIO(since)))
    assert len(rows) == 2 and rows[0]["title"].startswith(("Anthropic", "Nebius"))
    out = tmp_path / "x.jsonl"
    run("export", "-o", str(out))
    assert len(out.read_text().splitlines()) == 3


def test_user_errors_are_one_clear_line(tmp_path):
    cases = [
        (["feeds", "add", "not a url"], "not a feed URL"),
        (["feeds", "add", "ftp://x.example/feed"], "not a feed URL"),
        (["export", "--since", "yesterday"], "is not a date; use YYYY-MM-DD"),
        (["feeds", "import", str(tmp_path / "missing.opml")], "no such file"),
        (["ingest", "https://not-subscribed.example/feed"], "not a subscribed feed"),
        (["feeds", "import", str(FEEDS / "good.xml")], "not an OPML file"),
    ]
    for args, message in cases:
        res = run(*args, ok=False)
        assert res.exit_code == 1, args
        assert message in res.output and "Traceback" not in res.output, res.output


def test_bad_settings_are_one_clear_line(monkeypatch):
    monkeypatch.setenv("INTEL_HTTP_TIMEOUT", "soon")
    res = run("feeds", "list", ok=False)
    assert res.exit_code == 1 and "INTEL_HTTP_TIMEOUT='soon' is not a valid float" in res.output
    monkeypatch.delenv("INTEL_HTTP_TIMEOUT")
    monkeypatch.setenv("INTEL_DATABASE_URL", "nonsense://")
    res = run("feeds", "list", ok=False)
    assert res.exit_code == 1 and "database" in res.output and "Traceback" not in res.output


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(cli, ["--data-dir", str(blocker / "sub"), "init"])
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_tests_cannot_leave_loopback(offline):
    """The autouse offline guard (conftest) refuses lookups and connections beyond loopback."""
    import socket

    import pytest

    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("feeds.example.com", 443)
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1, never routed
    assert socket.getaddrinfo("localhost", 80)
    assert offline == ["lookup 'feeds.example.com'", "connect ('192.0.2.1', 80)"]
    offline.clear()  # the attempts above were this test's own
