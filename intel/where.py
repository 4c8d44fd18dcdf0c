"""Places a query names: countries, their cities and demonyms, and world regions ("the Middle East").

Search uses them as a third retriever: passages that mention those countries (a claim's country
first), so "who is building data centers in the Middle East?" reaches Abu Dhabi and Riyadh stories
whose text never says "Middle East".
"""

from __future__ import annotations

import re

from intel.gazetteer import strong_place_codes
from intel.geo import REGIONS

# how people write the regions in questions -> REGIONS keys
REGION_WORDS = {
    "middle east": "Middle East & Gulf", "mideast": "Middle East & Gulf", "gulf": "Middle East & Gulf",
    "persian gulf": "Middle East & Gulf", "gcc": "Middle East & Gulf", "mena": "Middle East & Gulf",
    "europe": "Europe", "european": "Europe", "eu": "Europe", "nordics": "Europe", "nordic": "Europe",
    "north america": "North America", "latin america": "Latin America", "south america": "Latin America",
    "latam": "Latin America", "asia": "Asia-Pacific", "asian": "Asia-Pacific", "apac": "Asia-Pacific",
    "asia-pacific": "Asia-Pacific", "asia pacific": "Asia-Pacific", "southeast asia": "Asia-Pacific",
    "africa": "Africa", "african": "Africa",
}


def query_countries(query: str) -> list[str]:
    """ISO codes of the places a query names, in order; a capitalised word is needed for a country
    or city ("us" the pronoun is not the US), regions match in any case."""
    words = re.findall(r"[\w'-]+", query)
    places = strong_place_codes()
    found: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            gram = " ".join(words[i : i + n])
            low = gram.lower()
            if low in REGION_WORDS:
                found.extend(REGIONS[REGION_WORDS[low]])
            elif low in places and gram[:1].isupper():
                found.append(places[low])
            else:
                continue
            i += n
            break
        else:
            i += 1
    return list(dict.fromkeys(found))
