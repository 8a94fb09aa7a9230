"""The CGCS2000 Gauss-Krueger CRSs of the EPSG registry (EPSG:4491-4554), the zone-number convention of their
eastings, and the 3-degree zone of an Ordos longitude."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.errors import InvalidInput

# Gauss-Krueger 3-degree zones supported: (west edge, east edge, EPSG name).
_GK_ZONES: tuple[tuple[float, float, str], ...] = (
    (106.5, 109.5, "EPSG:4545"),
    (109.5, 112.5, "EPSG:4546"),
)


@dataclass(frozen=True)
class GaussKruger:
    """A CGCS2000 Gauss-Krueger CRS (EPSG): zone width (3 or 6 degrees), zone, central meridian, and whether the
    false easting carries the zone number in front (``zone * 1e6 + 500 000``)."""

    width: int
    zone: int
    central_meridian: int
    prefixed: bool


def _gauss_kruger_codes() -> dict[str, GaussKruger]:
    """EPSG:4491-4554, the CGCS2000 GK CRSs (EPSG registry): 4491-4501 6-degree zones 13-23 with the zone prefix,
    4502-4512 the same zones without it ("CM 75E" ... "CM 135E"), 4513-4533 3-degree zones 25-45 with the prefix,
    4534-4554 the same without it."""
    codes = {}
    for first, width, zones, prefixed in ((4491, 6, range(13, 24), True), (4502, 6, range(13, 24), False),
                                          (4513, 3, range(25, 46), True), (4534, 3, range(25, 46), False)):  # fmt: skip
        for offset, zone in enumerate(zones):
            meridian = zone * 6 - 3 if width == 6 else zone * 3
            codes[f"EPSG:{first + offset}"] = GaussKruger(width, zone, meridian, prefixed)
    return codes


GAUSS_KRUGER = _gauss_kruger_codes()


def check_zone_prefix(easting: NDArray[np.float64], name: str) -> None:
    """Refuse eastings that do not fit the zone-prefix convention of the GK CRS ``name``, naming the likely right
    code: an easting of 36 512 345 m (zone 36 in front) under EPSG:4545 (no prefix) is EPSG:4524's, one of
    512 345 m under EPSG:4524 is EPSG:4545's. Eastings of one zone lie within about 330 km of 500 000 m."""
    if easting.size == 0:
        return
    crs = GAUSS_KRUGER[name]
    zones = np.unique(np.floor(np.abs(easting) / 1e6)).astype(int)
    if not all(zone == 0 or zone in ZONE_NUMBERS for zone in zones):
        return  # not a zone number at all (e.g. a northing given first): the range checks name that
    if crs.prefixed and not (len(zones) == 1 and zones[0] == crs.zone):
        likely = _likely_code(crs.width, crs.zone, prefixed=False) if zones.max() == 0 else _prefixed_for(zones)
        raise InvalidInput(
            f"eastings under {name} must carry its zone number {crs.zone} in front ({crs.zone} 500 000 m style); "
            f"these {'carry none' if zones.max() == 0 else 'carry zone ' + str(int(zones.max()))}: {likely}"
        )
    if not crs.prefixed and zones.max() > 0:
        raise InvalidInput(
            f"eastings under {name} carry no zone number (about 500 000 m), these carry zone "
            f"{int(zones.max())} in front: {_prefixed_for(zones)}"
        )


ZONE_NUMBERS = frozenset(range(13, 24)) | frozenset(range(25, 46))  # 6-degree zones 13-23, 3-degree zones 25-45


def zone_offset(name: str) -> float:
    """What a GK CRS puts before the 500 km false easting: its zone number times 1e6 m, or nothing."""
    crs = GAUSS_KRUGER[name]
    return crs.zone * 1e6 if crs.prefixed else 0.0


def _likely_code(width: int, zone: int, *, prefixed: bool) -> str:
    for name, crs in GAUSS_KRUGER.items():
        if (crs.width, crs.zone, crs.prefixed) == (width, zone, prefixed):
            return f"the likely CRS is {name} ({width}-degree zone {zone}, central meridian {crs.central_meridian}E)"
    return "no CGCS2000 Gauss-Krueger CRS has that zone"


def _prefixed_for(zones: NDArray[np.int_]) -> str:
    if len(zones) != 1:
        return "they carry different zone numbers; give one zone per file"
    zone = int(zones[0])
    return _likely_code(3 if zone >= 25 else 6, zone, prefixed=True)


def gauss_kruger_zone_for(lon: float) -> str:
    """EPSG name of the CGCS2000 3-degree Gauss-Krueger zone containing ``lon``.

    ``EPSG:4545`` (CM 108E) for 106.5 <= lon < 109.5 and ``EPSG:4546`` (CM 111E) for
    109.5 <= lon <= 112.5 (a point exactly on 109.5 goes east). Only these two zones, which
    cover Ordos (about 106.7E-111.5E), are supported; other longitudes raise InvalidInput.
    """
    try:
        value = float(lon)
    except (TypeError, ValueError):
        raise InvalidInput(f"longitude must be a number, got {lon!r}") from None
    if math.isfinite(value):
        for west, east, name in _GK_ZONES:
            if west <= value < east or (value == east == _GK_ZONES[-1][1]):
                return name
    raise InvalidInput(
        f"longitude {lon!r} is outside the supported Gauss-Krueger zones "
        "(EPSG:4545 for 106.5-109.5E, EPSG:4546 for 109.5-112.5E)",
        extra={"lon": value if math.isfinite(value) else None},
    )
