"""Readings by place (1984 rule 8): a row of data/place_readings.csv with a unit code is read so only inside that unit
when the romanizer is told where the name lies — through romanize(), GET /api/v1/romanize?unit=, the records the
registry creates and the sign check. The readings are the cited ones of the table (大黄堡 Dàhuángbǎo in Tianjin's
武清区, 1984 rule 8; 下堡 Xiàbǎo in 安阳县许家沟乡, the Henan standard-name register); the places and signs made in the
Ordos database below are hand-made fixtures, not real records."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from core.database import transaction
from core.errors import InvalidInput
from core.values import GeoPoint, normalize_code, significant_code
from gazetteer.places import service
from gazetteer.romanization.lexicon import PLACE_READINGS_PATH
from gazetteer.romanization.service import romanize
from gazetteer.signs import check as sign_check
from gazetteer.signs import service as signs

WUQING_TOWN = "120114122"  # 天津市武清区大黄堡镇 (NBS 2023)
XIABAO_VILLAGE = "410522204209"  # 河南省安阳市安阳县许家沟乡下堡村民委员会 (NBS 2023)
DONGSHENG = "150602"  # 鄂尔多斯市东胜区


def place_readings() -> list[dict[str, str]]:
    """The rows of the place-readings table."""
    with PLACE_READINGS_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("name", "unit", "plain"),
    [
        ("大黄堡镇", None, "Dahuangbao Zhen"),  # not told where: the table's reading, as before
        ("大黄堡镇", WUQING_TOWN, "Dahuangbao Zhen"),  # in the unit of the row (a code under 120114)
        ("大黄堡镇", "120114", "Dahuangbao Zhen"),
        ("大黄堡镇", DONGSHENG, "Dahuangbu Zhen"),  # elsewhere: 堡 by its default reading bǔ
        ("大黄堡镇", "120115", "Dahuangbu Zhen"),  # the neighbouring district is not 武清区
        ("下堡村", XIABAO_VILLAGE, "Xiabaocun"),
        ("下堡村", "410522", "Xiabucun"),  # the county is wider than the township the row names
        ("下堡村", DONGSHENG, "Xiabucun"),
        ("十里堡", DONGSHENG, "Shilipu"),  # a row without a unit (审音表 堡 pù) is read so everywhere
        ("吴堡县", "610626", "Wubu Xian"),
    ],
)
def test_reading_by_the_unit_the_name_lies_in(name: str, unit: str | None, plain: str) -> None:
    assert romanize(name, unit_code=unit).plain == plain


def test_place_bound_rows_name_a_real_unit_that_their_place_text_names(data_root: Path) -> None:
    # Each unit code of the table is an NBS unit whose name the row's `where` text gives.
    names: dict[str, str] = {}
    national = data_root / "national"
    with (national / "china_areas_nbs2023.csv").open(encoding="utf-8") as handle:
        names.update({row["code"]: row["name"] for row in csv.DictReader(handle)})
    with gzip.open(national / "china_streets_nbs2023.csv.gz", "rt", encoding="utf-8") as handle:
        names.update({row["code"]: row["name"] for row in csv.DictReader(handle)})
    bound = [row for row in place_readings() if row["unit_code"]]
    assert {row["phrase"] for row in bound} == {"大黄堡", "下堡"}
    for row in bound:
        code = significant_code(normalize_code(row["unit_code"]))
        assert code in names and names[code] in row["where"], row


def test_a_bad_unit_code_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'12011'"):
        romanize("大黄堡镇", unit_code="12011")


def test_romanize_route_reads_by_unit(ordos_api: httpx.Client) -> None:
    url = "/api/v1/romanize"
    assert ordos_api.get(url, params={"text": "大黄堡镇", "unit": "120114"}).json()["plain"] == "Dahuangbao Zhen"
    body = ordos_api.get(url, params={"text": "大黄堡镇", "unit": DONGSHENG}).json()
    assert body["plain"] == "Dahuangbu Zhen" and body["toned"] == "Dàhuángbǔ Zhèn"
    village = ordos_api.get(url, params={"text": "下堡村", "unit": XIABAO_VILLAGE, "village": "true"}).json()
    assert village["plain"] == "Xiabaocun"
    for bad in ("12x", "1201145", ""):
        response = ordos_api.get(url, params={"text": "大黄堡镇", "unit": bad})
        assert response.status_code == 422, (bad, response.text)
        assert repr(bad) in response.json()["detail"]


def test_records_and_the_sign_check_read_where_the_place_lies(ordos_engine: Engine) -> None:
    # Hand-made: a street named 大黄堡路 in 东胜区. Tianjin's reading bǎo is not this place's: its record and the
    # sign check both read 堡 bǔ, so a sign printed Dahuangbao Lu is flagged and Dahuangbu Lu is not.
    with transaction(ordos_engine) as conn:
        street = service.create_place(
            conn,
            name="大黄堡路",
            category="7",
            unit=DONGSHENG,
            point=GeoPoint.from_input(109.98, 39.81, "EPSG:4490"),
            actor="t",
        )
        assert (street["romanization"], street["romanization_toned"]) == ("Dahuangbu Lu", "Dàhuángbǔ Lù")
        for number, printed in (("DHB-1", "Dahuangbao Lu"), ("DHB-2", "Dahuangbu Lu")):
            values = {
                "inventory_no": number,
                "place_name_id": street["id"],
                "printed_name": "大黄堡路",
                "printed_romanization": printed,
                "condition": "good",
            }
            signs.create_sign(conn, values=values, lon=109.98, lat=39.81, crs="EPSG:4490", actor="t")
        result = sign_check.check_signs(conn, unit=DONGSHENG)
    found = {s["inventory_no"]: s for s in result["signs"] if s["inventory_no"].startswith("DHB-")}
    assert list(found) == ["DHB-1"]
    assert {(f["rule"], f["sign_says"], f["should_say"]) for f in found["DHB-1"]["findings"]} == {
        ("spelling", "Dahuangbao Lu", "Dahuangbu Lu")
    }
