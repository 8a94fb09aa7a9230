"""HTTP routes of the registry's files: bulk import of place names, the national exchange file (thin: parse,
call the service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response

from core.auth import Principal
from core.imports import TextEncoding
from core.web import Db, Imports, RequestBody, Router, require_role
from gazetteer.places import importer as place_import
from gazetteer.places.exchange import exchange_file

# Included by gazetteer.api's router (prefix /api/v1) ahead of its routes: /places/exchange before /places/{id}.
router = Router(tags=["lookup"])
Editor = Annotated[Principal, Depends(require_role("editor", "approver"))]


@router.post("/places/import")
def import_places(
    imports: Imports,
    caller: Editor,
    content: RequestBody,
    name: Annotated[
        str, Query(min_length=1, max_length=200, description="the file's name (places.csv, places.geojson)")
    ],
    crs: Annotated[str | None, Query(description="CRS of the coordinates (overrides the file's), e.g. GCJ-02")] = None,
    format: Annotated[
        Literal["csv", "geojson"] | None, Query(description="csv or geojson; from the name's ending when omitted")
    ] = None,
    encoding: Annotated[TextEncoding | None, Query(description="file encoding when not UTF-8 (default)")] = None,
    skip_invalid: Annotated[bool, Query(description="write the valid rows and list the rest")] = False,
) -> dict[str, Any]:
    """Import place names from the request body (CSV with name, category, unit, lon/lat or wkt, ...; or GeoJSON),
    all or nothing (the rejection report names row, field and value); re-importing the same file changes nothing."""
    return imports.run(
        place_import.import_places,
        content,
        name=name,
        fmt=format,
        crs=crs,
        encoding=encoding,
        skip_invalid=skip_invalid,
        actor=caller.name,
    )


@router.get(
    "/places/exchange",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def exchange(
    conn: Db,
    unit: Annotated[str, Query(description="NBS code of the unit to file (city, banner, township, village)")],
) -> Response:
    """The unit's place-name records in the record layout of the national place-name database (国家地名信息库):
    CSV, UTF-8 with BOM, national field names; non-public locations generalised."""
    filed = exchange_file(conn, unit)
    return Response(
        filed.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filed.filename}"'},
    )
