"""The collections the OGC API serves: descriptors the contexts publish through their services.

A context publishes a collection as a dict (contexts sit below this package and cannot import it):

* ``id``, ``title``, ``description``;
* ``sql``: a SELECT yielding ``id``, ``geom`` (EPSG:4490, may be NULL) and the published properties;
  ``params``: its bound parameters (names unique to the context, never ``ogc_*``);
* ``properties``: published property name -> type (``string``, ``integer``, ``number``, ``boolean``, ``date``);
* ``temporal``: whether the SELECT yields ``valid_from``/``valid_to`` (a ``[from, to)`` validity);
* ``geometry_type``: ``polygon``, ``point``, ``line`` or ``geometry`` (mixed);
* ``id_type``: ``integer`` or ``string``;
* ``minzoom`` (optional, default 0): the first zoom of its vector tiles (a large point layer such as the villages
  is of no use, and heavy, on the tiles of a whole country);
* ``parts`` (optional): disjoint SELECTs whose UNION ALL is ``sql``. A page (ORDER BY id LIMIT) is then taken
  from each part before the union, so that each part's own indexes serve it instead of a sort of the whole union.

The SELECT is responsible for what may be published: a record with a secrecy level must already
yield the generalised geometry the owning context gives (see each context's published SELECT).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries_service
from core.errors import NotFound
from facilities import service as facilities_service
from gazetteer import service as gazetteer_service

PROPERTY_TYPES = ("string", "integer", "number", "boolean", "date")
GEOMETRY_TYPES = ("polygon", "point", "line", "geometry")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Collection:
    """A published collection: metadata, the base SELECT and its declared properties."""

    id: str
    title: str
    description: str
    sql: str
    properties: Mapping[str, str]
    temporal: bool = False
    geometry_type: str = "geometry"
    id_type: str = "integer"
    params: Mapping[str, Any] = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    minzoom: int = 0

    @classmethod
    def from_published(cls, raw: Mapping[str, Any]) -> Collection:
        """Check a context's descriptor (names are identifiers, types known) and freeze it."""
        properties = dict(raw["properties"])
        for name, kind in properties.items():
            if not _IDENTIFIER.match(name) or kind not in PROPERTY_TYPES:
                raise ValueError(f"collection {raw['id']}: property {name!r} of type {kind!r} cannot be published")
        if raw.get("geometry_type", "geometry") not in GEOMETRY_TYPES:
            raise ValueError(f"collection {raw['id']}: unknown geometry type {raw.get('geometry_type')!r}")
        if any(name.startswith("ogc_") for name in raw.get("params", {})):
            raise ValueError(f"collection {raw['id']}: parameter names ogc_* are reserved")
        return cls(
            id=raw["id"],
            title=raw["title"],
            description=raw["description"],
            sql=raw["sql"],
            properties=properties,
            temporal=bool(raw.get("temporal", False)),
            geometry_type=raw.get("geometry_type", "geometry"),
            id_type=raw.get("id_type", "integer"),
            params=dict(raw.get("params", {})),
            parts=tuple(raw.get("parts", ())),
            minzoom=int(raw.get("minzoom", 0)),
        )


# The contexts' descriptors are constants except which polygon sources exist: asking for them costs a table scan
# (~3 ms) on every request, so the registry of each database is kept for a few seconds.
REGISTRY_TTL_S = 5.0
_registry: dict[str, tuple[float, dict[str, Collection]]] = {}
_registry_lock = threading.Lock()


def published(conn: Connection) -> dict[str, Collection]:
    """Every collection the contexts publish, by id, in the order they publish them (at most 5 s old)."""
    key = conn.engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    with _registry_lock:
        cached = _registry.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    collections = _collect(conn)
    with _registry_lock:
        _registry[key] = (now + REGISTRY_TTL_S, collections)
    return collections


def _collect(conn: Connection) -> dict[str, Collection]:
    raw = [
        *gazetteer_service.published_collections(conn),
        *boundaries_service.published_collections(conn),
        *facilities_service.published_collections(conn),
    ]
    return {c.id: c for c in (Collection.from_published(r) for r in raw)}


def require(conn: Connection, collection_id: str) -> Collection:
    """The collection with this id, or NotFound listing the ids there are."""
    collections = published(conn)
    if collection_id not in collections:
        raise NotFound(
            f"no collection {collection_id!r}; collections: {', '.join(collections)}",
            extra={"collection": collection_id},
        )
    return collections[collection_id]
