"""kill -9 in the middle of an ingest leaves a consistent store; the next run completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from conftest import FIXTURES
from httpserver import Route

from intel.config import load_settings
from intel.ingest import ingest
from intel.store import add_feeds, count_articles, open_store


def _make_feed(n: int, items: int) -> bytes:
    rows = "".join(
        f"<item><title>Feed {n} story {i}: a 1{i} MW campus</title><guid>f{n}-{i}</guid>"
        f"<link>https://crash.example/{n}/{i}</link><pubDate>Mon, 0{1 + i % 9} Nov 2026 10:00:00 +0000</pubDate>"
        f"<description>Builder {n} plans capacity number {i} for AI training.</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Crash {n}</title>{rows}</channel></rss>'.encode()


def test_kill_9_mid_ingest_then_rerun(server, tmp_path):
    urls = [server.add(f"/crash/{n}.xml", Route(body=_make_feed(n, 40), delay=0.4 * (n % 4)))
            for n in range(12)]
    urls.append(server.add_file("/crash/good.xml", FIXTURES / "feeds" / "good.xml", delay=1.5))
    data_dir = tmp_path / "crashy"
    settings = load_settings(env={}, data_dir=data_dir)
    engine = open_store(settings)
    add_feeds(engine, [{"url": u} for u in urls])
    env = {**os.environ, "INTEL_DATA_DIR": str(data_dir), "INTEL_FETCH_CONCURRENCY": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "intel", "ingest"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and count_articles(engine) == 0:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = count_articles(engine)
    assert 0 < partial < 12 * 40 + 3, "the kill should land mid-run"

    con = sqlite3.connect(data_dir / "intel.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT status FROM ingestrun").fetchall() == [("running",)]
    con.close()

    report = ingest(engine, settings)
    assert report.interrupted_before == 1
    assert count_articles(engine) == 12 * 40 + 3
    con = sqlite3.connect(data_dir / "intel.db")
    dup = con.execute("SELECT COUNT(*) FROM (SELECT url FROM article GROUP BY url HAVING COUNT(*) > 1)")
    assert dup.fetchone()[0] == 0
    totals = con.execute("SELECT SUM(items_total) FROM feed").fetchone()[0]
    assert totals == 12 * 40 + 3
    statuses = [r[0] for r in con.execute("SELECT status FROM ingestrun ORDER BY id")]
    assert statuses == ["interrupted", "done"]
