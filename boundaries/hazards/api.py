"""HTTP routes of the imported hazard layers (thin: parse, call the service). The screening's own route lives in
app/boundary_hazards.py (it reads the places and facilities near each section)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query

from boundaries.hazards import layers
from boundaries.hazards.schemas import HazardLayerOut
from core.auth import Principal
from core.web import Db, Imports, RequestBody, Router, require_role

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])
Editor = Annotated[Principal, Depends(require_role("editor"))]


@router.post("/hazard-layers/import")
def import_hazard_layer(
    imports: Imports,
    content: RequestBody,
    caller: Editor,
    name: Annotated[str, Query(min_length=1, max_length=100, description="layer name (a re-import replaces it)")],
    kind: Annotated[str, Query(description="mining, construction_permit or other")],
    format: Annotated[
        Literal["geojson", "gpkg", "shp"], Query(description="geojson, gpkg, or shp (a zipped Shapefile)")
    ] = "geojson",
    crs: Annotated[str | None, Query(description="CRS of the coordinates; overrides the file's")] = None,
    on_invalid: Annotated[Literal["refuse", "repair"], Query(description="refuse or repair invalid polygons")] = (
        "refuse"
    ),
    skip_invalid: Annotated[bool, Query(description="write the valid polygons, list the rest")] = False,
) -> dict[str, Any]:
    """Import a polygon layer of hazards (the file as the body) under its name and kind, all or nothing (unless
    skip_invalid)."""
    return imports.run(
        layers.import_hazard_layer_content,
        content,
        layer=name,
        kind=kind,
        file_format=format,
        crs=crs,
        on_invalid=on_invalid,
        skip_invalid=skip_invalid,
        actor=caller.name,
    )


@router.get("/hazard-layers", response_model=list[HazardLayerOut])
def list_hazard_layers(conn: Db) -> list[dict[str, Any]]:
    """The imported hazard layers: name, kind, file, CRS, polygons and their area, who imported them and when."""
    return layers.list_hazard_layers(conn)


@router.delete("/hazard-layers/{name}", response_model=HazardLayerOut)
def delete_hazard_layer(
    conn: Db, caller: Editor, name: Annotated[str, Path(description="the layer's name")]
) -> dict[str, Any]:
    """Delete a hazard layer and its polygons (audited); answers the layer as it was."""
    return layers.delete_hazard_layer(conn, name, actor=caller.name)
