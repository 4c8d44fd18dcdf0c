"""Amounts as written in news text, normalised: money to USD, power to MW, counts of chips and roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Rough conversion rates, good enough to rank and compare amounts (not for accounting).
USD_PER = {"$": 1.0, "US$": 1.0, "USD": 1.0, "€": 1.08, "EUR": 1.08, "£": 1.27, "GBP": 1.27,
           "¥": 0.0067, "JPY": 0.0067, "yen": 0.0067, "CNY": 0.14, "yuan": 0.14, "RMB": 0.14,
           "₹": 0.012, "Rs": 0.012, "Rs.": 0.012, "INR": 0.012, "rupees": 0.012, "A$": 0.66, "AUD": 0.66, "C$": 0.73,
           "CAD": 0.73, "S$": 0.75, "SGD": 0.75, "won": 0.00072, "₩": 0.00072, "KRW": 0.00072,
           "riyals": 0.27, "SAR": 0.27, "dirhams": 0.27, "AED": 0.27, "R$": 0.18, "reais": 0.18,
           "kroner": 0.094, "NOK": 0.094, "SEK": 0.095, "CHF": 1.13, "ringgit": 0.22, "MYR": 0.22}
SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6,
         "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "tr": 1e12,
         "crore": 1e7, "lakh": 1e5}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:thousand|million|billion|trillion|crore|lakh|mn|mln|bn|tn|tr|m|b|k)\b"
_PREFIX_CUR = r"(?:US\$|A\$|C\$|S\$|R\$|\$|€|£|¥|₹|₩|Rs\.?)"
_SUFFIX_CUR = (r"(?:dollars|USD|EUR|euros?|GBP|pounds|JPY|yen|CNY|yuan|RMB|INR|rupees|AUD|CAD|SGD|"
               r"won|KRW|riyals|SAR|dirhams|AED|reais|kroner|NOK|SEK|CHF|ringgit|MYR)")
MONEY = re.compile(
    rf"(?P<cur>{_PREFIX_CUR})\s?(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE}))?"
    rf"|(?P<num2>{_NUM})\s?(?P<scale2>{_SCALE})?\s?(?P<cur2>{_SUFFIX_CUR})\b",
    re.IGNORECASE,
)
POWER = re.compile(rf"(?P<num>{_NUM})(?:\s|-)?(?P<unit>gigawatts?|megawatts?|GW|MW|kilowatts?)\b", re.I)
COUNT_WORDS = {"tens of thousands": 20_000, "hundreds of thousands": 200_000, "thousands": 2_000,
               "millions": 2_000_000, "hundreds": 200}
CHIPS = re.compile(
    rf"(?P<num>{_NUM})(?:\s?(?P<scale>million|thousand))?\s+(?:of (?:its |the |their )?)?(?:(?-i:[A-Z0-9][\w-]*)\s+){{0,4}}"
    r"(?P<what>GPUs?|chips?|accelerators?|TPUs?|processors|servers|superchips?|XPUs?)\b"
    r"|(?P<words>tens of thousands|hundreds of thousands|thousands|millions)\s+of\s+(?:(?-i:[A-Z0-9][\w-]*)\s+){0,4}"
    r"(?:GPUs?|chips?|accelerators?|TPUs?|processors|superchips?)",
    re.I,
)
ROLES = re.compile(
    rf"(?P<num>{_NUM})(?:\s+(?:new|permanent|direct|construction|high-skilled|skilled|full-time|"
    r"local|engineering|technical))*\s+(?P<what>jobs|roles|positions|people|workers|employees|engineers|hires)\b",
    re.I,
)


@dataclass(frozen=True)
class Amount:
    """A figure found in a sentence: text as written, its span, and its normalised value."""

    text: str
    start: int
    end: int
    value: float | None
    unit: str  # USD | MW | chips | roles


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _money(m: re.Match[str]) -> Amount | None:
    cur = m.group("cur") or m.group("cur2") or ""
    num = m.group("num") or m.group("num2")
    scale = (m.group("scale") or m.group("scale2") or "").lower()
    rate = USD_PER.get(cur) or USD_PER.get(cur.upper()) or USD_PER.get(cur.lower().rstrip("s"))
    if rate is None:
        rate = USD_PER.get(cur.lower(), 1.08 if cur.lower().startswith("euro") else 1.27
                           if cur.lower() == "pounds" else 1.0)
    value = _number(num) * SCALE.get(scale, 1) * rate
    if not scale and value < 1000:  # "$5" alone is not an infrastructure figure
        return None
    return Amount(m.group(0).strip(), m.start(), m.end(), round(value), "USD")


VAGUE_MONEY = re.compile(r"(?P<mult>tens of |hundreds of )?(?P<scale>billions|millions|trillions) of "
                         r"(?P<cur>dollars|euros|pounds)", re.I)


def find_amounts(text: str) -> list[Amount]:
    """Every money, power, chip-count and role-count figure in the text, in order."""
    found: list[Amount] = []
    for m in VAGUE_MONEY.finditer(text):  # "hundreds of billions of dollars": an order of magnitude
        mult = {"tens of ": 20, "hundreds of ": 200}.get((m.group("mult") or "").lower(), 2)
        scale = SCALE[m.group("scale").lower().rstrip("s")]
        rate = {"dollars": 1.0, "euros": 1.08, "pounds": 1.27}[m.group("cur").lower()]
        found.append(Amount(m.group(0), m.start(), m.end(), round(mult * scale * rate), "USD"))
    for m in MONEY.finditer(text):
        amount = _money(m)
        if amount:
            found.append(amount)
    for m in POWER.finditer(text):
        unit = m.group("unit").lower()
        factor = 1000 if unit.startswith("g") else 0.001 if unit.startswith("k") else 1
        found.append(Amount(m.group(0), m.start(), m.end(), _number(m.group("num")) * factor, "MW"))
    for m in CHIPS.finditer(text):
        if m.group("words"):
            value = float(COUNT_WORDS[m.group("words").lower()])
        else:
            value = _number(m.group("num")) * (1e6 if (m.group("scale") or "").lower() == "million"
                                               else 1e3 if m.group("scale") else 1)
        found.append(Amount(m.group(0), m.start(), m.end(), value, "chips"))
    for m in ROLES.finditer(text):
        found.append(Amount(m.group(0), m.start(), m.end(), _number(m.group("num")), "roles"))
    found.sort(key=lambda a: a.start)
    return _drop_overlaps(found)


def _drop_overlaps(amounts: list[Amount]) -> list[Amount]:
    out: list[Amount] = []
    for a in amounts:
        if out and a.start < out[-1].end:
            if (a.end - a.start) > (out[-1].end - out[-1].start):
                out[-1] = a
            continue
        out.append(a)
    return out


def format_amount(value: float | None, unit: str | None) -> str:
    """A normalised figure for people: $12.5bn, 1.20 GW, 300 MW, 50,000 chips ("" when there is none)."""
    if value is None or not unit:
        return ""
    if unit == "USD":
        for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
            if value >= size:
                return f"${value / size:,.1f}{suffix}"
        return f"${value:,.0f}"
    if unit == "MW":
        return f"{value / 1000:,.2f} GW" if value >= 1000 else f"{value:,.0f} MW"
    return f"{value:,.0f} {unit}"
