"""SQL of division-change applications (the only place it lives)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

APPLICATION_COLUMNS = (
    "id, kind, title, county_code, touched_codes, effective_date, status, documents, relaxation_ground, note,"
    " approved_by, approving_body, document_number, approval_date, applied_by, applied_at, result, created_by,"
    " created_at, version"
)


def insert_application(conn: Connection, values: dict[str, Any], units: Sequence[dict[str, Any]]) -> int:
    """Write a draft application and its proposed units; returns its id."""
    application_id = int(
        conn.execute(
            text(
                "INSERT INTO division_application (kind, title, county_code, touched_codes, effective_date,"
                " documents, relaxation_ground, note, created_by) VALUES (:kind, :title, :county_code,"
                " :touched_codes, :effective_date, CAST(:documents AS jsonb), :relaxation_ground, :note, :created_by)"
                " RETURNING id"
            ),
            values,
        ).scalar_one()
    )
    conn.execute(
        text(
            "INSERT INTO division_proposed_unit (application_id, position, code, code_kept, name, kind, seat, figures,"
            " villages, geom) VALUES (:application_id, :position, :code, :code_kept, :name, :kind, :seat,"
            " CAST(:figures AS jsonb), :villages, ST_Multi(ST_GeomFromWKB(:wkb, 4490)))"
        ),
        [
            {
                **{k: u[k] for k in ("position", "code", "code_kept", "name", "kind", "seat", "figures", "villages")},
                "application_id": application_id,
                "wkb": None if u["geom"] is None else shapely.to_wkb(u["geom"]),
            }
            for u in units
        ],
    )
    return application_id


def application(conn: Connection, application_id: int, *, lock: bool = False) -> RowMapping | None:
    """One application (locked for the transaction when ``lock``)."""
    suffix = " FOR UPDATE" if lock else ""
    return (
        conn.execute(
            text(f"SELECT {APPLICATION_COLUMNS} FROM division_application WHERE id = :id{suffix}"),
            {"id": application_id},
        )
        .mappings()
        .first()
    )


def proposed_units(conn: Connection, application_id: int) -> list[RowMapping]:
    """The proposed units of an application in their order, the drawn polygon as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT position, code, code_kept, name, kind, seat, figures, villages, ST_AsBinary(geom) AS wkb"
                " FROM division_proposed_unit WHERE application_id = :id ORDER BY position"
            ),
            {"id": application_id},
        ).mappings()
    )


def applications(conn: Connection, status: str | None, code: str | None, limit: int) -> list[RowMapping]:
    """Applications by status and touched or proposed unit (its county too), newest first."""
    return list(
        conn.execute(
            text(
                f"SELECT {APPLICATION_COLUMNS} FROM division_application a"
                " WHERE (CAST(:status AS text) IS NULL OR status = :status) AND (CAST(:code AS text) IS NULL"
                "  OR county_code = :code OR :code = ANY(touched_codes) OR EXISTS (SELECT 1 FROM"
                "  division_proposed_unit p WHERE p.application_id = a.id AND p.code = :code))"
                " ORDER BY id DESC LIMIT :limit"
            ),
            {"status": status, "code": code, "limit": limit},
        ).mappings()
    )


def update_state(conn: Connection, application_id: int, version: int, values: dict[str, Any]) -> bool:
    """Write ``values`` (state and approval columns) if the stored version is ``version``; bumps the version."""
    allowed = ("status", "approved_by", "approving_body", "document_number", "approval_date", "applied_by", "result")
    columns = [c for c in values if c in allowed]
    sets = [f"{c} = :{c}" if c != "result" else "result = CAST(:result AS jsonb)" for c in columns]
    if values.get("status") == "applied":
        sets.append("applied_at = now()")
    done = conn.execute(
        text(
            f"UPDATE division_application SET {', '.join(sets)}, version = version + 1"
            " WHERE id = :id AND version = :version"
        ),
        {**{c: values[c] for c in columns}, "id": application_id, "version": version},
    )
    return done.rowcount == 1


def proposed_new_codes(conn: Connection, prefix: str) -> set[str]:
    """The new codes under a 9-digit-prefix county that applications not withdrawn propose (reserved: a code is
    given once)."""
    rows = conn.execute(
        text(
            "SELECT p.code FROM division_proposed_unit p JOIN division_application a ON a.id = p.application_id"
            " WHERE p.code LIKE :like AND NOT p.code_kept AND a.status <> 'withdrawn'"
        ),
        {"like": prefix + "%"},
    )
    return {r.code for r in rows}
