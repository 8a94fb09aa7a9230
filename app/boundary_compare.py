"""Two-version boundary comparison with the places and facilities inside each disputed piece.

A thin composition on the top floor: boundaries computes and stores the pieces (it sits below the gazetteer and
the facilities and may not read them); here each piece is given the reference points and facilities that fall
inside it, read through those contexts' services, and they are stored with the comparison as found that day.
The API and the CLI (``gaz check compare``) both run a comparison through :func:`run_comparison`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import shapely
from fastapi import Depends, Query
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as compare
from boundaries.service import REGISTERED, CompareIn, ComparisonOut
from core.auth import Principal
from core.errors import InvalidInput
from core.web import Db, Router, require_role
from facilities import service as facilities
from gazetteer import service as gazetteer

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])


def contents_finder(conn: Connection) -> compare.ContentsFinder:
    """A function giving the reference points and facilities inside each of a list of pieces, as stored now."""

    def inside(pieces: Sequence[BaseGeometry]) -> list[dict[str, list[dict[str, Any]]]]:
        found: list[dict[str, list[dict[str, Any]]]] = [{"places": [], "facilities": []} for _ in pieces]
        if not pieces:
            return found
        # Every reference point is a candidate (points the importer could not match to a unit have no code).
        candidates = {
            "places": [
                {
                    "id": p["id"],
                    "name": p["name"],
                    "category": p["category"],
                    "source": p["source"],
                    "lon": p["lon"],
                    "lat": p["lat"],
                }
                for p in gazetteer.list_points(conn)
            ],
            "facilities": [
                {
                    "id": f["id"],
                    "name": f["name"],
                    "kind": f["kind"],
                    "status": f["status"],
                    "illustrative": f["illustrative"],
                    "lon": f["lon"],
                    "lat": f["lat"],
                }
                for f in facilities.list_facilities(conn)
            ],
        }
        for key, items in candidates.items():
            if not items:
                continue
            points = shapely.points([(i["lon"], i["lat"]) for i in items])
            piece, item = shapely.STRtree(points).query(list(pieces), predicate="contains")
            for k, i in sorted(zip(piece, item, strict=True)):
                found[int(k)][key].append(items[int(i)])
        return found

    return inside


def run_comparison(
    conn: Connection,
    *,
    parent: str | None = None,
    level: str | None = None,
    first: str = REGISTERED,
    second: str | None = None,
    unit: str | None = None,
    claim: dict[str, Any] | None = None,
    crs: str | None = None,
    label: str = "claim",
    tolerance_m2: float = 10_000.0,
    as_of: date | None = None,
    actor: str,
) -> dict[str, Any]:
    """Compare two sources for the units of ``level`` under ``parent``, or a claimed polygon of ``unit``
    (GeoJSON geometry in ``crs``) with the registered ones; store the pieces with the places and facilities
    inside them and return the comparison."""
    contents = contents_finder(conn)
    if claim is not None or unit is not None:
        if claim is None or unit is None or second is not None or parent is not None:
            raise InvalidInput("a claim needs unit, claim and crs (and no parent or second source)")
        return compare.compare_claim(
            conn,
            unit=unit,
            geometry=claim,
            crs=crs,
            label=label,
            tolerance_m2=tolerance_m2,
            as_of=as_of,
            actor=actor,
            contents=contents,
        )
    if parent is None or level is None or second is None:
        raise InvalidInput("compare two sources with parent, level and second (or a claim with unit and claim)")
    return compare.compare_sources(
        conn,
        parent=parent,
        level=level,
        first=first,
        second=second,
        tolerance_m2=tolerance_m2,
        as_of=as_of,
        actor=actor,
        contents=contents,
    )


@router.post("/compare", response_model=ComparisonOut, status_code=201)
def compare_versions(
    conn: Db,
    body: CompareIn,
    caller: Annotated[Principal, Depends(require_role("editor", "inspector", "approver"))],
) -> dict[str, Any]:
    """Compare two sources for the units of a level, or a claimed polygon with the registered ones; store it
    with the places and facilities inside each disputed piece."""
    return run_comparison(
        conn,
        parent=body.parent,
        level=body.level,
        first=body.first,
        second=body.second,
        unit=body.unit,
        claim=body.claim,
        crs=body.crs,
        label=body.label,
        tolerance_m2=body.tolerance_m2,
        as_of=body.as_of,
        actor=caller.name,
    )


@router.get("/comparisons")
def list_comparisons(conn: Db, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """The latest stored comparisons, newest first, with their disputed totals and any systematic offset."""
    return compare.list_comparisons(conn, limit)


@router.get("/comparisons/{comparison_id}", response_model=ComparisonOut)
def get_comparison(
    conn: Db, comparison_id: int, limit: Annotated[int, Query(ge=1, le=10_000)] = compare.PIECES_SHOWN
) -> dict[str, Any]:
    """A stored comparison with its largest disputed pieces and what was found inside them when it was made."""
    return compare.get_comparison(conn, comparison_id, limit=limit)


@router.get("/comparisons/{comparison_id}/pieces.geojson")
def get_pieces_geojson(conn: Db, comparison_id: int) -> dict[str, Any]:
    """All disputed pieces of a stored comparison as GeoJSON (lon/lat), largest first."""
    return compare.pieces_geojson(conn, comparison_id)
