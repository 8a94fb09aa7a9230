"""Keys, roles and the audit trail: every write needs a key, every write is audited."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine, text

from app.main import create_app
from core import auth
from core.database import transaction
from core.settings import Settings
from tests.conftest import LiveServer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_ONLY_READS = {"/api/v1/audit"}
# POST routes that change nothing and serve the public viewer: the CSV of what the map drew (a conversion of the
# caller's own body). Open on purpose; every other write route needs a key.
OPEN_CONVERSIONS = {("POST", "/maps/export.csv")}
# A small square inside 康巴什区 (hand-made fixture, EPSG:4490 lon/lat).
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]],
}


def make_key(engine: Engine, name: str, role: str) -> dict[str, str]:
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, name, role)}


def write_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the app that changes something, from the app's own OpenAPI document
    (FastAPI includes routers lazily, so the route list is not a reliable inventory)."""
    paths = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops if method.upper() in WRITE_METHODS]


def test_the_app_has_write_routes_to_check() -> None:
    assert ("POST", "/api/v1/units/{code}/polygons") in write_routes()


def test_every_write_route_refuses_anonymous_requests(ordos_api: httpx.Client) -> None:
    """Enumerates the app's routes: a new write route without protection fails here."""
    for method, path in write_routes():
        concrete = re.sub(r"\{[^}]+\}", "150603", path)
        response = ordos_api.request(method, concrete, json={})
        if (method, path) in OPEN_CONVERSIONS:
            assert response.status_code == 422, f"{method} {path}: an empty body is refused, with or without a key"
            continue
        assert response.status_code == 401, f"{method} {path} answered {response.status_code} without a key"
        assert response.json()["code"] == "unauthorized"
    assert OPEN_CONVERSIONS <= set(write_routes())
    for path in ADMIN_ONLY_READS:
        assert ordos_api.get(path).status_code == 401


def test_unknown_or_revoked_key_is_401(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = make_key(ordos_engine, "gone", "editor")
    assert api.get("/api/v1/audit", headers={"X-API-Key": "gaz_not-a-key"}).status_code == 401
    with transaction(ordos_engine) as conn:
        auth.revoke_user(conn, "gone")
    response = api.post("/api/v1/units/150603/polygons", headers=headers, json={})
    assert response.status_code == 401


def test_keys_are_stored_hashed(ordos_engine: Engine) -> None:
    key = make_key(ordos_engine, "hashed", "editor")["X-API-Key"]
    with ordos_engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_user WHERE name = 'hashed'")).scalar_one()
    assert key not in stored and stored == auth.hash_key(key)


def polygon_body(status: str, source: str = "field-survey-2026", valid_from: str = "2026-01-01") -> dict:
    return {"geometry": SQUARE, "crs": "EPSG:4490", "source": source, "status": status, "valid_from": valid_from}


def test_roles_on_the_polygon_route(api: httpx.Client, ordos_engine: Engine) -> None:
    inspector = make_key(ordos_engine, "insp", "inspector")
    editor = make_key(ordos_engine, "ed", "editor")
    approver = make_key(ordos_engine, "appr", "approver")
    url = "/api/v1/units/150603/polygons"
    assert api.post(url, headers=inspector, json=polygon_body("draft")).status_code == 403
    assert api.post(url, headers=editor, json=polygon_body("registered")).status_code == 403
    created = api.post(url, headers=editor, json=polygon_body("draft"))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    registered = api.post(url, headers=approver, json=polygon_body("registered", "survey-2026", "2026-06-01"))
    assert registered.status_code == 201, registered.text
    # The new registered polygon replaced the AMap one from its date; before it, AMap still answers.
    assert api.get("/api/v1/units/150603").json()["polygon"]["source"] == "survey-2026"
    old = api.get("/api/v1/units/150603", params={"as_of": "2025-01-01"}).json()["polygon"]
    assert old["source"] == "amap-2020" and old["valid_to"] == "2026-06-01"


def test_each_write_leaves_one_audit_row_in_the_same_transaction(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = make_key(ordos_engine, "ed", "editor")
    admin = make_key(ordos_engine, "root", "admin")
    before = api.get("/api/v1/audit", headers=admin, params={"object_type": "unit_polygon", "limit": 1000}).json()
    assert api.post("/api/v1/units/150603/polygons", headers=editor, json=polygon_body("claimed")).status_code == 201
    # A refused write (self-intersecting ring) leaves nothing, neither polygon nor audit row.
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[109.77, 39.60], [109.79, 39.62], [109.79, 39.60], [109.77, 39.62], [109.77, 39.60]]],
    }
    bad = api.post(
        "/api/v1/units/150603/polygons", headers=editor, json={**polygon_body("draft", "x"), "geometry": bowtie}
    )
    assert bad.status_code == 422 and "Self-intersection" in bad.json()["detail"]
    after = api.get("/api/v1/audit", headers=admin, params={"object_type": "unit_polygon", "limit": 1000}).json()
    assert len(after) == len(before) + 1
    entry = after[0]
    assert entry["actor"] == "ed" and entry["action"] == "create" and entry["after"]["status"] == "claimed"
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unit_polygon WHERE source = 'x'")).scalar_one() == 0


def test_audit_needs_admin(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = make_key(ordos_engine, "ed", "editor")
    assert api.get("/api/v1/audit", headers=editor).status_code == 403
    bearer = {"Authorization": "Bearer " + make_key(ordos_engine, "root", "admin")["X-API-Key"]}
    assert api.get("/api/v1/audit", headers=bearer).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"crs": "EPSG:3857"}, 422, "EPSG:3857"),
        ({"geometry": {"type": "Point", "coordinates": [109.78, 39.61]}}, 422, "Point"),
        ({"geometry": {"type": "Polygon", "coordinates": []}}, 422, "empty"),
        ({"geometry": {"type": "Polygon", "coordinates": "nonsense"}}, 422, "GeoJSON"),
        ({"crs": "EPSG:4545"}, 422, "outside China"),
        ({"status": "approved"}, 422, "approved"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[109.77, 39.6], [109.79, 39.6], [109.79, 39.62], [109.77, 39.62]]],
                }
            },
            422,
            "not closed",
        ),
        ({"valid_from": "2026-02-30"}, 422, "2026-02-30"),
    ],
)
def test_bad_polygon_bodies(api: httpx.Client, ordos_engine: Engine, change: dict, status: int, needle: str) -> None:
    editor = make_key(ordos_engine, "ed", "editor")
    response = api.post("/api/v1/units/150603/polygons", headers=editor, json={**polygon_body("draft"), **change})
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]


def test_duplicate_polygon_version_is_409(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = make_key(ordos_engine, "ed", "editor")
    url = "/api/v1/units/150603/polygons"
    assert api.post(url, headers=editor, json=polygon_body("draft")).status_code == 201
    again = api.post(url, headers=editor, json=polygon_body("draft"))
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_rotated_key_replaces_the_old_one(api: httpx.Client, ordos_engine: Engine) -> None:
    old = make_key(ordos_engine, "root", "admin")
    with transaction(ordos_engine) as conn:
        new = {"X-API-Key": auth.rotate_key(conn, "root")}
    assert api.get("/api/v1/audit", headers=old).status_code == 401
    assert api.get("/api/v1/audit", headers=new).status_code == 200


def test_failed_authentication_is_rate_limited(api: httpx.Client, ordos_engine: Engine) -> None:
    """After 10 wrong keys in a minute the client gets 429, even with a right key, until the window passes."""
    good = make_key(ordos_engine, "root", "admin")
    for _ in range(10):
        wrong = api.get("/api/v1/audit", headers={"X-API-Key": "gaz_wrong"})
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    refused = api.get("/api/v1/audit", headers=good)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
    # Retry-After (RFC 9110, seconds): when the oldest failure leaves the one-minute window; the body says the same
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["retry_after_s"] == int(refused.headers["Retry-After"])
    assert api.get("/api/v1/units/150603").status_code == 200  # anonymous reads are not affected


def test_last_use_of_a_key_is_noted_at_most_once_a_minute(api: httpx.Client, ordos_engine: Engine) -> None:
    """A successful authentication notes when the key was used, but writes the row again only a minute later."""
    admin = make_key(ordos_engine, "root", "admin")
    make_key(ordos_engine, "idle", "editor")

    def last_used() -> dict[str, datetime | None]:
        with ordos_engine.connect() as conn:
            return {r.name: r.last_used_at for r in conn.execute(text("SELECT name, last_used_at FROM api_user"))}

    assert last_used() == {"root": None, "idle": None}
    assert api.get("/api/v1/audit", headers=admin).status_code == 200
    first = last_used()["root"]
    assert first is not None and last_used()["idle"] is None
    assert api.get("/api/v1/audit", headers=admin).status_code == 200
    assert last_used()["root"] == first  # within the minute: not written again
    with transaction(ordos_engine) as conn:
        conn.execute(text("UPDATE api_user SET last_used_at = now() - interval '2 minutes' WHERE name = 'root'"))
    stale = last_used()["root"]
    assert api.get("/api/v1/audit", headers=admin).status_code == 200
    assert stale is not None and (last_used()["root"] or stale) > stale
    assert api.get("/api/v1/audit", headers={"X-API-Key": "gaz_wrong"}).status_code == 401
    assert last_used()["idle"] is None


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/units/150603", {"GET"}),
        ("DELETE", "/api/v1/facilities", {"GET", "POST"}),  # two routes on one path: both methods named
        ("POST", "/health", {"GET"}),
    ],
)
def test_method_not_allowed_names_the_allowed_methods(
    ordos_api: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    """405 carries Allow (RFC 9110 requires it) with every method the path answers, in the one error format."""
    response = ordos_api.request(method, path)
    assert response.status_code == 405 and response.json()["code"] == "http_error"
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_oversized_body_is_413_and_writes_nothing(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = make_key(ordos_engine, "ed", "editor")
    huge = {**polygon_body("draft"), "source": "x" * (51 * 1024 * 1024)}
    response = api.post("/api/v1/units/150603/polygons", headers=editor, json=huge)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    chunks = (b"x" * 1024 * 1024 for _ in range(60))  # streamed, no Content-Length
    streamed = api.post(
        "/api/v1/units/150603/polygons", headers={**editor, "content-type": "application/json"}, content=chunks
    )
    assert streamed.status_code == 413
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unit_polygon WHERE source = 'x'")).scalar_one() == 0


def test_a_forged_forwarded_for_neither_locks_out_nor_evades(api: httpx.Client, ordos_engine: Engine) -> None:
    """Without trusted proxies (the default) X-Forwarded-For is not believed: failures sent under a forged address
    count against the sender's own, so rotating the header does not evade the limit, and they lock out nobody at
    the forged address (the sender's own requests are the ones refused)."""
    for n in range(10):
        forged = {"X-API-Key": "gaz_wrong", "X-Forwarded-For": f"203.0.113.{n}"}
        assert api.get("/api/v1/audit", headers=forged).status_code == 401
    rotated = api.get("/api/v1/audit", headers={"X-API-Key": "gaz_wrong", "X-Forwarded-For": "203.0.113.99"})
    assert rotated.status_code == 429 and "127.0.0.1" in rotated.json()["detail"]


def test_behind_a_trusted_proxy_one_client_cannot_lock_out_another(ordos_engine: Engine) -> None:
    """GAZ_TRUSTED_PROXIES names the proxy (here the loopback): the address is the one it appends. An attacker
    who also forges an address in front of it (nginx's $proxy_add_x_forwarded_for keeps it) is counted under their
    own; after 10 failures they get 429 and the user at the forged address still gets in with their key."""
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, Settings(database_url=url, pool_size=4, trusted_proxies=["127.0.0.1"])) as api:
        good = {**make_key(ordos_engine, "victim", "admin"), "X-Forwarded-For": "203.0.113.7"}
        attack = {"X-API-Key": "gaz_wrong", "X-Forwarded-For": "203.0.113.7, 198.51.100.9"}
        for _ in range(10):
            assert api.get("/api/v1/audit", headers=attack).status_code == 401
        refused = api.get("/api/v1/audit", headers=attack)
        assert refused.status_code == 429 and "198.51.100.9" in refused.json()["detail"]
        assert api.get("/api/v1/audit", headers=good).status_code == 200
