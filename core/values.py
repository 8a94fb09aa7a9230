"""Value objects that refuse bad input with a message naming the bad value."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, StrictFloat

from core.crs import STORAGE_CRS, parse_crs, transform_coords, transform_point
from core.errors import InvalidInput
from core.gauss_kruger import GAUSS_KRUGER, check_zone_prefix, zone_offset

CODE_LENGTHS = (2, 4, 6, 9, 12)
LEVEL_BY_CODE_LENGTH = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def normalize_code(raw: str | int) -> str:
    """The 12-digit NBS code for a code given with 2, 4, 6, 9 or 12 digits (zero-padded)."""
    value = str(raw).strip()
    if not re.fullmatch(r"[0-9]+", value) or len(value) not in CODE_LENGTHS:
        raise InvalidInput(
            f"division code {value!r} is not valid: give 2, 4, 6, 9 or 12 digits (e.g. 150603 or 150603000000)"
        )
    return value.ljust(12, "0")


def significant_code(code: str) -> str:
    """The code without the zero padding of its level (150603000000 -> 150603)."""
    return code[: code_length(code)]


def code_length(code: str) -> int:
    """Number of significant digits of a 12-digit code (2, 4, 6, 9 or 12)."""
    for length in CODE_LENGTHS:
        if code[length:].strip("0") == "":
            return length
    return 12


def level_of_code(code: str) -> str:
    """The administrative level a 12-digit code encodes."""
    return LEVEL_BY_CODE_LENGTH[code_length(code)]


def parent_of_code(code: str) -> str | None:
    """The parent code implied by the code's structure (None for a province)."""
    length = code_length(code)
    if length == 2:
        return None
    shorter = CODE_LENGTHS[CODE_LENGTHS.index(length) - 1]
    return code[:shorter].ljust(12, "0")


def parse_date(raw: str | date | None, name: str = "date") -> date | None:
    """A date written exactly ``YYYY-MM-DD`` (or a date), or None when not given. Numbers, ``20230630`` and week
    dates are refused: a stray ``0`` must not become 1970-01-01."""
    if raw is None or isinstance(raw, date):
        return raw
    text_ = raw.strip() if isinstance(raw, str) else ""
    try:
        if not ISO_DATE.fullmatch(text_):
            raise ValueError
        return date.fromisoformat(text_)
    except ValueError:
        raise InvalidInput(f"{name} {raw!r} is not a date: use YYYY-MM-DD") from None


def _iso_date_input(value: Any) -> Any:
    """Let only a date, None or a ``YYYY-MM-DD`` string on to pydantic's date parsing (which takes numbers as Unix
    times and accepts datetimes)."""
    if value is None or isinstance(value, date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("not a date: use YYYY-MM-DD")


# Types of the HTTP boundary (pydantic models and query parameters): a date written YYYY-MM-DD and nothing else;
# a coordinate that is a JSON number (not true/false, not a string). User text is pydantic's StrictStr.
IsoDate = Annotated[date, BeforeValidator(_iso_date_input)]
Coordinate = StrictFloat


def is_number(value: Any) -> bool:
    """True for an int or float that is not a bool (JSON numbers; ``true`` is not 1)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def require_numeric_coordinates(coordinates: Any, kind: str) -> None:
    """Refuse GeoJSON ``coordinates`` (nested lists of positions; tuples too, as shapely's ``mapping`` writes them)
    holding anything but numbers in a position (``[0, false]``, ``["109.7", 39.6]``, ``null``), naming the first bad
    position."""
    pending = [coordinates]
    while pending:
        part = pending.pop()
        if isinstance(part, list | tuple) and not part:
            raise InvalidInput(f"{kind} coordinates hold an empty list where a position or its parts belong")
        if not isinstance(part, list | tuple):
            raise InvalidInput(f"{kind} coordinates hold {part!r}, not a position (a list of numbers)"[:300])
        if isinstance(part[0], list | tuple):
            pending.extend(reversed(part))
        elif not all(is_number(c) for c in part):
            raise InvalidInput(f"{kind} position {part!r} is not a list of numbers"[:300])


@dataclass(frozen=True)
class GeoPoint:
    """A point in the storage CRS (EPSG:4490 lon/lat), built from east-first input in any accepted CRS."""

    lon: float
    lat: float

    @classmethod
    def from_input(cls, x: float, y: float, crs: str | None) -> GeoPoint:
        """Validate ``(x, y)`` given east first in ``crs`` and convert it to EPSG:4490."""
        name = parse_crs(crs)
        for label, value in (("x (lon/easting)", x), ("y (lat/northing)", y)):
            if not is_number(value) or not math.isfinite(value):
                raise InvalidInput(f"coordinate {label} {value!r} is not a finite number")
        if name in GAUSS_KRUGER:  # false easting 500 km, after the zone number when the code carries one
            check_zone_prefix(np.array([float(x)]), name)
            offset = zone_offset(name)
            easting_ok, northing_ok = 100_000 <= x - offset <= 900_000, 300_000 <= y <= 6_200_000
            if not (easting_ok and northing_ok):
                swapped = 100_000 <= y <= 900_000 and 300_000 <= x <= 6_200_000
                hint = " — easting and northing swapped? give the easting first" if swapped else ""
                raise InvalidInput(
                    f"easting/northing ({x}, {y}) is outside {name} over China (easting {offset + 100_000:,.0f}–"
                    f"{offset + 900_000:,.0f} m, "
                    f"northing 300,000–6,200,000 m){hint}"
                )
        else:
            if not -90 <= y <= 90:
                hint = " — lon and lat swapped? give lon first" if -90 <= x <= 90 else ""
                raise InvalidInput(f"latitude {y} is out of range [-90, 90]{hint}")
            if not -180 <= x <= 180:
                raise InvalidInput(f"longitude {x} is out of range [-180, 180]")
        lon, lat = transform_point(x, y, name, STORAGE_CRS)
        return cls(lon, lat)


def points_to_storage(x: np.ndarray, y: np.ndarray, crs: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Many east-first points in ``crs`` as EPSG:4490 lon/lat arrays; the first bad point is named."""
    name = parse_crs(crs)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if name in GAUSS_KRUGER:  # a zone-prefix mistake is named by from_input of the first bad point below
        east = x - zone_offset(name)
        bad |= ~((100_000 <= east) & (east <= 900_000) & (300_000 <= y) & (y <= 6_200_000))
    else:
        bad |= ~((-180 <= x) & (x <= 180) & (-90 <= y) & (y <= 90))
    if bad.any():
        first = int(np.argmax(bad))
        GeoPoint.from_input(float(x[first]), float(y[first]), name)  # raises with the precise reason
        raise InvalidInput(f"point {first} ({x[first]}, {y[first]}) is not a valid coordinate in {name}")
    lon, lat = transform_coords(x, y, name, STORAGE_CRS)
    return np.asarray(lon), np.asarray(lat)
