"""In-process point locator over the registered polygons valid on a date (batch reverse geocoding).

The polygons valid on the date are read once, split into pieces of at most 256 vertices (ST_Subdivide) and kept in
a shapely STRtree; a cheap fingerprint of the polygon table is checked on every call and the index is rebuilt when
any polygon was added, changed or closed. The indexes of the two dates asked last are kept (today's and, say, the
date of a report being checked).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy.engine import Connection

from boundaries.polygons import queries

LEVEL_RANK = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}


@dataclass
class _Index:
    fingerprint: str
    day: date
    tree: shapely.STRtree
    piece_unit: np.ndarray  # piece index -> unit index
    unit_rank: np.ndarray  # unit index -> level rank
    units: list[dict[str, Any]] = field(default_factory=list)


class UnitLocator:
    """Finds, for many points at once, the deepest unit whose registered polygon contains each."""

    KEPT_DATES = 2

    def __init__(self) -> None:
        self._indexes: dict[date, _Index] = {}
        self._lock = threading.Lock()

    def _current(self, conn: Connection, day: date) -> _Index:
        fingerprint = queries.polygons_fingerprint(conn)
        index = self._indexes.get(day)
        if index is not None and index.fingerprint == fingerprint:
            return index
        with self._lock:
            rows = queries.registered_pieces(conn, day)
            units: dict[str, int] = {}
            unit_rows: list[dict[str, Any]] = []
            piece_unit = np.empty(len(rows), dtype=np.int64)
            for i, row in enumerate(rows):
                if row.code not in units:
                    units[row.code] = len(unit_rows)
                    unit_rows.append({"code": row.code, "name": row.name, "level": row.level, "kind": row.kind})
                piece_unit[i] = units[row.code]
            pieces = shapely.from_wkb([row.wkb for row in rows])
            index = _Index(
                fingerprint=fingerprint,
                day=day,
                tree=shapely.STRtree(pieces),
                piece_unit=piece_unit,
                unit_rank=np.array([LEVEL_RANK[u["level"]] for u in unit_rows], dtype=np.int64),
                units=unit_rows,
            )
            self._indexes.pop(day, None)
            self._indexes[day] = index
            while len(self._indexes) > self.KEPT_DATES:
                self._indexes.pop(next(iter(self._indexes)))
            return index

    def locate(
        self, conn: Connection, lons: np.ndarray, lats: np.ndarray, day: date
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """For each point (EPSG:4490) the index into the returned unit list of its deepest unit on ``day``, or -1."""
        index = self._current(conn, day)
        points = shapely.points(lons, lats)
        point_idx, piece_idx = index.tree.query(points, predicate="intersects")
        result = np.full(len(points), -1, dtype=np.int64)
        if len(point_idx):
            unit_idx = index.piece_unit[piece_idx]
            order = np.lexsort((index.unit_rank[unit_idx], point_idx))  # by point, then shallow → deep
            last_of_point = np.r_[point_idx[order][1:] != point_idx[order][:-1], True]
            result[point_idx[order][last_of_point]] = unit_idx[order][last_of_point]
        return result, index.units
