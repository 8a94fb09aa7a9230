"""The browser assets every map page needs, served by the app itself (no CDN: the viewer works offline).

Leaflet and Leaflet.markercluster come from their XStatic packages on PyPI, installed with the project; the
viewer's own scripts (its glue, its vector tiles) and style sheet from maps/static; Swagger UI and ReDoc (the API
documentation pages) from the fastapi-offline package."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
import xstatic.pkg.leaflet as leaflet_pkg
import xstatic.pkg.leaflet_markercluster as markercluster_pkg

from core.errors import NotFound

ASSETS_URL = "/maps/assets"
PACKAGES: dict[str, Path] = {
    "leaflet": Path(leaflet_pkg.BASE_DIR),
    "markercluster": Path(markercluster_pkg.BASE_DIR),
    "viewer": Path(__file__).resolve().parent / "static",
    "docs": Path(fastapi_offline.__file__).resolve().parent / "static",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".map": "application/json"}

# What folium would otherwise load from CDNs, mapped to the served copies (only what the pages use).
MAP_JS = [
    ("leaflet", f"{ASSETS_URL}/leaflet/leaflet.js"),
    ("gaz_tiles", f"{ASSETS_URL}/viewer/vectortiles.js"),
    ("gaz_viewer", f"{ASSETS_URL}/viewer/viewer.js"),
]
MAP_CSS = [("leaflet_css", f"{ASSETS_URL}/leaflet/leaflet.css"), ("gaz_viewer_css", f"{ASSETS_URL}/viewer/viewer.css")]
CLUSTER_JS = [("markerclusterjs", f"{ASSETS_URL}/markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{ASSETS_URL}/markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{ASSETS_URL}/markercluster/MarkerCluster.Default.css"),
]


def asset_path(package: str, name: str) -> tuple[Path, str]:
    """The file of a served asset and its media type; NotFound for anything outside the packages' folders."""
    root = PACKAGES.get(package)
    if root is None:
        raise NotFound(f"no asset package {package!r}")
    path = (root / name).resolve()
    if not path.is_file() or not path.is_relative_to(root.resolve()) or path.suffix not in MEDIA_TYPES:
        raise NotFound(f"no asset {package}/{name}")
    return path, MEDIA_TYPES[path.suffix]
