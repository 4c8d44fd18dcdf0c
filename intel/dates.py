"""Date parsing for feeds: aware UTC out, with a flag when the date was missing, guessed or odd.

feedparser's own parsed dates are not trusted: it silently misreads '2020/1/10 14:33:00' and
epoch numbers. We parse the raw strings ourselves and say when we had to guess.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta, timezone

_MONTHS = {
    # Portuguese, Italian, Spanish, French, German, Dutch abbreviations/names -> English
    "jan": "Jan", "janeiro": "Jan", "gen": "Jan", "gennaio": "Jan", "ene": "Jan", "enero": "Jan",
    "janv": "Jan", "janvier": "Jan", "januar": "Jan", "jän": "Jan", "januari": "Jan",
    "fev": "Feb", "fevereiro": "Feb", "feb": "Feb", "febbraio": "Feb", "febrero": "Feb",
    "févr": "Feb", "février": "Feb", "februar": "Feb", "februari": "Feb",
    "mar": "Mar", "março": "Mar", "marzo": "Mar", "mars": "Mar", "märz": "Mar", "mrt": "Mar",
    "maart": "Mar", "abr": "Apr", "abril": "Apr", "apr": "Apr", "aprile": "Apr", "avr": "Apr",
    "avril": "Apr", "april": "Apr", "mai": "May", "maio": "May", "mag": "May", "maggio": "May",
    "may": "May", "mayo": "May", "mei": "May", "jun": "Jun", "junho": "Jun", "giu": "Jun",
    "giugno": "Jun", "junio": "Jun", "juin": "Jun", "juni": "Jun", "jul": "Jul", "julho": "Jul",
    "lug": "Jul", "luglio": "Jul", "julio": "Jul", "juil": "Jul", "juillet": "Jul", "juli": "Jul",
    "ago": "Aug", "agosto": "Aug", "aug": "Aug", "août": "Aug", "aout": "Aug", "augustus": "Aug",
    "set": "Sep", "setembro": "Sep", "settembre": "Sep", "sep": "Sep", "sept": "Sep",
    "septiembre": "Sep", "septembre": "Sep", "september": "Sep", "out": "Oct", "outubro": "Oct",
    "ott": "Oct", "ottobre": "Oct", "oct": "Oct", "octubre": "Oct", "octobre": "Oct",
    "okt": "Oct", "oktober": "Oct", "nov": "Nov", "novembro": "Nov", "novembre": "Nov",
    "noviembre": "Nov", "november": "Nov", "dez": "Dec", "dezembro": "Dec", "dic": "Dec",
    "dicembre": "Dec", "diciembre": "Dec", "déc": "Dec", "décembre": "Dec", "dezember": "Dec",
    "dec": "Dec", "december": "Dec",
}
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "MET": 1, "WEST": 1,
    "CEST": 2, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "SGT": 8, "HKT": 8,
    "CST": -6, "AWST": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9,
    "HST": -10,
}
_WEEKDAY = re.compile(r"^\s*[^\W\d_]{2,12}\.?,\s*", re.UNICODE)
_EPOCH = re.compile(r"^\s*(\d{10}|\d{13})(\.\d+)?\s*$")
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _to_utc(dt: datetime) -> datetime:
    """Aware UTC; a naive value is taken to be UTC already."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _translate_months(raw: str) -> str:
    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        return _MONTHS.get(word.lower().rstrip("."), word)

    return re.sub(r"[^\W\d_]+\.?", swap, raw)


def _rfc822(raw: str) -> tuple[datetime | None, bool]:
    parsed = email.utils.parsedate_tz(raw)
    if not parsed:
        return None, False
    naive = datetime(*parsed[:6])
    zone = re.search(r"\d{1,2}:\d{2}(?::\d{2})?\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,5})\s*$", raw)
    if not zone:
        return _to_utc(naive), False
    name = zone.group(1).upper()
    if name in _ZONES:  # email.utils knows only US zones; _ZONES adds the common others
        offset = timedelta(hours=_ZONES[name])
    elif name[0] in "+-":
        offset = timedelta(seconds=parsed[9] or 0)
    else:
        return _to_utc(naive), False
    return _to_utc(naive.replace(tzinfo=timezone(offset))), True


def _dateutil(raw: str) -> tuple[datetime | None, bool]:
    from dateutil import parser as du

    tzinfos = {k: int(v * 3600) for k, v in _ZONES.items()}
    try:
        dt = du.parse(raw, tzinfos=tzinfos, yearfirst=bool(re.match(r"^\s*\d{4}", raw)))
    except (ValueError, OverflowError, TypeError):
        return None, False
    return _to_utc(dt), dt.tzinfo is not None


def parse_date(raw: str | None) -> tuple[datetime | None, str | None]:
    """Parse a feed date string to aware UTC; return (value, flag) where flag notes guesses.

    Flags: None (clean), 'assumed_utc' (no zone given), 'date_only', 'unparsed' (value None).
    """
    if raw is None or not str(raw).strip():
        return None, None
    raw = str(raw).strip()
    epoch = _EPOCH.match(raw)
    if epoch:
        seconds = int(epoch.group(1)) / (1000 if len(epoch.group(1)) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC), None
    if _DATE_ONLY.match(raw):
        return datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC), "date_only"
    try:
        iso = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return _to_utc(iso), None if iso.tzinfo else "assumed_utc"
    except ValueError:
        pass
    for candidate in (raw, _translate_months(_WEEKDAY.sub("", raw))):
        dt, zoned = _rfc822(candidate)
        if dt is None:
            dt, zoned = _dateutil(candidate)
        if dt is not None:
            return dt, None if zoned else "assumed_utc"
    return None, "unparsed"


def check_plausible(value: datetime, fetched: datetime) -> str | None:
    """A flag for dates that cannot be right: far in the future, or before web feeds existed."""
    if value > fetched + timedelta(days=2):
        return "future"
    if value.year < 1995:
        return "implausible"
    return None
