"""Search within a unit by index (migration 0025): every search key carries the codes its record is found by within a
unit (kept by triggers), a scoped search reads the unit's keys by code, and bad or empty units answer clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from boundaries.units.service import import_divisions
from core.database import transaction
from gazetteer.places import queries, service, unit_names
from gazetteer.search import service as name_search

DIFFERING_CODES = (
    "SELECT count(*) FROM place_key k JOIN place_name p ON p.id = k.place_name_id,"
    " place_scope_codes(p.unit_code, p.admin_code) AS c"
    " WHERE k.scope_code IS DISTINCT FROM c.scope_code OR k.extra_scope_code IS DISTINCT FROM c.extra_scope_code"
)


def test_every_key_carries_its_records_codes(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        assert conn.execute(text(DIFFERING_CODES)).scalar_one() == 0
        coded = "SELECT count(*) FROM place_key WHERE scope_code LIKE '1506%'"
        assert conn.execute(text(coded)).scalar_one() > 5000  # the Ordos manifest's keys
        # a unit's admin code descends from its unit code: no extra code
        assert conn.execute(text("SELECT count(*) FROM place_key WHERE extra_scope_code IS NOT NULL")).scalar_one() == 0


def test_the_bulk_sync_writes_the_scope_codes_and_their_indexes(
    engine: Engine, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "BULK_KEYS", 100)  # the national path (COPY, key indexes rebuilt) on the Ordos file
    with transaction(engine) as conn:
        import_divisions(conn, data_root / "ordos/codes/ordos_divisions_nbs2023.csv", valid_from=date(2023, 6, 30))
        unit_names.sync_unit_names(conn)
    with engine.connect() as conn:
        assert conn.execute(text(DIFFERING_CODES)).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM place_key WHERE scope_code IS NULL")).scalar_one() == 0
        indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'place_key'"
        assert set(conn.execute(text(indexes)).scalars()) == {"pk_place_key", *queries.KEY_INDEXES}
        assert _names(conn, "独贵塔垃镇", "150625").get("独贵塔拉镇") == "fuzzy"


def _names(conn: object, q: str, unit: str | None) -> dict[str, str]:
    found = name_search.search_places(conn, q, unit=unit, limit=50)  # type: ignore[arg-type]
    return {h["name"]: h["match"] for h in found["results"]}


# Hand-made: a square that does not exist, in 东胜区 (150602) and then moved to 康巴什区 (150603).
SQUARE = "试验广场"
# One edit at the first character (the scan's index-friendly test treats it apart), or after it.
TYPOS = ("式验广场", "验广场", "大试验广场", "试检广场", "试验验广场")


def test_a_moved_record_is_found_in_its_new_unit_only(ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        created = service.create_place(conn, name=SQUARE, category="7", unit="150602", actor="t")
        assert _names(conn, SQUARE, "150602")[SQUARE] == "exact"
        conn.execute(text("UPDATE place_name SET unit_code = '150603000000' WHERE id = :id"), {"id": created["id"]})
        assert conn.execute(text(DIFFERING_CODES)).scalar_one() == 0  # the keys followed their record
        for q, match in [(SQUARE, "exact"), ("试验", "core"), ("试验广", "prefix"), *((t, "fuzzy") for t in TYPOS)]:
            assert _names(conn, q, "150603").get(SQUARE) == match, q
            assert _names(conn, q, "150600").get(SQUARE) == match, q  # the city's scope
            assert SQUARE not in _names(conn, q, "150602"), q


def test_a_unit_whose_codes_disagree_is_found_in_both_units(ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        # a township of 东胜区 (150602) given 康巴什区 (150603) as its unit code: within either unit
        township, name = conn.execute(
            text("SELECT id, name FROM place_name WHERE admin_code LIKE '150602%' AND level_rank = 4 LIMIT 1")
        ).one()
        conn.execute(text("UPDATE place_name SET unit_code = '150603000000' WHERE id = :id"), {"id": township})
        assert conn.execute(text(DIFFERING_CODES)).scalar_one() == 0
        extra = "SELECT DISTINCT extra_scope_code FROM place_key WHERE place_name_id = :id"
        assert list(conn.execute(text(extra), {"id": township}).scalars()) == ["150603000000"]
        for unit in ("150602", "150603", "150600"):
            assert _names(conn, name, unit).get(name) == "exact", unit
            assert _names(conn, name[:-1], unit).get(name) == "prefix", unit
            assert _names(conn, "圣" + name[1:], unit).get(name) == "fuzzy", unit
        assert name not in _names(conn, name, "150621")


def test_a_unit_is_found_within_itself_by_its_admin_code(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        # 鄂尔多斯市 (admin code 150600, unit code 150000): in its own scope by the admin code, with a typo too
        for q, match in [("鄂尔多斯市", "exact"), ("鄂尔多斯", "core"), ("鄂尔多", "prefix"), ("鄂尔朵斯市", "fuzzy")]:
            assert _names(conn, q, "150600").get("鄂尔多斯市") == match, q
        assert "鄂尔多斯市" not in _names(conn, "鄂尔多斯市", "150602")


@pytest.mark.parametrize("unit", ["abc", "15060", "1506020011", "", "990000", "150699", " 15 06"])
def test_bad_unit_codes_are_422(ordos_api: httpx.Client, unit: str) -> None:
    for path in ("/api/v1/places/search", "/api/v1/places/autocomplete"):
        answer = ordos_api.get(path, params={"q": "东胜", "unit": unit})
        assert answer.status_code == 422, (path, unit, answer.text)
        assert "unit" in answer.text or "code" in answer.text


def test_a_unit_without_names_answers_an_empty_page(ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        village = conn.execute(
            text("SELECT admin_code FROM place_name WHERE admin_code LIKE '150602%' AND level_rank = 5 LIMIT 1")
        ).scalar_one()
        ids = list(conn.execute(text("SELECT id FROM place_name WHERE admin_code = :c"), {"c": village}).scalars())
        conn.execute(text("DELETE FROM place_key WHERE place_name_id = ANY(:ids)"), {"ids": ids})
        conn.execute(text("DELETE FROM place_name WHERE id = ANY(:ids)"), {"ids": ids})
        for q in ("东胜区", "东胜", "dsq", "ds", "东圣区"):
            found = name_search.search_places(conn, q, unit=village)  # a unit still, by the boundaries' register
            assert (found["count"], found["results"], found["more"]) == (0, [], False), q
