"""Dashboard render times on the sample and on a generated store of N articles (default 20,000).

The large store is the processed sample cloned N/102 times with shifted dates, ids, hashes and
URLs (mentions and claims cloned with their articles), so its facts look like the sample's.
Each page is rendered through Streamlit's AppTest, cold (caches cleared) and warm; with
--browser, the first paint of a real `streamlit run` in headless Chromium is timed as well.

    .venv/bin/python scripts/bench_dashboard.py [--articles 20000] [--browser]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["Search", "Landscape", "Timeline", "Lab profile", "Article", "Feeds", "Export"]


def build_sample(data: Path) -> None:
    from intel.config import load_settings
    from intel.demo import run_demo
    from intel.pipeline import annotate_and_index

    settings = load_settings(env={}, data_dir=data)
    engine, _ = run_demo(settings)
    annotate_and_index(engine, settings)


def clone(src: Path, dst: Path, articles: int) -> int:
    """Copy the sample store and clone its articles (with mentions and claims) up to `articles`."""
    shutil.copytree(src, dst)
    conn = sqlite3.connect(dst / "intel.db")
    conn.execute("DELETE FROM passage")  # search is benchmarked by bench_search.py; pages need no vectors
    cols = [r[1] for r in conn.execute("PRAGMA table_info(article)")]
    base = conn.execute("SELECT count(*), max(id) FROM article").fetchone()
    copies = max(0, (articles - base[0]) // base[0] + 1)
    step = base[1] + 1
    for n in range(1, copies + 1):
        shift = f"-{7 * n} days"
        exprs = {"id": f"id + {n * step}", "content_hash": f"content_hash || '-{n}'",
                 "url": f"url || '?copy={n}'", "guid": f"guid || '-{n}'",
                 "published": f"datetime(published, '{shift}')",
                 "story_id": f"CASE WHEN story_id IS NULL THEN NULL ELSE story_id + {n * step} END"}
        select = ", ".join(exprs.get(c, c) for c in cols)
        conn.execute(f"INSERT INTO article ({', '.join(cols)}) SELECT {select} FROM article WHERE id < {step}")
        for table in ("mention", "claim"):
            tcols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
            sel = ", ".join(f"article_id + {n * step}" if c == "article_id" else f'"{c}"' for c in tcols)
            quoted = ", ".join(f'"{c}"' for c in tcols)
            conn.execute(f"INSERT INTO {table} ({quoted}) SELECT {sel} FROM {table} WHERE article_id < {step}")
    conn.execute(f"DELETE FROM article WHERE id IN (SELECT id FROM article ORDER BY id DESC LIMIT "
                 f"max(0, (SELECT count(*) FROM article) - {articles}))")
    conn.execute("UPDATE article SET indexed = 0")
    conn.commit()
    total = conn.execute("SELECT count(*) FROM article").fetchone()[0]
    claims = conn.execute("SELECT count(*) FROM claim").fetchone()[0]
    conn.execute("VACUUM")
    conn.close()
    shutil.rmtree(dst / "index", ignore_errors=True)
    print(f"store: {total} articles, {claims} claims")
    return int(total)


def time_pages(data: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """(cold, warm median) seconds per page through AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["INTEL_DATA_DIR"] = str(data)
    out = {}
    for page in PAGES:
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["page"] = page
        if page == "Article":
            at.session_state["article_id"] = 1
        start = time.perf_counter()
        at.run()
        cold = time.perf_counter() - start
        assert not at.exception, [e.value for e in at.exception]
        warm = []
        for _ in range(repeats):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        out[page] = (cold, statistics.median(warm))
    return out


def browser_first_paint(data: Path) -> tuple[float, float]:
    """Seconds from navigation to the first page's content in headless Chromium: the first session of a
    fresh server (Python imports included), then the median of three more sessions."""
    import socket
    import urllib.request

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INTEL_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "intel.serve", "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.fileWatcherType", "none"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or ""
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu"):
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=opts)
        try:
            times = []
            for _ in range(4):
                start = time.perf_counter()
                driver.get(f"http://127.0.0.1:{port}")
                WebDriverWait(driver, 120).until(lambda d: "Latest stories" in d.find_element(By.TAG_NAME, "body").text)
                times.append(time.perf_counter() - start)
                driver.get("about:blank")
            return times[0], statistics.median(times[1:])
        finally:
            driver.quit()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--browser", action="store_true", help="also time the first paint in headless Chromium")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import logging

    logging.disable(logging.WARNING)  # AppTest's "no runtime" warnings, once per page
    work = Path(tempfile.mkdtemp(prefix="intel-bench-dash-"))
    try:
        sample = work / "sample"
        build_sample(sample)
        large = work / "large"
        clone(sample, large, args.articles)
        for label, data in (("sample", sample), (f"{args.articles} articles", large)):
            print(f"\n{label}: page (cold s / warm s, AppTest)")
            for page, (cold, warm) in time_pages(data, args.repeats).items():
                print(f"  {page:12} {cold:6.2f} / {warm:5.2f}")
            if args.browser:
                first, later = browser_first_paint(data)
                print(f"  first paint in Chromium: {first:.2f} s on a fresh server, {later:.2f} s (median) after")
        import resource

        print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
