"""Photos of inspection observations (JPEG/PNG by their first bytes, size limit, SHA-256, stored outside the
database) and one observation per submission_id under concurrent retries. Images here are hand-made test bytes."""

from __future__ import annotations

import hashlib
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.settings import PhotoSettings
from tests.boundaries.test_boundary_inspections import URL, campaign_body, marked_line  # noqa: F401  (fixture)
from tests.factories import role_key


def tiny_png(red: int, size: int = 8) -> bytes:
    """A real PNG of one colour (size × size), written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([red, 40, 40]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000  # a JPEG's first bytes (the server checks no more)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def server_settings(photo_dir: Path) -> dict[str, Any]:
    """The test server keeps photos in this test's folder, at most 64 KiB each."""
    return {"photos": PhotoSettings(photo_dir=photo_dir, photo_max_bytes=64 * 1024)}


@pytest.fixture
def observed(api: httpx.Client, ordos_engine: Engine, marked_line: tuple[int, list[dict]]) -> tuple[int, str]:  # noqa: F811
    """A campaign and one observation of its first marker: (campaign id, submission id)."""
    line_id, (first, _) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    body = {
        "submission_id": "phone-photo-0001",
        "observed_on": "2026-05-12",
        "marker_id": first["id"],
        "status": "intact",
    }
    response = api.post(f"{URL}/{campaign['id']}/observations", headers=role_key(ordos_engine, "inspector"), json=body)
    assert response.status_code == 201, response.text
    return campaign["id"], body["submission_id"]


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def photo_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM observation_photo")).scalar_one())


def test_photos_are_stored_with_their_checksum(
    api: httpx.Client, ordos_engine: Engine, observed: tuple[int, str], photo_dir: Path
) -> None:
    campaign_id, submission = observed
    inspector = role_key(ordos_engine, "inspector")
    url = f"{URL}/{campaign_id}/observations/{submission}/photos"
    png = tiny_png(200)
    first = api.put(
        f"{url}/1", params={"name": "界桩.png"}, content=png, headers={**inspector, "Content-Type": "image/png"}
    )
    assert first.status_code == 201, first.text
    record = first.json()
    assert record["sha256"] == hashlib.sha256(png).hexdigest() and record["size_bytes"] == len(png)
    assert record["media_type"] == "image/png" and record["original_name"] == "界桩.png"
    (path,) = stored_files(photo_dir)
    assert path.read_bytes() == png and path.name == f"{record['sha256']}.png"
    again = api.put(f"{url}/1", content=png, headers={**inspector, "Content-Type": "image/png"})
    assert again.status_code == 200 and again.json()["id"] == record["id"]
    jpeg = api.put(f"{url}/2", content=FAKE_JPEG, headers={**inspector, "Content-Type": "image/jpeg"})
    assert jpeg.status_code == 201 and jpeg.json()["media_type"] == "image/jpeg"
    served = api.get(record["url"])
    assert served.status_code == 200 and served.content == png and served.headers["content-type"] == "image/png"
    observations = api.get(f"{URL}/{campaign_id}").json()["observations"]
    assert [p["seq"] for p in observations[0]["photos"]] == [1, 2]
    assert photo_rows(ordos_engine) == 2 and len(stored_files(photo_dir)) == 2


def test_bad_photos_are_refused_and_nothing_is_written(
    api: httpx.Client, ordos_engine: Engine, observed: tuple[int, str], photo_dir: Path
) -> None:
    campaign_id, submission = observed
    inspector = role_key(ordos_engine, "inspector")
    url = f"{URL}/{campaign_id}/observations/{submission}/photos"
    oversize = b"\xff\xd8\xff\xe0" + b"\x00" * (64 * 1024)
    text_as_jpeg = "这不是照片 — a text file renamed .jpg\n".encode() * 20
    cases: list[tuple[str, bytes, str, dict[str, str], int, str]] = [
        (f"{url}/1", oversize, "image/jpeg", {"name": "big.jpg"}, 413, "exceeds the limit of 65,536 bytes"),
        (f"{url}/1", text_as_jpeg, "image/jpeg", {"name": "notes.jpg"}, 422, "not a JPEG or PNG"),
        (f"{url}/1", b"GIF89a" + b"\x00" * 100, "image/gif", {"name": "a.gif"}, 422, "not a JPEG or PNG"),
        (f"{url}/1", tiny_png(10), "image/jpeg", {}, 422, "declared 'image/jpeg' but its content is image/png"),
        (f"{url}/0", tiny_png(10), "image/png", {}, 422, "photo number 0"),
        (f"{url}/21", tiny_png(10), "image/png", {}, 422, "photo number 21"),
        (f"{URL}/{campaign_id}/observations/phone-none-0001/photos/1", tiny_png(10), "image/png", {}, 404, "none"),
        (f"{URL}/999999/observations/{submission}/photos/1", tiny_png(10), "image/png", {}, 404, "999999"),
    ]
    for target, content, media, params, status, needle in cases:
        response = api.put(target, params=params, content=content, headers={**inspector, "Content-Type": media})
        assert response.status_code == status, (target, response.text)
        assert needle in response.json()["detail"], response.text
    assert api.put(f"{url}/1", content=tiny_png(10), headers={"Content-Type": "image/png"}).status_code == 401
    editor = role_key(ordos_engine, "editor")
    assert api.put(f"{url}/1", content=tiny_png(10), headers={**editor, "Content-Type": "image/png"}).status_code == 403
    assert photo_rows(ordos_engine) == 0 and stored_files(photo_dir) == []
    good = api.put(f"{url}/1", content=tiny_png(10), headers={**inspector, "Content-Type": "image/png"})
    assert good.status_code == 201
    clash = api.put(f"{url}/1", content=tiny_png(99), headers={**inspector, "Content-Type": "image/png"})
    assert clash.status_code == 409 and "another photo number 1" in clash.json()["detail"]
    assert photo_rows(ordos_engine) == 1 and len(stored_files(photo_dir)) == 1
    assert api.get(f"{URL}/{campaign_id}/photos/424242").status_code == 404


def test_concurrent_retries_store_one_observation(
    api: httpx.Client,
    ordos_engine: Engine,
    marked_line: tuple[int, list[dict]],  # noqa: F811
) -> None:
    line_id, (first, _) = marked_line
    campaign = api.post(URL, headers=role_key(ordos_engine, "editor"), json=campaign_body(line_id)).json()
    inspector = role_key(ordos_engine, "inspector")
    body = {
        "submission_id": "phone-race-0001",
        "observed_on": "2026-05-12",
        "marker_id": first["id"],
        "status": "damaged",
        "notes": "同一份记录被同时重发 8 次",
    }

    def send(_: int) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return client.post(f"{URL}/{campaign['id']}/observations", headers=inspector, json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(send, range(8)))
    assert statuses == [200] * 7 + [201], statuses
    with ordos_engine.connect() as conn:
        rows = conn.execute(text("SELECT submission_id FROM inspection_observation")).scalars().all()
        audits = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE object_type = 'inspection_observation'")
        ).scalar_one()
    assert rows == ["phone-race-0001"] and audits == 1
