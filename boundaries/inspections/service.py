"""Joint inspections (联合检查): campaigns over lines, and what inspectors observe at markers and along lines —
the GNSS fix in any accepted CRS, its displacement (m) and bearing from the agreed position, and a classification
against the campaign's tolerance (domain logic; no web framework here)."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import shapely
from pyproj import Geod
from sqlalchemy.engine import Connection

from boundaries.inspections import photos as field_photos
from boundaries.inspections import queries as inspection_queries
from boundaries.inspections.models import MARKER_STATUSES
from boundaries.lines import queries as line_queries
from boundaries.lines.service import distance_to_line_m
from core import audit
from core.crs import STORAGE_CRS, parse_crs, transform_point
from core.errors import Conflict, InvalidInput, NotFound
from core.gauss_kruger import gauss_kruger_zone_for
from core.imports import has_control_characters
from core.values import GeoPoint

GRS80 = Geod(ellps="GRS80")
NO_BEARING_BELOW_M = 0.01  # a fix on the agreed position has no direction
VENDOR_OFFSET_MATCH_M = 5.0  # a displacement this close to the GCJ-02/BD-09 offset is that offset
MAX_FIX_FROM_LINE_M = 1000.0  # a fix further from the marker's line is not a displaced marker
MAX_TOLERANCE_M = 100.0
SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{8,100}")


def create_campaign(
    conn: Connection,
    *,
    title: str,
    line_ids: list[int],
    period_start: date,
    period_end: date,
    inspectors: list[str],
    tolerance_m: float = 5.0,
    actor: str,
) -> dict[str, Any]:
    """Open a campaign over lines; the parties are the units on either side of them."""
    if not title.strip() or len(title) > 300:
        raise InvalidInput(f"title {title!r} must be 1–300 characters")
    if not line_ids:
        raise InvalidInput("a campaign inspects at least one line")
    if period_end < period_start:
        raise InvalidInput(f"period ends ({period_end}) before it starts ({period_start})")
    if not 0 < tolerance_m <= MAX_TOLERANCE_M:
        raise InvalidInput(f"tolerance_m {tolerance_m} must be above 0 and at most {MAX_TOLERANCE_M:g} m")
    names = [name.strip() for name in inspectors]
    if not names or any(not n or has_control_characters(n) for n in names):
        raise InvalidInput("inspectors must name at least one person, each a non-blank single line")
    parties: set[str] = set()
    for line_id in sorted(set(line_ids)):
        line = line_queries.line(conn, line_id)
        if line is None:
            raise NotFound(f"no boundary line {line_id}")
        parties.update(c for c in (line["left_code"], line["right_code"]) if c)
    values = {
        "title": title.strip(),
        "line_ids": sorted(set(line_ids)),
        "parties": sorted(parties),
        "inspectors": names,
        "period_start": period_start,
        "period_end": period_end,
        "tolerance_m": float(tolerance_m),
        "created_by": actor,
    }
    campaign_id = inspection_queries.insert_campaign(conn, values)
    audit.record(
        conn, actor=actor, action="create", object_type="inspection_campaign", object_id=str(campaign_id), after=values
    )
    return get_campaign(conn, campaign_id)


def _require_campaign(conn: Connection, campaign_id: int) -> Any:
    row = inspection_queries.campaign(conn, campaign_id)
    if row is None:
        raise NotFound(f"no inspection campaign {campaign_id}")
    return row


def get_campaign(conn: Connection, campaign_id: int) -> dict[str, Any]:
    """A campaign with its observations."""
    row = _require_campaign(conn, campaign_id)
    photos: dict[str, list[dict[str, Any]]] = {}
    for photo in field_photos.campaign_photos(conn, campaign_id):
        photos.setdefault(photo["submission_id"], []).append(photo)
    return {
        **dict(row),
        "observations": [
            {**_observation_out(o), "photos": photos.get(o["submission_id"], [])}
            for o in inspection_queries.observations(conn, campaign_id)
        ],
    }


def _observation_out(row: Any) -> dict[str, Any]:
    """An observation as served: displacement in metres, its bearing from true north (geodesic azimuth) and from
    grid north (on the marker's CGCS2000 3-degree Gauss-Krueger zone), none for a fix on the agreed position, and
    a warning when the displacement is the GCJ-02 or BD-09 offset at that place (coordinates declared WGS84)."""
    out = dict(row)
    marker = (out.pop("marker_lon"), out.pop("marker_lat"))
    out.update(grid_bearing_deg=None, grid_crs=None, crs_warning=None)
    if out["displacement_m"] is None:
        return out
    if out["displacement_m"] < NO_BEARING_BELOW_M:
        out["bearing_deg"] = None
    else:
        out["bearing_deg"] = round(out["bearing_deg"], 1)
        out["grid_crs"], out["grid_bearing_deg"] = _grid_bearing(marker, (out["lon"], out["lat"]))
    out["crs_warning"] = _vendor_offset_warning(marker, (out["lon"], out["lat"]), out["fix_crs"])
    out["displacement_m"] = round(out["displacement_m"], 3)
    return out


def _grid_bearing(agreed: tuple[float, float], fix: tuple[float, float]) -> tuple[str | None, float | None]:
    """The bearing from grid north of the zone holding the agreed position (differs from the true bearing by the
    meridian convergence, up to about 1 degree across an Ordos zone); none outside the zones Ordos uses."""
    try:
        zone = gauss_kruger_zone_for(agreed[0])
    except InvalidInput:
        return None, None
    (e0, n0), (e1, n1) = (transform_point(lon, lat, STORAGE_CRS, zone) for lon, lat in (agreed, fix))
    return zone, round(math.degrees(math.atan2(e1 - e0, n1 - n0)) % 360.0, 1)


def _vendor_offset_warning(agreed: tuple[float, float], fix: tuple[float, float], crs: str) -> str | None:
    """A warning when a fix declared WGS84/CGCS2000 lies where the agreed position's GCJ-02 or BD-09 coordinates
    would (within ``VENDOR_OFFSET_MATCH_M``): a phone map app's coordinates sent as GNSS ones."""
    if crs not in ("EPSG:4326", "EPSG:4490"):
        return None
    for vendor in ("GCJ-02", "BD-09"):
        shifted = transform_point(*agreed, STORAGE_CRS, vendor)
        if GRS80.inv(*shifted, *fix)[2] <= VENDOR_OFFSET_MATCH_M:
            return (
                f"这些坐标像是按 WGS84 声明的 {vendor} 坐标 — these look like {vendor} coordinates declared as {crs}: "
                f"the displacement equals the {vendor} offset at this place; re-send the fix with crs {vendor}"
            )
    return None


def submit_observation(
    conn: Connection,
    campaign_id: int,
    *,
    submission_id: str,
    observed_on: date,
    marker_id: int | None = None,
    line_id: int | None = None,
    status: str | None = None,
    fix: tuple[float, float, str] | None = None,
    notes: str = "",
    actor: str,
) -> tuple[dict[str, Any], bool]:
    """Record an observation of a marker (status, optional GNSS fix) or of a line (notes); returns it and whether
    it is new. The same submission sent again returns the stored one; a different one under its id is refused."""
    campaign = _require_campaign(conn, campaign_id)
    if not SUBMISSION_ID.fullmatch(submission_id):
        raise InvalidInput(f"submission_id {submission_id!r} must be 8–100 letters, digits, '-' or '_'")
    if not campaign["period_start"] <= observed_on <= campaign["period_end"]:
        raise InvalidInput(
            f"observed_on {observed_on} is outside the campaign's period "
            f"{campaign['period_start']}..{campaign['period_end']}"
        )
    values = _observation_values(conn, campaign, marker_id, line_id, status, fix, notes)
    values.update(submission_id=submission_id, campaign_id=campaign_id, observed_on=observed_on, submitted_by=actor)
    observation_id = inspection_queries.insert_observation(conn, values)
    if observation_id is None:  # sent before (a retry after a lost answer, or the same report twice at once)
        stored = inspection_queries.observation_by_submission(conn, submission_id)
        assert stored is not None  # the insert found it
        compared = ("campaign_id", "line_id", "marker_id", "marker_status", "fix_x", "fix_y", "fix_crs", "notes")
        if all(stored[k] == values[k] for k in compared) and stored["observed_on"] == observed_on:
            return _observation_out(stored), False
        raise Conflict(f"submission {submission_id} was already used for a different observation ({stored['id']})")
    audit.record(
        conn,
        actor=actor,
        action="create",
        object_type="inspection_observation",
        object_id=str(observation_id),
        after={k: v for k, v in values.items() if k not in ("lon", "lat")},
    )
    row = inspection_queries.observation_by_submission(conn, submission_id)
    return _observation_out(row), True


def _observation_values(
    conn: Connection,
    campaign: Any,
    marker_id: int | None,
    line_id: int | None,
    status: str | None,
    fix: tuple[float, float, str] | None,
    notes: str,
) -> dict[str, Any]:
    notes = notes.strip()
    values: dict[str, Any] = {
        "marker_id": marker_id,
        "marker_status": status,
        "fix_x": None,
        "fix_y": None,
        "fix_crs": None,
        "displacement_m": None,
        "bearing_deg": None,
        "classification": None,
        "notes": notes,
        "lon": None,
        "lat": None,
    }
    if marker_id is None:
        if line_id is None or not notes:
            raise InvalidInput("observe a marker (marker_id and status) or a line (line_id and notes)")
        if line_id not in campaign["line_ids"]:
            raise InvalidInput(f"line {line_id} is not inspected by campaign {campaign['id']}")
        if status is not None or fix is not None:
            raise InvalidInput("a line observation has notes only: status and fix belong to a marker")
        return {**values, "line_id": line_id}
    marker = line_queries.marker(conn, marker_id)
    if marker is None:
        raise NotFound(f"no boundary marker {marker_id}")
    if marker["line_id"] not in campaign["line_ids"]:
        raise InvalidInput(f"marker {marker['number']} is on line {marker['line_key']}, not inspected by this campaign")
    if status not in MARKER_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(MARKER_STATUSES)}")
    values.update(line_id=marker["line_id"], classification="no_fix")
    if fix is None:
        return values
    x, y, crs = fix
    point = GeoPoint.from_input(x, y, crs)
    line = line_queries.line(conn, marker["line_id"])
    assert line is not None  # a marker's line is a foreign key
    off_line = distance_to_line_m(point.lon, point.lat, shapely.from_wkb(line["wkb"]))
    if off_line > MAX_FIX_FROM_LINE_M:
        raise InvalidInput(
            f"the fix ({x}, {y}) in {parse_crs(crs)} lies {off_line / 1000:,.1f} km from line {marker['line_key']} "
            f"of marker {marker['number']}: not a displacement — wrong marker, or coordinates in another CRS than "
            "stated (phones often give GCJ-02 or BD-09)?"
        )
    azimuth, _, distance = GRS80.inv(marker["lon"], marker["lat"], point.lon, point.lat)
    values.update(
        fix_x=x,
        fix_y=y,
        fix_crs=parse_crs(crs),
        lon=point.lon,
        lat=point.lat,
        displacement_m=float(distance),
        bearing_deg=float(azimuth) % 360.0,
        classification="in_place" if distance <= campaign["tolerance_m"] else "displaced",
    )
    return values
