"""Shared fixtures: a temp data dir for every test, a real loopback HTTP server, a store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from httpserver import TestServer  # noqa: E402

from intel.config import Settings, load_settings  # noqa: E402
from intel.store import open_store  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
REALFEEDS = Path(__file__).resolve().parents[2] / "shared" / "realfeeds"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every test at its own data dir; clear INTEL_* settings from the environment."""
    import os

    for key in list(os.environ):
        if key.startswith("INTEL_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("INTEL_DATA_DIR", str(tmp_path / "store"))


def _is_loopback(host: object) -> bool:
    import ipaddress

    if host in (None, "", "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host)).is_loopback
    except ValueError:
        return False  # a name other than localhost


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Tests run offline: a name lookup or connection beyond loopback from this process is refused
    (as a failed lookup or an unreachable network, so code under test takes its error path) and
    fails the test that made it (the yielded list holds the attempts). Subprocesses (the dashboard
    server, Chromium) are not covered."""
    import errno
    import socket

    attempts: list[str] = []
    real_lookup, real_connect, real_connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def lookup(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_loopback(host):
            attempts.append(f"lookup {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "tests are offline: only loopback names resolve")
        return real_lookup(host, *args, **kwargs)

    def refused(sock, address) -> bool:  # type: ignore[no-untyped-def]
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(f"connect {address!r}")
            return True
        return False

    def connect(sock, address):  # type: ignore[no-untyped-def]
        if refused(sock, address):
            raise OSError(errno.ENETUNREACH, "tests are offline: only loopback connections")
        return real_connect(sock, address)

    def connect_ex(sock, address):  # type: ignore[no-untyped-def]
        return errno.ENETUNREACH if refused(sock, address) else real_connect_ex(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert not attempts, f"a test tried to leave loopback: {attempts}"


@pytest.fixture(scope="session")
def server() -> Iterator[TestServer]:
    """One real HTTP server on 127.0.0.1 for the session; tests add their own paths."""
    with TestServer() as srv:
        yield srv


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a temp store with short timeouts, so failure tests stay quick."""
    return load_settings(env={}, data_dir=tmp_path / "store", http_timeout=2.0)


@pytest.fixture
def engine(settings: Settings):  # type: ignore[no-untyped-def]
    """A freshly migrated SQLite store in the temp data dir."""
    return open_store(settings)


@pytest.fixture(scope="session")
def dashboard_store(server: TestServer) -> Iterator[Path]:
    """The bundled sample plus a hostile feed (<script>, <img onerror>, a javascript: link), ingested,
    extracted, indexed and grouped for real: the store the dashboard tests read."""
    import shutil
    import tempfile

    from httpserver import Route

    from intel.demo import run_demo
    from intel.pipeline import refresh
    from intel.store import add_feeds

    data = Path(tempfile.mkdtemp(prefix="intel-dash-"))
    settings = load_settings(env={}, data_dir=data)
    engine, _ = run_demo(settings)
    url = server.add("/hostile.xml", Route(body=(FIXTURES / "feeds" / "hostile.xml").read_bytes()))
    add_feeds(engine, [{"url": url, "title": None}])
    refresh(engine, settings, [url])
    yield data
    shutil.rmtree(data, ignore_errors=True)
