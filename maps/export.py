"""The viewer's export of what is on the map as CSV (``POST /maps/export.csv``): the features the page drew (the
same FeatureCollection its GeoJSON export saves), one row each, their properties as columns, and the position as
longitude and latitude in CGCS2000 (a point on the feature for a line or polygon), written by the service's one
CSV writer (UTF-8 with BOM for Excel, cells safe to open)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
import shapely.geometry
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from core.crs import STORAGE_CRS, transform_coords
from core.errors import InvalidInput
from core.exports import csv_text
from core.values import IsoDate

MAX_FEATURES = 200_000
MAX_PROPERTIES = 100
COORDINATE_COLUMNS = ("几何 geometry", "经度 lon (CGCS2000)", "纬度 lat (CGCS2000)")

Number = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]
Position = Annotated[list[Number], Field(min_length=2, max_length=3)]  # RFC 7946 §3.1.1: east, north[, height]
Value = StrictStr | StrictInt | StrictFloat | StrictBool | None


class _Geometry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(_Geometry):
    type: Literal["Point"]
    coordinates: Position


class MultiPoint(_Geometry):
    type: Literal["MultiPoint"]
    coordinates: list[Position]


class LineString(_Geometry):
    type: Literal["LineString"]
    coordinates: Annotated[list[Position], Field(min_length=2)]


class MultiLineString(_Geometry):
    type: Literal["MultiLineString"]
    coordinates: list[Annotated[list[Position], Field(min_length=2)]]


class Polygon(_Geometry):
    type: Literal["Polygon"]
    coordinates: list[Annotated[list[Position], Field(min_length=4)]]  # RFC 7946 §3.1.6: closed rings of 4+


class MultiPolygon(_Geometry):
    type: Literal["MultiPolygon"]
    coordinates: list[list[Annotated[list[Position], Field(min_length=4)]]]


Geometry = Annotated[
    Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon, Field(discriminator="type")
]


class Feature(BaseModel):
    """One drawn feature: its geometry as drawn and its properties as text or numbers (no nested objects)."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["Feature"]
    geometry: Geometry | None
    properties: Annotated[dict[Annotated[str, Field(max_length=200)], Value], Field(max_length=MAX_PROPERTIES)]


class DrawnMap(BaseModel):
    """What the viewer drew: features with coordinates in ``display_crs`` (GCJ-02 on the AMap basemap)."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["FeatureCollection"]
    display_crs: Literal["EPSG:4326", "EPSG:4490", "GCJ-02"] = "EPSG:4326"
    as_of: IsoDate | None = None
    features: Annotated[list[Feature], Field(max_length=MAX_FEATURES)]


def drawn_csv(drawn: DrawnMap) -> str:
    """The features as CSV: ``layer`` first, then every property in the order first met, then the geometry type
    and the longitude and latitude in CGCS2000 (the display CRS undone; a point on a line or polygon)."""
    columns: dict[str, None] = {"layer": None}
    for feature in drawn.features:
        columns.update(dict.fromkeys(feature.properties))
    header = [*columns, *COORDINATE_COLUMNS]
    found = [_point(f.geometry) for f in drawn.features]
    placed = [point for _, point in found if point is not None]
    lons, lats = transform_coords([p.x for p in placed], [p.y for p in placed], drawn.display_crs, STORAGE_CRS)
    where = iter(zip(lons.tolist(), lats.tolist(), strict=True))
    rows = []
    for feature, (kind, point) in zip(drawn.features, found, strict=True):
        position = [round(c, 6) for c in next(where)] if point is not None else [None, None]
        rows.append([feature.properties.get(c) for c in columns] + [kind, *position])
    return csv_text(header, rows)


def _point(geometry: Any) -> tuple[str | None, shapely.Point | None]:
    """The geometry type of a checked GeoJSON geometry and a point on it (the point itself for a point; none for
    no geometry or an empty one)."""
    if geometry is None:
        return None, None
    try:
        shape = shapely.geometry.shape(geometry.model_dump())
        return shape.geom_type, None if shape.is_empty else shapely.point_on_surface(shape)
    except (ValueError, TypeError, shapely.errors.GEOSException) as error:
        raise InvalidInput(f"a {geometry.type} geometry could not be read: {error}") from error
