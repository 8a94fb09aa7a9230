"""HTTP routes of place-name lookup (thin: parse, call the service)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from core.values import GeoPoint
from core.web import Db
from gazetteer import service

router = APIRouter(prefix="/api/v1", tags=["lookup"])


@router.get("/reverse")
def reverse(
    conn: Db,
    lon: Annotated[float, Query(description="longitude, or easting for EPSG:4545/4546")],
    lat: Annotated[float, Query(description="latitude, or northing for EPSG:4545/4546")],
    crs: Annotated[str, Query(description="EPSG:4490, EPSG:4326, EPSG:4545, EPSG:4546, GCJ-02 or BD-09")] = "EPSG:4326",
    as_of: Annotated[date | None, Query(description="date to answer for; today when omitted")] = None,
) -> dict[str, Any]:
    """The unit path at a point: containing polygons down to the deepest level, then the nearest unit points."""
    return service.reverse(conn, GeoPoint.from_input(lon, lat, crs), as_of=as_of)
