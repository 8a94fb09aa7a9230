"""The metric plane boundary checks and comparisons work in.

Every check and comparison projects its lon/lat (EPSG:4490) inputs once into one plane chosen for the run and
does noding, overlay, snapping, widths and areas there; what it stores goes back to EPSG:4490. The plane is
the CGCS2000 3-degree Gauss-Krüger zone (EPSG:4534-4554, GB/T 17798 and GB 21139 zoning: zone n has its
central meridian at 3n°E) holding the centre of the inputs' box; a run wider than 6° of longitude (a national
run) uses a CGCS2000 Albers equal-area plane instead (central meridian 105°E, standard parallels 25°N and 47°N).

Gauss-Krüger keeps angles and stretches lengths by the point scale factor k = 1 + E²/(2R²) + E⁴/(24R⁴) at E
metres from the central meridian (R the mean radius of curvature there; k ≤ 1.0014 inside a 3° zone at 40°N):
lengths are divided by k and areas by k² at each piece's centre, which puts areas within 1e-5 of the
ellipsoidal figure for pieces up to tens of kilometres across.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

# Vertices of a second version within this distance of the first version's edges are the same point (a claim
# drawn from the registered polygon and rounded to 7 decimals of a degree moves its vertices by under 1 cm).
SNAP_M = 0.01
_A = 6378137.0  # GRS80 (CGCS2000) semi-major axis and first eccentricity squared
_E2 = 0.00669438002290
_FALSE_EASTING = 500_000.0
_NATIONAL_SPAN_DEG = 6.0
ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


@functools.lru_cache(maxsize=8)
def _transformers(crs: str) -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs("EPSG:4490", crs, always_xy=True),
        Transformer.from_crs(crs, "EPSG:4490", always_xy=True),
    )


@dataclass(frozen=True)
class MetricFrame:
    """A metric plane: ``crs`` (EPSG name, or the Albers PROJ string), and the mean radius of curvature at
    ``latitude`` used for the Gauss-Krüger scale factor (``gauss_kruger`` False: equal-area, no correction)."""

    crs: str
    name: str
    gauss_kruger: bool
    latitude: float

    def forward(self, geoms: NDArray[np.object_]) -> NDArray[np.object_]:
        """Lon/lat geometries in the plane."""
        return _apply(geoms, _transformers(self.crs)[0])

    def inverse(self, geoms: NDArray[np.object_]) -> NDArray[np.object_]:
        """Plane geometries back in lon/lat (EPSG:4490)."""
        return _apply(geoms, _transformers(self.crs)[1])

    def scale(self, easting: NDArray[np.float64]) -> NDArray[np.float64]:
        """Point scale factor at each easting (1 on an equal-area plane, which keeps areas but not lengths)."""
        if not self.gauss_kruger:
            return np.ones_like(easting)
        s2 = math.sin(math.radians(self.latitude)) ** 2
        radius = _A * math.sqrt(1 - _E2) / (1 - _E2 * s2)  # sqrt(M N)
        q = ((easting - _FALSE_EASTING) / radius) ** 2
        return 1 + q / 2 + q**2 / 24

    def area_m2(self, geoms: NDArray[np.object_]) -> NDArray[np.float64]:
        """Ellipsoidal area of plane (multi)polygons: plane area over k² at each one's centre."""
        if len(geoms) == 0:
            return np.zeros(0)
        k = self.scale(_centre_x(geoms))
        return np.asarray(shapely.area(geoms) / k**2, dtype=np.float64)

    def length_m(self, geoms: NDArray[np.object_]) -> NDArray[np.float64]:
        """Ellipsoidal length of plane geometries (perimeter for polygons): plane length over k."""
        if len(geoms) == 0:
            return np.zeros(0)
        return np.asarray(shapely.length(geoms) / self.scale(_centre_x(geoms)), dtype=np.float64)

    def distance_m(self, value: float, where: BaseGeometry) -> float:
        """A plane distance measured near ``where`` in metres on the ellipsoid."""
        return float(value / self.scale(_centre_x(np.array([where], dtype=object)))[0])


def _centre_x(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    bounds = shapely.bounds(geoms)
    return np.asarray((bounds[:, 0] + bounds[:, 2]) / 2, dtype=np.float64)


def _apply(geoms: NDArray[np.object_], transformer: Transformer) -> NDArray[np.object_]:
    def fn(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), fn), dtype=object)


def frame_for(geoms: NDArray[np.object_]) -> MetricFrame:
    """The plane for a run over these lon/lat geometries: the CGCS2000 3° Gauss-Krüger zone holding the centre
    of their box, or the Albers equal-area plane when they span more than 6° of longitude."""
    x1, y1, x2, y2 = shapely.total_bounds(np.asarray(geoms, dtype=object))
    latitude = (y1 + y2) / 2
    if x2 - x1 > _NATIONAL_SPAN_DEG:
        return MetricFrame(ALBERS, "CGCS2000 Albers equal-area (105°E; 25°N, 47°N)", False, latitude)
    zone = min(max(round((x1 + x2) / 2 / 3), 25), 45)  # EPSG:4534 (75°E) .. EPSG:4554 (135°E)
    return MetricFrame(f"EPSG:{4534 + zone - 25}", f"CGCS2000 / 3-degree Gauss-Kruger CM {3 * zone}E", True, latitude)
