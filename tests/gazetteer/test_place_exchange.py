"""The national exchange file (国家地名信息库 record layout) through the live API and the ``gaz`` CLI.
Hand-made fixtures (试验… names inside 康巴什区), not real records."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import httpx
import pytest
import shapely
from sqlalchemy import Engine, text

from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import editing, service

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
NATIONAL_FIELDS = (
    "标准名称 罗马字母拼写 拼写依据 地名类别代码 地名类别 所在行政区划代码 所在行政区 行政区划代码 经度 纬度 空间位置"
    " 含义 来历 历史沿革 批准机关 批准文号 批准时间 地名状态 启用时间 停用时间 密级 本地编号"
).split()
SECRET_POINT = (109.781234, 39.612345)


def rows_of(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(content.decode("utf-8-sig").splitlines()))


@pytest.fixture
def registry(ordos_engine: Engine) -> dict[str, int]:
    """A public road (line), a secret well (point), a proposal, and a square renamed in 2030."""
    with transaction(ordos_engine) as conn:
        road = service.create_place(
            conn, name="试验大道", category="7", unit="150603", actor="t", texts={"meaning": "试验之意"},
            geometry=shapely.LineString([(109.76, 39.60), (109.80, 39.62)]),
        )  # fmt: skip
        well = service.create_place(
            conn, name="试验水井", category="8", unit="150603", actor="t", secrecy="secret",
            point=GeoPoint.from_input(*SECRET_POINT, "EPSG:4490"),
        )  # fmt: skip
        editing.propose_place(conn, name="试验新村", category="32", unit="150603", actor="t")
        square = service.create_place(conn, name="试验广场", category="9", unit="150603", actor="t")
        renamed = editing.rename_place(
            conn, square["id"], version=1, new_name="试验文化广场", approving_body="康巴什区人民政府",
            document_number="康府发〔2030〕1号", approval_date="2029-12-01", effective_date="2030-01-01", actor="t",
        )  # fmt: skip
    return {"road": road["id"], "well": well["id"], "square": square["id"], "renamed": renamed["id"]}


def test_exchange_file_in_the_national_layout(
    api: httpx.Client, ordos_engine: Engine, registry: dict[str, int]
) -> None:
    response = api.get("/api/v1/places/exchange", params={"unit": "150603"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="exchange-150603.csv"' in response.headers["content-disposition"]
    assert response.content.decode("utf-8-sig").splitlines()[0].split(",") == NATIONAL_FIELDS
    rows = rows_of(response.content)
    with ordos_engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM place_name WHERE status <> 'proposed'"
                " AND (unit_code LIKE '150603%' OR admin_code LIKE '150603%')"
            )
        ).scalar_one()
    assert len(rows) == expected and "试验新村" not in {r["标准名称"] for r in rows}  # proposals are not filed
    by_id = {int(r["本地编号"]): r for r in rows}
    banner = next(r for r in rows if r["行政区划代码"] == "150603000000")
    assert (banner["标准名称"], banner["罗马字母拼写"], banner["地名类别代码"], banner["所在行政区划代码"]) == (
        "康巴什区", "Kangbashi Qu", "23", "150600000000",
    )  # fmt: skip
    road = by_id[registry["road"]]
    assert (road["地名类别代码"], road["地名类别"], road["所在行政区"], road["含义"], road["密级"]) == (
        "7", "交通运输设施（含街巷）", "鄂尔多斯市/康巴什区", "试验之意", "公开",
    )  # fmt: skip
    assert road["空间位置"] == "LINESTRING(109.76 39.6,109.8 39.62)" and road["地名状态"] == "标准地名"
    well = by_id[registry["well"]]
    assert (well["经度"], well["纬度"], well["空间位置"], well["密级"]) == (
        "109.800000",
        "39.600000",
        "POINT(109.8 39.6)",
        "秘密",
    )
    assert "109.7812" not in response.text and "39.6123" not in response.text
    old, new = by_id[registry["square"]], by_id[registry["renamed"]]
    assert (old["标准名称"], old["地名状态"], old["停用时间"]) == ("试验广场", "曾用名", "2030-01-01")
    assert (new["标准名称"], new["批准文号"], new["批准时间"], new["启用时间"]) == (
        "试验文化广场", "康府发〔2030〕1号", "2029-12-01", "2030-01-01",
    )  # fmt: skip


def test_cli_writes_the_same_file(
    api: httpx.Client, ordos_engine: Engine, registry: dict[str, int], tmp_path: Path
) -> None:
    output = tmp_path / "exchange.csv"
    env = {**os.environ, "GAZ_DATABASE_URL": ordos_engine.url.render_as_string(hide_password=False)}
    done = subprocess.run(
        [str(GAZ), "places", "exchange", "--unit", "150603", "--output", str(output)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {len(rows_of(output.read_bytes()))} record(s)")
    assert output.read_bytes() == api.get("/api/v1/places/exchange", params={"unit": "150603"}).content
    bad = subprocess.run(
        [str(GAZ), "places", "exchange", "--unit", "150699", "--output", str(tmp_path / "bad.csv")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "150699" in bad.stderr and not (tmp_path / "bad.csv").exists()


@pytest.mark.parametrize(
    ("params", "needle"),
    [({}, "unit"), ({"unit": "150699"}, "150699"), ({"unit": "15060"}, "15060"), ({"unit": "abc"}, "abc")],
)
def test_exchange_bad_unit(ordos_api: httpx.Client, params: dict[str, str], needle: str) -> None:
    response = ordos_api.get("/api/v1/places/exchange", params=params)
    assert response.status_code == 422 and needle in response.json()["detail"], response.text
