"""The application: ``create_app(settings)`` mounts every router; no work happens at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from app.boundary_compare import router as boundary_compare_router
from app.boundary_hazards import router as boundary_hazards_router
from app.docs import router as docs_router
from boundaries import service as boundaries_service
from boundaries.checks.api import router as checks_router
from boundaries.disputes.api import router as disputes_router
from boundaries.hazards.api import router as hazard_layers_router
from boundaries.inspections.api import field_router
from boundaries.inspections.api import router as inspections_router
from boundaries.lines.api import router as lines_router
from boundaries.polygons.api import batch_router
from boundaries.polygons.api import router as polygons_router
from boundaries.service import UnitLocator
from boundaries.units.api import router as units_router
from core import audit
from core.auth import FailedAuthLimiter, Principal
from core.conditional import ConditionalGet, settings_digest
from core.database import postgis_version
from core.heap import freeze_at_startup
from core.http_errors import install_error_handlers
from core.import_runner import ImportRunner
from core.lru import LRU
from core.middleware import BodySizeLimit, JsonBodyCheck, QueryStringCheck
from core.security_headers import SecurityHeaders
from core.settings import Settings, install
from core.web import (
    Db,
    ReadEngines,
    Route,
    connection_slots,
    request_engine,
    require_role,
)
from divisions.api import router as divisions_router
from facilities.api import router as facilities_router
from gazetteer import service as gazetteer_service
from gazetteer.book.api import router as gazetteer_book_router
from gazetteer.places.api import router as lookup_router
from gazetteer.service import warm_up
from gazetteer.signs.api import router as signs_router
from maps.api import router as maps_router
from maps.print_api import router as print_map_router
from ogc.api import router as ogc_router
from ogc.api import tiles_router
from ogc.service import COUNTS_KEPT


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when omitted)."""
    settings = install(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = request_engine(settings)
        app.state.connection_slots, app.state.auth_slots = connection_slots(settings.pool_size)
        app.state.read_engines = None
        app.state.import_turns = asyncio.Semaphore(settings.concurrent_imports)
        app.state.imports = ImportRunner(settings)
        warm_up()
        freeze_at_startup()  # the libraries and tables loaded so far live as long as the worker (core.heap)
        if settings.replica_urls:
            replicas = [request_engine(settings, url) for url in settings.replica_urls]
            app.state.read_engines = ReadEngines(replicas, app.state.engine)
        yield
        if app.state.read_engines is not None:
            app.state.read_engines.dispose()
        app.state.imports.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Ordos place names, boundaries and facilities",
        version="0.1.0",
        lifespan=lifespan,
        description="Standard place names, administrative units and boundaries of Ordos City (CGCS2000).",
        docs_url=None,  # app/docs.py serves /docs and /redoc with their bundles from the app (no CDN)
        redoc_url=None,
    )
    app.router.route_class = Route  # the app's own routes (below) too
    app.state.settings = settings
    app.state.settings_digest = settings_digest(settings)
    app.state.auth_limiter = FailedAuthLimiter(settings.auth_failures_per_minute)
    app.state.unit_locator = UnitLocator()
    app.state.tile_cache = LRU[str, bytes](settings.maps.tile_cache_mb * 1024 * 1024, weight=len)  # ogc.api
    app.state.ogc_counts = LRU[tuple[str, ...], int](COUNTS_KEPT)  # ogc.service.number_matched
    install_error_handlers(app)
    app.add_middleware(JsonBodyCheck)  # inside the size limit: only a body within it is read and checked
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(QueryStringCheck)
    app.add_middleware(ConditionalGet)  # inside CORS and the security headers: a 304 gets theirs too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
        )
    app.add_middleware(SecurityHeaders)  # around every other middleware, so every response gets its headers
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # outermost: compresses the page the headers finished
    # A request is matched against the routers in this order (core.web.Router): the busiest reads first, the OGC
    # items and features, the name search and lookup, the tiles and units.
    for router in (
        ogc_router,
        lookup_router,
        tiles_router,
        units_router,
        polygons_router,
        batch_router,
        divisions_router,
        checks_router,
        lines_router,
        disputes_router,
        inspections_router,
        boundary_compare_router,
        boundary_hazards_router,
        hazard_layers_router,
        field_router,
        signs_router,
        gazetteer_book_router,
        facilities_router,
        maps_router,
        print_map_router,
        docs_router,
    ):
        app.include_router(router)

    @app.get("/health", tags=["service"])
    def health(conn: Db) -> dict[str, Any]:
        """Liveness for monitors and load balancers: the database answers, with its PostGIS version."""
        return {"status": "ok", "postgis": postgis_version(conn)}

    @app.get("/api/v1/stats", tags=["service"])
    def stats(conn: Db) -> dict[str, Any]:
        """Counts of the loaded data: today's units by level, polygons by status, reference points (exact counts,
        which scan the tables: about 0.4 s at national scale, so not part of /health)."""
        counts = boundaries_service.data_counts(conn)
        counts["reference_points"] = gazetteer_service.point_count(conn)
        return {"counts": counts}

    @app.get("/api/v1/audit", tags=["service"])
    def audit_log(
        conn: Db,
        caller: Annotated[Principal, Depends(require_role("admin"))],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        object_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """The latest audit entries (admin only)."""
        return audit.recent(conn, limit, object_type)

    return app
