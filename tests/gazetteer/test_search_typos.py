"""Typo search built for national scale: the distinct core deletions (place_core_deletion), the typo search within
a unit, and migration 0010 on loaded data (the Ordos manifest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app import schema
from boundaries.units.service import import_divisions
from core.database import transaction
from gazetteer.places import queries, service, unit_names
from gazetteer.search import service as name_search


@pytest.mark.parametrize("unit", [None, "150600", "150625"])
@pytest.mark.parametrize(
    ("q", "name"), [("独贵塔垃镇", "独贵塔拉镇"), ("独贵塔镇", "独贵塔拉镇"), ("独贵塔拉拉镇", "独贵塔拉镇")]
)
def test_one_typo_found_nationally_and_within_a_unit(
    shared_ordos_engine: Engine, unit: str | None, q: str, name: str
) -> None:
    with shared_ordos_engine.connect() as conn:
        top = name_search.search_places(conn, q, unit=unit)["results"][0]
        assert (top["name"], top["match"], top["score"]) == (name, "fuzzy", 52)
        elsewhere = name_search.search_places(conn, q, unit="150602")["results"]
        assert name not in {h["name"] for h in elsewhere}


def test_a_replaced_one_character_core_is_another_name(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        cores = set(conn.execute(text("SELECT core FROM place_core_deletion")).scalars())
        assert {"独贵塔拉", "鄂托克"} <= cores  # deletions of the real cores were written with the keys
        for unit in (None, "150600"):
            hits = name_search.search_places(conn, "胜区", unit=unit, limit=50)["results"]  # 东胜区 one edit away
            fuzzy = {h["name"] for h in hits if h["match"] == "fuzzy"}
            assert "东胜区" in fuzzy
            assert not {n for n in fuzzy if len(n) == 2 and n.endswith("区")}  # no X区 for 胜区


def test_new_names_get_their_core_deletions(ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        # hand-made: a square that does not exist
        service.create_place(conn, name="试验广场", category="7", unit="150603", actor="t")
        deletions = conn.execute(text("SELECT deletion FROM place_core_deletion WHERE core = '试验'")).scalars()
        assert set(deletions) == {"试", "验"}
        for unit in (None, "150603"):
            top = name_search.search_places(conn, "试检广场", unit=unit)["results"][0]
            assert (top["name"], top["match"]) == ("试验广场", "fuzzy")


def test_migration_0010_moves_the_deletion_keys_both_ways(ordos_engine: Engine) -> None:
    def snapshot() -> set[tuple[str, str]]:
        with ordos_engine.connect() as conn:
            return {tuple(r) for r in conn.execute(text("SELECT deletion, core FROM place_core_deletion"))}

    written = snapshot()
    assert len(written) > 1000
    schema.downgrade(ordos_engine, "0002")
    with ordos_engine.connect() as conn:
        per_record = conn.execute(text("SELECT count(*) FROM place_key WHERE kind = 'deletion'")).scalar_one()
        assert per_record > len(written)  # one row per record and deletion before 0010
    schema.upgrade(ordos_engine)
    assert snapshot() == written
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM place_key WHERE kind = 'deletion'")).scalar_one() == 0
        top = name_search.search_places(conn, "独贵塔垃镇")["results"][0]
        assert top["name"] == "独贵塔拉镇"


def test_bulk_sync_writes_the_same_core_deletions(
    engine: Engine, shared_ordos_engine: Engine, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "BULK_KEYS", 100)  # the national path (COPY, keys rebuilt) on the Ordos file
    with transaction(engine) as conn:
        import_divisions(conn, data_root / "ordos/codes/ordos_divisions_nbs2023.csv", valid_from=date(2023, 6, 30))
        unit_names.sync_unit_names(conn)
    sql = text("SELECT deletion, core FROM place_core_deletion")
    with engine.connect() as bulk, shared_ordos_engine.connect() as row_by_row:
        written = set(bulk.execute(sql).all())
        assert written and written <= set(row_by_row.execute(sql).all())  # the manifest adds history's names
        assert name_search.search_places(bulk, "独贵塔垃镇")["results"][0]["name"] == "独贵塔拉镇"
        key = bulk.execute(
            text("SELECT count(*) FROM pg_indexes WHERE indexname IN ('pk_place_core_deletion', 'ix_place_key_key')")
        )
        assert key.scalar_one() == 2
