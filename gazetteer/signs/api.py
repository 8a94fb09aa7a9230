"""HTTP routes of the place-name signs (地名标志) (thin: parse, call gazetteer.signs)."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, with_config
from typing_extensions import TypedDict

from core.auth import Principal
from core.values import Coordinate, IsoDate
from core.web import AppSettings, Db, Imports, RequestBody, Router, principal, require_role
from gazetteer.signs import check as sign_check
from gazetteer.signs import service as signs

router = Router(prefix="/api/v1/signs", tags=["signs"])
Editor = Annotated[Principal, Depends(require_role("editor", "approver"))]
SignId = Annotated[int, Path(ge=1, le=2**63 - 1, description="id of the sign")]
CONDITIONS = "good, faded, damaged or missing"


class SignPoint(BaseModel):
    """Where the sign stands, east first in a named CRS (EPSG:4490/4326/4545/4546, GCJ-02, BD-09)."""

    lon: Coordinate
    lat: Coordinate
    crs: str = "EPSG:4326"


class SignIn(BaseModel):
    """A sign of the inventory."""

    inventory_no: str = Field(description="the office's inventory number of the sign")
    place_name_id: int = Field(description="id of the place-name record the sign names")
    printed_name: str = Field(description="the name as printed on the sign")
    printed_romanization: str | None = Field(default=None, description="the romanization as printed on the sign")
    condition: str = Field(description=CONDITIONS)
    installed_on: IsoDate | None = None
    notes: str | None = None
    point: SignPoint


@with_config(ConfigDict(extra="forbid"))
class SignChanges(TypedDict, total=False):
    """The fields of a sign to change, only those given (condition: good, faded, damaged or missing); text is JSON
    strings, ``null`` clears an optional one."""

    place_name_id: int
    printed_name: StrictStr
    printed_romanization: StrictStr | None
    condition: StrictStr
    installed_on: IsoDate | None
    notes: StrictStr | None


class SignUpdate(BaseModel):
    """Changes to a sign read at ``version``."""

    version: int
    changes: SignChanges = Field(default_factory=lambda: SignChanges())
    point: SignPoint | None = None


@router.post("", status_code=201)
def create_sign(conn: Db, body: SignIn, caller: Editor) -> dict[str, Any]:
    """Register a sign: inventory number, the place it names, the printed name and romanization, condition,
    install date and location (any accepted CRS; stored in EPSG:4490)."""
    values = body.model_dump(exclude={"point"})
    return signs.create_sign(
        conn, values=values, lon=body.point.lon, lat=body.point.lat, crs=body.point.crs, actor=caller.name
    )


@router.get("")
def list_signs(
    conn: Db,
    unit: Annotated[str | None, Query(description="only signs of places in this unit (NBS code, 2–12 digits)")] = None,
    place_name_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="only signs naming this place")] = None,
    condition: Annotated[str | None, Query(description=CONDITIONS)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The sign inventory in inventory-number order (a sign of a non-public place at its generalised location)."""
    return signs.list_signs(
        conn, unit=unit, place_name_id=place_name_id, condition=condition, limit=limit, offset=offset
    )


@router.post("/import")
def import_signs(
    imports: Imports,
    content: RequestBody,
    caller: Editor,
    crs: Annotated[str, Query(description="CRS of the lon/lat columns (EPSG:4490/4326/4545/4546, GCJ-02, BD-09)")],
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import signs from a CSV body (inventory_no, place_name_id, printed_name, condition, lon, lat; optional
    printed_romanization, installed_on, notes): all or nothing with the rejected rows listed; re-import unchanged."""
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / "signs.csv"
        path.write_bytes(content)
        return imports.run(signs.import_signs, path, crs=crs, skip_invalid=skip_invalid, actor=caller.name)


@router.get(
    "/check",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def check_signs(
    conn: Db,
    unit: Annotated[str | None, Query(description="only signs of places in this unit (NBS code, 2–12 digits)")] = None,
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv (one row per finding, UTF-8 BOM)")
    ] = "json",
) -> dict[str, Any] | Response:
    """Every sign whose printed name differs from the standard name or whose romanization breaks the rules
    (English words, missing apostrophe, case or word split, the derived pinyin of a name with an official Mongolian
    form…): each finding with its rule, severity, what the sign says and what it should say."""
    result = sign_check.check_signs(conn, unit=unit)
    if format == "csv":
        return Response(
            sign_check.check_csv(result).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="sign-check.csv"'},
        )
    return result


@router.get("/{sign_id}")
def get_sign(conn: Db, sign_id: SignId) -> dict[str, Any]:
    """One sign."""
    return signs.get_sign(conn, sign_id)


@router.patch("/{sign_id}")
def update_sign(conn: Db, sign_id: SignId, body: SignUpdate, caller: Editor) -> dict[str, Any]:
    """Change a sign at ``version`` (a stale version answers 409 and changes nothing)."""
    point = None if body.point is None else (body.point.lon, body.point.lat, body.point.crs)
    changes = dict(body.changes)
    return signs.update_sign(conn, sign_id, version=body.version, changes=changes, point=point, actor=caller.name)


@router.put("/{sign_id}/photo", status_code=201)
def put_photo(
    request: Request,
    conn: Db,
    content: RequestBody,
    sign_id: SignId,
    response: Response,
    caller: Editor,
    settings: AppSettings,
    version: Annotated[int, Query(description="the version of the sign you read")],
    name: Annotated[str, Query(max_length=200, description="the photo's file name")] = "",
) -> dict[str, Any]:
    """The sign's photo (body: JPEG or PNG bytes, checked by content; size limit GAZ_PHOTO_MAX_BYTES): 201 when
    stored, 200 when the same photo is there already; SHA-256 recorded, the file kept outside the database."""
    sign, changed = signs.set_photo(
        conn,
        sign_id,
        content,
        version=version,
        declared_type=request.headers.get("content-type", ""),
        original_name=name,
        photos=settings.photos,
        actor=caller.name,
    )
    if not changed:
        response.status_code = 200
    return sign


@router.get(
    "/{sign_id}/photo", response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}}
)
def get_photo(
    conn: Db, sign_id: SignId, caller: Annotated[Principal, Depends(principal)], settings: AppSettings
) -> FileResponse:
    """The sign's photo (that of a sign naming a non-public place needs an API key)."""
    path, media_type = signs.photo_file(conn, sign_id, with_key=not caller.is_public, photos=settings.photos)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=86400"})
