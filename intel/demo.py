"""The offline demo: serve the bundled sample over local HTTP and ingest it like real feeds."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import Engine

from intel.config import SAMPLE_DIR, Settings
from intel.errors import InputError
from intel.ingest import IngestReport, ingest
from intel.opml import parse_opml
from intel.store import add_feeds, open_store

MARKER = ".intel-demo"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve_directory(path: Path) -> Iterator[str]:
    """Serve a directory on 127.0.0.1 (an ephemeral port) for the block; yield its base URL."""
    handler = partial(_QuietHandler, directory=str(path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def prepare_demo_dir(data_dir: Path) -> None:
    """Empty a demo data directory; refuse one that holds anything but an earlier demo."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise InputError(f"{data_dir} is not empty and not a demo directory; choose another --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("created by `intel demo`; safe to delete\n")


def run_demo(settings: Settings, sample_dir: Path = SAMPLE_DIR, on_feed=None) -> tuple[Engine, list[IngestReport]]:  # type: ignore[no-untyped-def]
    """Ingest the bundled sample twice into a fresh store: the second pass must add nothing."""
    opml = sample_dir / "feeds.opml"
    if not opml.exists():
        raise InputError(f"bundled sample not found at {sample_dir}")
    prepare_demo_dir(Path(settings.data_dir))
    engine = open_store(settings)
    reports = []
    with serve_directory(sample_dir) as base:
        add_feeds(engine, parse_opml(opml.read_bytes(), base=base))
        for _ in range(2):
            reports.append(ingest(engine, settings, on_feed=on_feed))
    return engine, reports
