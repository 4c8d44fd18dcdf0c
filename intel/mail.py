"""Digest emails: render (Jinja2), compose (EmailMessage, SMTP policy), send (smtplib), record.

Headers are never built from strings: `EmailMessage` with the SMTP policy refuses CR/LF in a
header value, the subject is stripped of control characters before that, and the envelope
recipient is passed explicitly, so no feed text can add a recipient or a header.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from intel.config import Settings
from intel.digest import (
    Digest,
    Period,
    Recipient,
    Source,
    WatchResult,
    build_digest,
    load_digest_data,
    safe_url,
)
from intel.errors import ConfigError, InputError, IntelError

if TYPE_CHECKING:
    import jinja2

    from intel.store import Watch

WATCH_HITS = 5  # new matches shown per watch
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")
_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class MailError(IntelError):
    """The SMTP server could not be reached or refused the session."""


def check_address(value: str, setting: str | None = None) -> str:
    """A plain name@domain address (lower-cased), or InputError naming the setting."""
    address = (value or "").strip()
    if not _ADDRESS.fullmatch(address):
        where = f"{setting}={value!r}" if setting else repr(value)
        raise InputError(f"{where} is not an email address (expected name@domain)")
    return address.lower()  # one subscriber per mailbox, however it was typed


# --- rendering ---


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    from intel.geo import country_name

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("intel", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),  # HTML escaped, text verbatim
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["country"] = country_name
    return env


def render_digest(digest: Digest) -> tuple[str, str]:
    """The plain-text and HTML parts of a digest."""
    text = _env().get_template("digest.txt.j2").render(digest=digest)
    html = _env().get_template("digest.html.j2").render(digest=digest)
    return text, html


def compose_message(digest: Digest, settings: Settings, text: str | None = None,
                    html: str | None = None) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) for the digest's recipient."""
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid

    sender = check_address(settings.mail_from, "INTEL_MAIL_FROM")
    if text is None or html is None:
        text, html = render_digest(digest)
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = digest.recipient.email
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    msg["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    msg["Auto-Submitted"] = "auto-generated"
    # quoted-printable: 7-bit safe through any relay, and long HTML lines get wrapped
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


# --- sending ---


@contextmanager
def smtp_session(settings: Settings) -> Iterator[smtplib.SMTP]:
    """A connected (and, with a user set, logged-in) SMTP session; MailError when that fails.

    With starttls or ssl the server's certificate and host name are verified against the system's
    CA store (`ssl.create_default_context()`), never skipped. For a server whose certificate comes
    from a private CA, point the standard OpenSSL variable SSL_CERT_FILE at that CA's PEM file.
    """
    import ssl

    host, security = settings.smtp_host, settings.smtp_security
    port = settings.smtp_port or _PORTS[security]
    where = f"SMTP server {host}:{port}"
    try:
        smtp = _open_session(settings, host, port, security)
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"{where} does not support {'STARTTLS' if security == 'starttls' else 'login'} ({exc}); "
                        "check INTEL_SMTP_SECURITY") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{where} refused the login for {settings.smtp_user!r}: {_smtp_text(exc)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(_certificate_text(exc, where)) from None
    except ssl.SSLError as exc:
        raise MailError(f"TLS with {where} failed: {_smtp_text(exc)}; check INTEL_SMTP_SECURITY and "
                        "INTEL_SMTP_PORT (ssl: TLS from the first byte, usually 465; starttls: usually 587)") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot reach {where}: {_smtp_text(exc)}; check INTEL_SMTP_HOST and INTEL_SMTP_PORT") from None
    try:
        yield smtp
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _open_session(settings: Settings, host: str, port: int, security: str) -> smtplib.SMTP:
    """Connect, STARTTLS and log in as the settings say; the connection is closed if a step fails."""
    import ssl

    if settings.smtp_user and security == "none" and host not in {"localhost", "127.0.0.1", "::1"}:
        raise ConfigError(f"INTEL_SMTP_USER is set but INTEL_SMTP_SECURITY=none would send the password to {host} "
                          "in clear text; use starttls or ssl")
    context = ssl.create_default_context()  # verifies the certificate chain and the host name
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=settings.smtp_timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=settings.smtp_timeout)
    try:
        if security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


# OpenSSL verify codes: the certificate names another host / its issuer is not trusted here
_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_UNTRUSTED_ISSUER = {18, 19, 20, 21}  # self-signed, self-signed in chain, unknown issuer (local / leaf)


def _certificate_text(exc: BaseException, where: str) -> str:
    """One line for a certificate that failed verification, with what to do about it."""
    code, reason = getattr(exc, "verify_code", None), getattr(exc, "verify_message", None) or exc
    text = f"the TLS certificate of {where} is not trusted: {' '.join(str(reason).split()).rstrip('.')}"
    if code in _NAME_MISMATCH:
        return f"{text}; set INTEL_SMTP_HOST to a name the certificate is issued for"
    if code in _UNTRUSTED_ISSUER:
        return f"{text}; if the server uses a private CA, set SSL_CERT_FILE to that CA's PEM file"
    return text


def _smtp_text(exc: BaseException) -> str:
    """One line for an smtplib error: code and server text, or the OS reason."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_decode(text)}" for code, text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return " ".join(str(getattr(exc, "strerror", None) or exc or type(exc).__name__).split())


def _decode(value: bytes | str) -> str:
    return " ".join((value.decode("utf-8", "replace") if isinstance(value, bytes) else value).split())


def send_messages(settings: Settings, messages: list[tuple[str, EmailMessage]],
                  on_result: Callable[[str, str | None, str | None], None]) -> None:
    """Send each message to its one envelope recipient over one session.

    `on_result(recipient, error, message_id)` is called after each message (error None when the
    server accepted it), so a crash between messages loses no record. A refused recipient does not
    stop the others; a dropped connection fails the rest of them.
    """
    with smtp_session(settings) as smtp:
        for n, (recipient, msg) in enumerate(messages):
            try:
                smtp.send_message(msg, from_addr=msg["From"], to_addrs=[recipient])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                on_result(recipient, _smtp_text(exc), None)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                reason = f"connection lost: {_smtp_text(exc)}"
                for rest, _ in messages[n:]:
                    on_result(rest, reason, None)
                return
            on_result(recipient, None, msg["Message-ID"])


# --- a period's digests for every recipient ---


def recipients(engine: Engine, settings: Settings) -> list[tuple[Recipient, list[Watch]]]:
    """Every subscriber with their watches, plus the operator address (failing feeds) if set."""
    from intel.store import list_subscribers

    operator = check_address(settings.operator_email, "INTEL_OPERATOR_EMAIL") if settings.operator_email else ""
    out = [(Recipient(sub.email, list(sub.labs), list(sub.countries), list(sub.types), sub.email == operator),
            watches) for sub, watches in list_subscribers(engine)]
    if operator and operator not in {r.email for r, _ in out}:
        out.append((Recipient(operator, operator=True), []))
    return out


def watch_results(engine: Engine, settings: Settings, email: str, watches: list[Watch],
                  period: Period) -> list[WatchResult]:
    """Each watch's matches published since this recipient's last digest (or the period start).

    A match must share words with the query (BM25), not only sit nearest in vector space:
    hybrid search always returns something, and a watch should stay quiet when nothing matched.
    """
    from intel.search import Filters, search
    from intel.store import last_sent_end

    since = last_sent_end(engine, email, period.start) or period.start
    out = []
    for w in watches:
        filters = Filters(list(w.labs), list(w.countries), list(w.types), [], since, period.end)
        args = (engine, settings.data_dir, settings.embed_model, w.query, filters)
        worded = {h.article_id for h in search(*args, k=50, mode="keyword")}
        hits = [h for h in search(*args, k=WATCH_HITS * 2) if h.article_id in worded][:WATCH_HITS]
        out.append(WatchResult(w.query, since, [
            (Source(h.article_id, h.title, h.source, safe_url(h.url), datetime.fromisoformat(
                h.published.replace("Z", "+00:00"))), h.passage) for h in hits]))
    return out


def prepare_digests(engine: Engine, settings: Settings, period: Period,
                    only: set[str] | None = None) -> list[Digest]:
    """The period's digest for every recipient (or only these addresses)."""
    data = load_digest_data(engine, period)
    return [build_digest(data, r, watch_results(engine, settings, r.email, w, period) if w else [])
            for r, w in recipients(engine, settings) if only is None or r.email in only]


def preview_digest(engine: Engine, settings: Settings, period: Period, email: str | None = None) -> Digest:
    """One digest to look at: a recipient's, or by default everything (with the operator section)."""
    if email:
        email = check_address(email)
        found = prepare_digests(engine, settings, period, only={email})
        if not found:
            raise InputError(f"not a subscriber: {email} (see `intel subscribers list`)")
        return found[0]
    return build_digest(load_digest_data(engine, period), Recipient("preview", operator=True, preview=True))


@dataclass
class DeliveryReport:
    """What a send did, per recipient: sent, failed (with the reason) or already sent."""

    period: Period
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        return (f"digest {self.period.label}: {len(self.sent)} sent, {len(self.failed)} failed, "
                f"{len(self.skipped)} already sent")


def send_digests(engine: Engine, settings: Settings, period: Period, force: bool = False) -> DeliveryReport:
    """Send the period's digest to every recipient not yet sent it (all with force); record each.

    Failed recipients are recorded and retried by the next run; the others still get theirs.
    """
    from intel.store import digest_sends, record_send

    if not settings.mail_from:
        raise ConfigError("INTEL_MAIL_FROM is not set: the address digests are sent from, "
                          "e.g. INTEL_MAIL_FROM=intel@example.org")
    check_address(settings.mail_from, "INTEL_MAIL_FROM")
    report = DeliveryReport(period)
    done = {email for email, row in digest_sends(engine, period.label).items() if row.status == "sent"}
    everyone = [r.email for r, _ in recipients(engine, settings)]
    report.skipped = [] if force else [e for e in everyone if e in done]
    todo = {e for e in everyone if e not in report.skipped}
    if not todo:
        return report
    messages = [(d.recipient.email, compose_message(d, settings))
                for d in prepare_digests(engine, settings, period, only=todo)]

    def record(recipient: str, error: str | None, message_id: str | None) -> None:
        record_send(engine, recipient, period.label, period.start, period.end, error, message_id)
        if error is None:
            report.sent.append(recipient)
        else:
            report.failed.append((recipient, error))

    try:
        send_messages(settings, messages, record)
    except MailError as exc:
        for recipient, _ in messages:
            record(recipient, str(exc), None)
        raise
    return report
