"""The viewer's export of what is on the map as CSV (``POST /maps/export.csv``): the features the page drew (the
same FeatureCollection its GeoJSON export saves), one row each, their properties as columns, and the position as
longitude and latitude in CGCS2000 (a point on the feature for a line or polygon), written by the service's one
CSV writer (UTF-8 with BOM for Excel, cells safe to open)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from core.crs import STORAGE_CRS, transform_coords
from core.errors import InvalidInput
from core.exports import csv_text
from core.geojson import geometry as read_geometry
from core.values import IsoDate

MAX_FEATURES = 200_000
MAX_PROPERTIES = 100
COORDINATE_COLUMNS = ("几何 geometry", "经度 lon (CGCS2000)", "纬度 lat (CGCS2000)")

Value = StrictStr | StrictInt | StrictFloat | StrictBool | None


class Feature(BaseModel):
    """One drawn feature: its geometry as drawn (read by core.geojson) and its properties as text or numbers (no
    nested objects)."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["Feature"]
    geometry: Annotated[dict[str, Any] | None, Field(description="a GeoJSON geometry (RFC 7946 section 3.1)")]
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
    found = [_point(f.geometry, f"feature {n}") for n, f in enumerate(drawn.features)]
    placed = [point for _, point in found if point is not None]
    lons, lats = transform_coords([p.x for p in placed], [p.y for p in placed], drawn.display_crs, STORAGE_CRS)
    where = iter(zip(lons.tolist(), lats.tolist(), strict=True))
    rows = []
    for feature, (kind, point) in zip(drawn.features, found, strict=True):
        position = [round(c, 6) for c in next(where)] if point is not None else [None, None]
        rows.append([feature.properties.get(c) for c in columns] + [kind, *position])
    return csv_text(header, rows)


def _point(geometry: dict[str, Any] | None, name: str) -> tuple[str | None, shapely.Point | None]:
    """The geometry type of a GeoJSON geometry (read and checked by core.geojson) and a point on it (the point
    itself for a point; none for no geometry or an empty one)."""
    if geometry is None:
        return None, None
    shape = read_geometry(geometry, name)
    try:
        return shape.geom_type, None if shape.is_empty else shapely.point_on_surface(shape)
    except shapely.errors.GEOSException as error:
        raise InvalidInput(f"{name}: no point could be found on the {shape.geom_type}: {error}") from error
