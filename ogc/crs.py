"""CRS by reference (OGC API - Features Part 2): the CRS URIs served, their SRIDs and axis order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import InvalidInput

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"


@dataclass(frozen=True)
class OgcCrs:
    """A CRS the service can answer in: its URI, PostGIS SRID, and whether its first axis is north.

    ``north_first`` follows the EPSG registry: EPSG:4490 and EPSG:4326 are (lat, lon) and the
    Gauss-Krueger EPSG:4545/4546 are (northing X, easting Y); CRS84 is (lon, lat). Part 2 requires
    coordinates in the CRS's own axis order whenever ``crs``/``bbox-crs``/``filter-crs`` names it.
    ``same_as_storage`` marks the lon/lat systems treated as identical to CGCS2000 (core.crs does too).
    """

    uri: str
    srid: int
    north_first: bool
    geographic: bool
    same_as_storage: bool

    @property
    def short(self) -> str:
        """``EPSG:4490`` style name (``OGC:CRS84`` for CRS84)."""
        return "OGC:CRS84" if self.uri == CRS84 else f"EPSG:{self.srid}"


SUPPORTED: tuple[OgcCrs, ...] = (
    OgcCrs(CRS84, 4326, north_first=False, geographic=True, same_as_storage=True),
    OgcCrs(EPSG_URI.format(code=4490), 4490, north_first=True, geographic=True, same_as_storage=True),
    OgcCrs(EPSG_URI.format(code=4326), 4326, north_first=True, geographic=True, same_as_storage=True),
    OgcCrs(EPSG_URI.format(code=4545), 4545, north_first=True, geographic=False, same_as_storage=False),
    OgcCrs(EPSG_URI.format(code=4546), 4546, north_first=True, geographic=False, same_as_storage=False),
)
STORAGE = SUPPORTED[1]
DEFAULT = SUPPORTED[0]
_BY_KEY = {c.uri.lower(): c for c in SUPPORTED} | {c.short.lower(): c for c in SUPPORTED}
_BY_KEY |= {"crs84": DEFAULT, "urn:ogc:def:crs:ogc:1.3:crs84": DEFAULT}
_BY_KEY |= {f"urn:ogc:def:crs:epsg::{c.srid}": c for c in SUPPORTED[1:]}


def parse_ogc_crs(value: str | None, parameter: str = "crs") -> OgcCrs:
    """The CRS named by a URI, a safe CURIE (``[EPSG:4490]``) or a short form (``EPSG:4490``, ``CRS84``)."""
    if value is None:
        return DEFAULT
    key = re.sub(r"^\[(.*)\]$", r"\1", value.strip()).lower()
    found = _BY_KEY.get(key)
    if found is None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidInput(
            f"{parameter} {shown!r} is not supported; use one of: " + ", ".join(c.uri for c in SUPPORTED),
            extra={"parameter": parameter},
        )
    return found


# Coordinates the service accepts in each kind of CRS (east-first): beyond them PROJ fails or answers nonsense.
_GAUSS_KRUGER_EASTING = (100_000.0, 900_000.0)
_GAUSS_KRUGER_NORTHING = (300_000.0, 6_200_000.0)


def check_coordinates(crs: OgcCrs, xs: Sequence[float], ys: Sequence[float], what: str) -> None:
    """InvalidInput unless every east-first coordinate lies in ``crs``'s valid range (stated in its axis order)."""
    if crs.geographic:
        ok = all(-180 <= x <= 180 for x in xs) and all(-90 <= y <= 90 for y in ys)
        ranges = "latitude -90..90, longitude -180..180" if crs.north_first else "longitude -180..180, latitude -90..90"
    else:
        ok = all(_GAUSS_KRUGER_EASTING[0] <= x <= _GAUSS_KRUGER_EASTING[1] for x in xs) and all(
            _GAUSS_KRUGER_NORTHING[0] <= y <= _GAUSS_KRUGER_NORTHING[1] for y in ys
        )
        ranges = "northing 300,000..6,200,000 m, easting 100,000..900,000 m"
    if not ok:
        raise InvalidInput(f"{what} is outside {crs.short} (axis order and ranges: {ranges})")
