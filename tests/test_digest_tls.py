"""Digest emails over STARTTLS, implicit TLS and SMTP AUTH, to real aiosmtpd servers on 127.0.0.1.

A private test CA and a server certificate signed by it are made at test time (openssl CLI).
intel verifies SMTP certificates and host names (`ssl.create_default_context()`); the tests trust
the test CA the documented way, `SSL_CERT_FILE=ca.pem`, never by turning verification off. The
store is an empty, migrated one with one subscriber: the digest still goes out ("nothing new
matched"); what is under test here is the transport, not the content (tests/test_digest.py).
"""

from __future__ import annotations

import gc
import shutil
import socket
import ssl
import subprocess
import warnings
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from test_digest import FROM, WEEK, Mailbox, _free_port, _intel, _one_error_line, _sends

from intel.config import load_settings
from intel.store import open_store

# aiosmtpd warns about auth_required without auth_require_tls, which the implicit-TLS server needs
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

READER = "reader@x.test"
USER, PASSWORD, WRONG = "digest", "s3cret", "n0t-the-Passw0rd"

_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


# --- a test CA, a server certificate, TLS servers ---


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> dict[str, Path]:
    """A self-signed CA (ca.pem) and a server certificate for IP 127.0.0.1 signed by it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make the test certificates")
    d = tmp_path_factory.mktemp("tls")
    (d / "openssl.cnf").write_text(_OPENSSL_CNF)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (
        ["req", "-x509", "-config", "openssl.cnf", "-extensions", "ca_ext", *key, "-keyout", "ca.key",
         "-out", "ca.pem", "-days", "2", "-subj", "/CN=intel test CA"],
        ["req", "-new", "-config", "openssl.cnf", *key, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
         "-days", "2", "-extfile", "openssl.cnf", "-extensions", "leaf_ext", "-out", "server.pem"],
    ):
        subprocess.run([openssl, *cmd], cwd=d, check=True, capture_output=True, timeout=60)
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


@pytest.fixture
def server_tls(certs) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs["cert"], certs["key"])
    return ctx


class TlsMailbox(Mailbox):
    """Mailbox that also notes, per message, the TLS version of the session and who logged in."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[str | None, str | None]] = []  # (TLS version, login)
        self.logins: list[tuple[str, str]] = []  # every AUTH attempt: (mechanism, user)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        tls = server.transport.get_extra_info("ssl_object")
        login = session.auth_data.login.decode() if session.authenticated else None
        self.sessions.append((tls.version() if tls else None, login))
        return await super().handle_DATA(server, session, envelope)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        """aiosmtpd authenticator: only digest / s3cret."""
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((mechanism, auth_data.login.decode()))
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        # handled=False: aiosmtpd answers "535 5.7.8 Authentication credentials invalid" itself
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def start_smtp():
    """Start an aiosmtpd server on 127.0.0.1 (SMTP keyword arguments as given); stopped after the test."""
    running: list[Controller] = []

    def start(**smtp_kwargs) -> tuple[TlsMailbox, int]:
        box = TlsMailbox()
        if smtp_kwargs.pop("auth", False):
            # under implicit TLS aiosmtpd 1.4 does not know the session is TLS and would never offer
            # AUTH with auth_require_tls (aio-libs/aiosmtpd#281); there every byte is TLS anyway
            smtp_kwargs.update(authenticator=box.authenticate, auth_required=True,
                               auth_require_tls="ssl_context" not in smtp_kwargs)
        controller = Controller(box, hostname="127.0.0.1", port=_free_port(), **smtp_kwargs)
        controller.start()
        running.append(controller)
        return box, controller.port

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    """The test's (empty) store with one subscriber; mail settings for the CLI; no CA trusted yet."""
    data = tmp_path / "store"
    assert _intel(data, "subscribers", "add", READER).exit_code == 0
    for key, value in (("INTEL_SMTP_HOST", "127.0.0.1"), ("INTEL_MAIL_FROM", FROM), ("INTEL_SMTP_TIMEOUT", "10")):
        monkeypatch.setenv(key, value)
    for key in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # whatever the machine trusts, our test CA is not in it
        monkeypatch.delenv(key, raising=False)
    return data


def _use(monkeypatch, port: int, security: str, ca: Path | None = None, user: str = "", password: str = "") -> None:
    monkeypatch.setenv("INTEL_SMTP_PORT", str(port))
    monkeypatch.setenv("INTEL_SMTP_SECURITY", security)
    for key, value in (("INTEL_SMTP_USER", user), ("INTEL_SMTP_PASSWORD", password), ("SSL_CERT_FILE", ca)):
        if value:
            monkeypatch.setenv(key, str(value))
        else:
            monkeypatch.delenv(key, raising=False)


def _delivered(box: TlsMailbox, result, login: str | None = None) -> None:
    """The one digest arrived for READER over TLS (1.2 or later), logged in as `login`."""
    assert result.exit_code == 0, result.output
    assert f"sent    {READER}" in result.output and "1 sent, 0 failed" in result.output
    got = box.messages()
    assert list(got) == [READER]
    assert got[READER]["Subject"].startswith(f"AI infrastructure digest {WEEK}")
    assert got[READER]["From"] == FROM and got[READER].get_content_type() == "multipart/alternative"
    [(version, who)] = box.sessions
    assert version in {"TLSv1.2", "TLSv1.3"}, version
    assert who == login


def _send_failing(data: Path):
    """`intel digest --send` that fails; checks it left no SMTP connection open behind it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = _intel(data, "digest", "--week", WEEK, "--send")
        result.exception = result.exc_info = None  # their chain would keep the failed session's frames alive
        gc.collect()
    unclosed = [str(w.message) for w in caught
                if issubclass(w.category, ResourceWarning) and "socket" in str(w.message).lower()]
    assert not unclosed, unclosed
    return result


def _only_error_line(result, expected: str) -> str:
    """Exit 1 with exactly one output line, `Error: ...expected...`; returns it."""
    _one_error_line(result, expected)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def _status(data: Path) -> tuple[str, str | None, int]:
    row = _sends(open_store(load_settings(env={}, data_dir=data)))[READER]
    return row.status, row.error, row.attempts


# --- delivery ---


def test_starttls_delivers_over_tls(store, start_smtp, server_tls, certs, monkeypatch):
    # require_starttls: the server answers MAIL/RCPT/DATA with 530 until STARTTLS is done
    box, port = start_smtp(tls_context=server_tls, require_starttls=True)
    _use(monkeypatch, port, "starttls", ca=certs["ca"])
    _delivered(box, _intel(store, "digest", "--week", WEEK, "--send"))
    assert _status(store)[0] == "sent"


def test_implicit_tls_delivers(store, start_smtp, server_tls, certs, monkeypatch):
    box, port = start_smtp(ssl_context=server_tls)
    _use(monkeypatch, port, "ssl", ca=certs["ca"])
    _delivered(box, _intel(store, "digest", "--week", WEEK, "--send"))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_login_delivers(store, start_smtp, server_tls, certs, monkeypatch, security):
    tls = {"tls_context": server_tls, "require_starttls": True} if security == "starttls" else {
        "ssl_context": server_tls}
    box, port = start_smtp(auth=True, **tls)
    _use(monkeypatch, port, security, ca=certs["ca"], user=USER, password=PASSWORD)
    _delivered(box, _intel(store, "digest", "--week", WEEK, "--send"), login=USER)
    assert box.logins and box.logins[-1][1] == USER


# --- failures: one line, recorded, retried ---


def test_wrong_password_is_one_line_recorded_and_retried(store, start_smtp, server_tls, certs, monkeypatch):
    box, port = start_smtp(auth=True, tls_context=server_tls, require_starttls=True)
    _use(monkeypatch, port, "starttls", ca=certs["ca"], user=USER, password=WRONG)
    failed = _send_failing(store)
    line = _only_error_line(failed, f"SMTP server 127.0.0.1:{port} refused the login for 'digest'")
    assert "535" in line and WRONG not in failed.output
    assert box.logins and not box.received  # the server saw the attempt, nothing was delivered
    status, error, attempts = _status(store)
    assert (status, attempts) == ("failed", 1) and "refused the login" in error and WRONG not in error

    _use(monkeypatch, port, "starttls", ca=certs["ca"], user=USER, password=PASSWORD)
    retried = _intel(store, "digest", "--week", WEEK, "--send")  # no --force: the failed one is due again
    _delivered(box, retried, login=USER)
    assert _status(store)[::2] == ("sent", 2)


def test_untrusted_certificate_fails_without_sending(store, start_smtp, server_tls, monkeypatch):
    for security, tls in (("starttls", {"tls_context": server_tls, "require_starttls": True}),
                          ("ssl", {"ssl_context": server_tls})):
        box, port = start_smtp(**tls)
        _use(monkeypatch, port, security)  # SSL_CERT_FILE unset: the test CA is not trusted
        line = _only_error_line(_send_failing(store), f"the TLS certificate of SMTP server 127.0.0.1:{port} "
                                                      "is not trusted: unable to get local issuer certificate")
        assert "if the server uses a private CA, set SSL_CERT_FILE to that CA's PEM file" in line, line
        assert not box.received and not box.sessions
        assert _status(store)[0] == "failed"


def test_certificate_for_another_name_fails(store, start_smtp, server_tls, certs, monkeypatch):
    try:
        resolves = "127.0.0.1" in {a[4][0] for a in socket.getaddrinfo("localhost", None)}
    except OSError:
        resolves = False
    if not resolves:
        pytest.skip("localhost does not resolve to 127.0.0.1 here")
    box, port = start_smtp(ssl_context=server_tls)
    _use(monkeypatch, port, "ssl", ca=certs["ca"])  # trusted CA, but the certificate names 127.0.0.1 only
    monkeypatch.setenv("INTEL_SMTP_HOST", "localhost")
    line = _only_error_line(_send_failing(store), f"the TLS certificate of SMTP server localhost:{port} is "
                                                  "not trusted: Hostname mismatch, certificate is not valid for 'localhost'")
    assert line.endswith("set INTEL_SMTP_HOST to a name the certificate is issued for"), line
    assert not box.received


def test_starttls_never_falls_back_to_plain_text(store, start_smtp, monkeypatch):
    box, port = start_smtp()  # a plain server that offers no STARTTLS
    _use(monkeypatch, port, "starttls", user=USER, password=PASSWORD)
    failed = _send_failing(store)
    _only_error_line(failed, f"SMTP server 127.0.0.1:{port} does not support STARTTLS")
    assert PASSWORD not in failed.output
    assert not box.received and not box.logins


def test_implicit_tls_to_a_plain_text_port_names_the_setting(store, start_smtp, certs, monkeypatch):
    box, port = start_smtp()  # plain SMTP (as on 25 or 587): its 220 greeting is no TLS handshake
    _use(monkeypatch, port, "ssl", ca=certs["ca"])
    line = _only_error_line(_send_failing(store), f"TLS with SMTP server 127.0.0.1:{port} failed")
    assert "check INTEL_SMTP_SECURITY and INTEL_SMTP_PORT" in line, line
    assert not box.received and _status(store)[0] == "failed"


def test_login_over_plain_text_to_a_remote_server_is_refused(store, start_smtp, monkeypatch):
    import socket

    box, port = start_smtp()
    _use(monkeypatch, port, "none", user=USER, password=PASSWORD)
    monkeypatch.setenv("INTEL_SMTP_HOST", "mail.example.invalid")  # not a loopback relay
    lookups: list[str] = []
    real = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        # tests stay offline: a name that is not loopback is never resolved, let alone dialled
        if host not in {"127.0.0.1", "localhost", "::1"}:
            lookups.append(str(host))
            raise OSError(f"test is offline: refused to resolve {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    failed = _send_failing(store)
    _only_error_line(failed, "INTEL_SMTP_SECURITY=none would send the password to mail.example.invalid in clear text")
    assert PASSWORD not in failed.output and not box.received
    assert lookups == []  # refused before any connection was tried
