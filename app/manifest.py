"""Dataset manifests: a declarative TOML file naming the files to load, their CRS and columns."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from tqdm import tqdm

from boundaries import service as boundaries
from core.database import transaction
from core.errors import InvalidInput
from core.imports import ImportReport
from gazetteer import service as gazetteer

KINDS = ("divisions", "polygons", "points")
ALLOWED_KEYS: dict[str, set[str]] = {
    "divisions": {"path", "valid_from", "encoding"},
    "polygons": {"path", "crs", "source", "status", "valid_from", "code_field", "on_invalid", "layer"},
    "points": {
        "path",
        "source",
        "crs",
        "lon_column",
        "lat_column",
        "name_column",
        "id_column",
        "category_column",
        "code_column",
        "hint_code_column",
        "encoding",
    },
}


def read_manifest(path: Path) -> dict[str, Any]:
    """The parsed manifest; refuses unknown sections and keys."""
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"manifest {path}: {exc}") from None
    for kind, entries in manifest.items():
        if kind in ("name", "description"):
            continue
        if kind not in KINDS:
            raise InvalidInput(f"manifest {path}: unknown section [{kind}]; known: {', '.join(KINDS)}")
        for entry in entries:
            unknown = set(entry) - ALLOWED_KEYS[kind]
            if unknown or "path" not in entry:
                raise InvalidInput(
                    f"manifest {path}: [{kind}] entry {entry.get('path')!r} has unknown keys "
                    f"{sorted(unknown)} or no path"
                )
    return manifest


def load_manifest(
    engine: Engine,
    path: Path,
    data_root: Path,
    *,
    actor: str = "cli",
    progress: bool = True,
) -> list[ImportReport]:
    """Load every dataset of the manifest in order (divisions, polygons, points), each atomically."""
    manifest = read_manifest(path)
    steps: list[tuple[str, dict[str, Any]]] = [(kind, e) for kind in KINDS for e in manifest.get(kind, [])]
    for _, entry in steps:
        if not (data_root / entry["path"]).is_file():
            raise InvalidInput(f"manifest {path.name}: {entry['path']} not found under the data root {data_root}")
    loaders: dict[str, Callable[..., ImportReport]] = {
        "divisions": boundaries.import_divisions,
        "polygons": boundaries.import_polygons,
        "points": gazetteer.import_points,
    }
    reports = []
    for kind, entry in tqdm(steps, desc=f"loading {manifest.get('name', path.stem)}", disable=not progress):
        options = {
            k: (date.fromisoformat(v) if k == "valid_from" and isinstance(v, str) else v)
            for k, v in entry.items()
            if k != "path"
        }
        with transaction(engine) as conn:
            reports.append(loaders[kind](conn, data_root / entry["path"], actor=actor, **options))
    if manifest.get("divisions"):  # every unit is also a place name (after the points: they locate the units)
        with transaction(engine) as conn:
            gazetteer.sync_unit_names(conn, actor=actor)
    return reports
