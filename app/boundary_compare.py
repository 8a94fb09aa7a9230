"""Two-version boundary comparison with the places and facilities inside each disputed piece.

A thin composition on the top floor: boundaries computes and stores the pieces (it sits below the gazetteer and
the facilities and may not read them); here each piece is given the reference points and facilities that fall
inside it, read through those contexts' services.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query
from shapely.geometry import shape
from sqlalchemy.engine import Connection

from boundaries import compare
from boundaries.check_schemas import CompareIn, ComparisonOut
from core.auth import Principal
from core.errors import InvalidInput
from core.values import significant_code
from core.web import Db, require_role
from facilities import service as facilities
from gazetteer import service as gazetteer

router = APIRouter(prefix="/api/v1/boundaries", tags=["boundaries"])


def with_places(conn: Connection, comparison: dict[str, Any]) -> dict[str, Any]:
    """Add to each disputed piece the reference points and facilities inside it."""
    pieces = comparison["pieces"]
    for piece in pieces:
        piece["places"], piece["facilities"] = [], []
    if not pieces:
        return comparison
    prefix = significant_code(comparison["parent"]["code"]) if comparison["parent"] else ""
    # Every reference point is a candidate (points the importer could not match to a unit have no code).
    shapes = np.array([shape(p["geometry"]) for p in pieces], dtype=object)
    candidates = {
        "places": [
            {"name": p["name"], "category": p["category"], "source": p["source"], "lon": p["lon"], "lat": p["lat"]}
            for p in gazetteer.list_points(conn)
        ],
        "facilities": [
            {"id": f["id"], "name": f["name"], "kind": f["kind"], "lon": f["lon"], "lat": f["lat"]}
            for f in facilities.list_facilities(conn, unit=prefix or None)
        ],
    }
    for key, items in candidates.items():
        if not items:
            continue
        points = shapely.points([(i["lon"], i["lat"]) for i in items])
        item, piece = shapely.STRtree(points).query(shapes, predicate="contains")
        for i, k in zip(item, piece, strict=True):
            pieces[int(i)][key].append(items[int(k)])
    return comparison


@router.post("/compare", response_model=ComparisonOut, status_code=201)
def compare_versions(
    conn: Db,
    body: CompareIn,
    caller: Annotated[Principal, Depends(require_role("editor", "inspector", "approver"))],
) -> dict[str, Any]:
    """Compare two sources for the units of a level, or a claimed polygon with the registered ones; store it."""
    if body.claim is not None or body.unit is not None:
        if body.claim is None or body.unit is None or body.second is not None or body.parent is not None:
            raise InvalidInput("a claim needs unit, claim and crs (and no parent or second source)")
        result = compare.compare_claim(
            conn,
            unit=body.unit,
            geometry=body.claim,
            crs=body.crs,
            label=body.label,
            tolerance_m2=body.tolerance_m2,
            as_of=body.as_of,
            actor=caller.name,
        )
    else:
        if body.parent is None or body.level is None or body.second is None:
            raise InvalidInput("compare two sources with parent, level and second (or a claim with unit and claim)")
        result = compare.compare_sources(
            conn,
            parent=body.parent,
            level=body.level,
            first=body.first,
            second=body.second,
            tolerance_m2=body.tolerance_m2,
            as_of=body.as_of,
            actor=caller.name,
        )
    return with_places(conn, result)


@router.get("/comparisons/{comparison_id}", response_model=ComparisonOut)
def get_comparison(
    conn: Db, comparison_id: int, limit: Annotated[int, Query(ge=1, le=10_000)] = compare.PIECES_SHOWN
) -> dict[str, Any]:
    """A stored comparison with its largest disputed pieces and what lies inside them."""
    return with_places(conn, compare.get_comparison(conn, comparison_id, limit=limit))
