"""Concurrent editors of one record through the API: optimistic versions, no lost update, one audit row per
successful write. Facilities are hand-made fixtures (illustrative)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core import auth
from core.database import transaction
from core.settings import Settings
from tests.conftest import LiveServer

EDITORS = 50
FACILITY = {
    "name": "并发测试养老院",
    "kind": "eldercare_institution",
    "beds": 100,
    "capacity": 0,
    "lon": 109.78,
    "lat": 39.61,
    "crs": "EPSG:4490",
    "illustrative": True,
}


class Office:
    """A live server with a pool large enough for real concurrency, and one editor key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"X-API-Key": key}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60)


@pytest.fixture
def office(ordos_engine: Engine) -> Iterator[Office]:
    url = ordos_engine.url.render_as_string(hide_password=False)
    with transaction(ordos_engine) as conn:
        key = auth.create_user(conn, "editor", "editor")
    live = LiveServer(url, Settings(database_url=url, pool_size=10))
    with live:
        yield Office(live.base_url, key)


def facility_updates(engine: Engine, facility_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT before, after FROM audit_log WHERE object_type = 'facility' AND object_id = :id"
                " AND action = 'update' ORDER BY id"
            ),
            {"id": str(facility_id)},
        ).mappings()
        return [dict(r) for r in rows]


def test_fifty_editors_with_the_same_version_one_wins(office: Office, ordos_engine: Engine) -> None:
    """50 simultaneous PUTs carrying version 1: exactly one 200, 49 × 409, the winner's data stored."""
    with office.client() as client:
        created = client.post("/api/v1/facilities", json=FACILITY)
        assert created.status_code == 201, created.text
    facility_id = created.json()["id"]
    start = threading.Barrier(EDITORS)

    def edit(number: int) -> tuple[int, str]:
        with office.client() as client:
            start.wait()
            name = f"编辑者{number}"
            return client.put(
                f"/api/v1/facilities/{facility_id}", json={**FACILITY, "name": name, "version": 1}
            ).status_code, name

    with ThreadPoolExecutor(EDITORS) as pool:
        answers = list(pool.map(edit, range(EDITORS)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (EDITORS - 1)
    winner = next(name for status, name in answers if status == 200)
    with office.client() as client:
        stored = client.get(f"/api/v1/facilities/{facility_id}").json()
    assert stored["name"] == winner and stored["version"] == 2
    updates = facility_updates(ordos_engine, facility_id)
    assert len(updates) == 1 and updates[0]["after"]["name"] == winner and updates[0]["before"]["version"] == 1


def test_fifty_read_modify_write_editors_lose_no_update(office: Office, ordos_engine: Engine) -> None:
    """50 editors each add 1 to the capacity by read, modify, PUT with the version read, retrying on 409:
    the capacity ends at exactly 50, one success per version step, one audit row per success."""
    with office.client() as client:
        facility_id = client.post("/api/v1/facilities", json=FACILITY).json()["id"]
    start = threading.Barrier(EDITORS)

    def add_one(_: int) -> tuple[int, int]:
        conflicts = 0
        with office.client() as client:
            start.wait()
            while True:
                current = client.get(f"/api/v1/facilities/{facility_id}").json()
                body = {**FACILITY, "capacity": current["capacity"] + 1, "version": current["version"]}
                answer = client.put(f"/api/v1/facilities/{facility_id}", json=body)
                if answer.status_code == 200:
                    return answer.json()["version"], conflicts
                assert answer.status_code == 409, answer.text
                conflicts += 1

    with ThreadPoolExecutor(EDITORS) as pool:
        results = list(pool.map(add_one, range(EDITORS)))
    versions = sorted(version for version, _ in results)
    assert versions == list(range(2, EDITORS + 2)), "each version step was won by exactly one editor"
    collisions = sum(conflicts for _, conflicts in results)
    print(f"{EDITORS} read-modify-write editors: {collisions} answers 409 before all {EDITORS} increments landed")
    assert collisions > 0, "the editors never collided: the test proved nothing"
    with office.client() as client:
        stored = client.get(f"/api/v1/facilities/{facility_id}").json()
    assert stored["capacity"] == EDITORS and stored["version"] == EDITORS + 1
    updates = facility_updates(ordos_engine, facility_id)
    assert len(updates) == EDITORS
    assert [u["before"]["version"] for u in updates] == list(range(1, EDITORS + 1))
    assert [u["after"]["capacity"] for u in updates] == list(range(1, EDITORS + 1))
    assert all(u["after"]["capacity"] == u["before"]["capacity"] + 1 for u in updates)


def test_concurrent_stale_deletes_and_updates(office: Office, ordos_engine: Engine) -> None:
    """Deletes and updates racing on one version: exactly one of them wins; a 404 or 409 for the rest."""
    with office.client() as client:
        facility_id = client.post("/api/v1/facilities", json=FACILITY).json()["id"]
    start = threading.Barrier(20)

    def race(number: int) -> str:
        with office.client() as client:
            start.wait()
            if number % 2:
                answer = client.delete(f"/api/v1/facilities/{facility_id}", params={"version": 1})
            else:
                answer = client.put(f"/api/v1/facilities/{facility_id}", json={**FACILITY, "version": 1})
            return f"{answer.request.method} {answer.status_code}"

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(race, range(20)))
    winners = [a for a in answers if a in ("DELETE 204", "PUT 200")]
    assert len(winners) == 1, answers
    assert all(a.endswith(("409", "404")) for a in answers if a not in winners), answers
    with ordos_engine.connect() as conn:
        written = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE object_type = 'facility' AND action IN ('update', 'delete')")
        ).scalar_one()
    assert written == 1


def test_more_concurrent_writes_than_connections_do_not_stall(ordos_engine: Engine) -> None:
    """Regression: each write holds its request's connection while its key is checked on another; with one
    shared set of slots, as many concurrent writes as slots took them all and waited for ever (found by the
    50-editor test). Pool of 1 (2 connections), 12 concurrent authenticated writes: all answered."""
    url = ordos_engine.url.render_as_string(hide_password=False)
    with transaction(ordos_engine) as conn:
        headers = {"X-API-Key": auth.create_user(conn, "editor", "editor")}
    live = LiveServer(url, Settings(database_url=url, pool_size=1))
    with live:
        start = threading.Barrier(12)

        def create(number: int) -> int:
            with httpx.Client(base_url=live.base_url, headers=headers, timeout=20) as client:
                start.wait()
                return client.post("/api/v1/facilities", json={**FACILITY, "name": f"小池{number}"}).status_code

        with ThreadPoolExecutor(12) as pool:
            assert list(pool.map(create, range(12))) == [201] * 12
