"""Conditional GET on the read routes: ETag from the per-context data versions, 304 on If-None-Match without
reading the data, new tags after writes (API edits, CLI imports), bad If-None-Match values harmless."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from app import schema
from core.conditional import names_tag, settings_digest
from core.data_version import CONTEXTS
from core.database import transaction
from core.settings import CoverageSettings, MapSettings
from tests.conftest import LiveServer, server_config
from tests.factories import api_key, gaz

APPROVAL = {
    "approving_body": "鄂尔多斯市人民政府",
    "document_number": "鄂府发〔2026〕1号",
    "approval_date": "2026-03-01",
}
READ_ROUTES = [
    ("/api/v1/places/search", {"q": "东胜区"}),
    ("/api/v1/places/autocomplete", {"q": "康巴"}),
    ("/api/v1/units/150603", {}),
    ("/api/v1/units/150603/children", {}),
    ("/api/v1/reverse", {"lon": "109.78", "lat": "39.61"}),
    ("/ogc/collections/units-county/items", {"limit": "2"}),
    ("/ogc/collections/place-names/items", {"limit": "2", "f": "html"}),
]


def tag_of(api: httpx.Client, path: str, params: dict[str, str] | None = None) -> str:
    response = api.get(path, params=params or {})
    assert response.status_code == 200, response.text
    return response.headers["etag"]


@pytest.mark.parametrize(("path", "params"), READ_ROUTES)
def test_read_routes_answer_304_to_their_own_tag(ordos_api: httpx.Client, path: str, params: dict[str, str]) -> None:
    first = ordos_api.get(path, params=params)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
    again = ordos_api.get(path, params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["cache-control"] == "no-cache"
    # a list naming it, and the strong form of the same opaque tag (weak comparison, RFC 9110 13.1.2)
    listed = ordos_api.get(path, params=params, headers={"If-None-Match": f'"other", {tag} ,"x"'})
    assert listed.status_code == 304
    assert ordos_api.get(path, params=params, headers={"If-None-Match": tag[2:]}).status_code == 304


def test_tags_differ_by_request_and_by_accept(ordos_api: httpx.Client) -> None:
    search = "/api/v1/places/search"
    assert tag_of(ordos_api, search, {"q": "东胜区"}) != tag_of(ordos_api, search, {"q": "康巴什区"})
    items = "/ogc/collections/units-county/items"
    json_tag = ordos_api.get(items, headers={"Accept": "application/geo+json"}).headers["etag"]
    html = ordos_api.get(items, headers={"Accept": "text/html", "If-None-Match": json_tag})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "value",
    ["*", "garbage", '"unterminated', 'W/"a" junk', ",,,", '"' + "x" * 5000 + '"', "W/", '""', "\u00e9t\u00e9"],
)
def test_bad_if_none_match_values_get_the_full_answer(ordos_api: httpx.Client, value: str) -> None:
    response = ordos_api.get("/api/v1/units/150603", headers={b"If-None-Match": value.encode("utf-8")})
    assert response.status_code == 200 and response.json()["code"] == "150603000000"
    assert response.headers["etag"].startswith('W/"')


def test_names_tag_parses_entity_tag_lists() -> None:
    tag = 'W/"3.1-2026-12-04-abc"'
    assert names_tag('W/"3.1-2026-12-04-abc"', tag) and names_tag('"3.1-2026-12-04-abc"', tag)
    assert names_tag('"a", W/"3.1-2026-12-04-abc"', tag)
    assert not names_tag('"a", W/"3.1-2026-12-04-abc" x', tag)  # not a list of entity tags: names nothing
    assert not names_tag("*", tag) and not names_tag("", tag) and not names_tag('W/"3.1-2026-12-04-ab"', tag)


def test_304_reads_no_table_of_the_data(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    """With place_name and admin_unit locked against every reader, the revalidation still answers at once."""
    path, params = "/api/v1/places/search", {"q": "东胜区"}
    tag = tag_of(ordos_api, path, params)
    locked, release = threading.Event(), threading.Event()

    def hold_locks() -> None:
        with shared_ordos_engine.connect() as conn:
            conn.execute(text("LOCK TABLE place_name, place_key, admin_unit IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)
            conn.rollback()

    holder = threading.Thread(target=hold_locks)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        response = ordos_api.get(path, params=params, headers={"If-None-Match": tag}, timeout=10)
        assert response.status_code == 304 and time.monotonic() - started < 5
    finally:
        release.set()
        holder.join()


def test_writes_change_the_tags_of_their_context_only(api: httpx.Client, ordos_engine: Engine) -> None:
    """Registering and renaming a place changes the search's tag (gazetteer), not a unit's (boundaries)."""
    editor, approver = api_key(ordos_engine, "editor", "editor"), api_key(ordos_engine, "approver", "approver")
    search: tuple[str, dict[str, str]] = ("/api/v1/places/search", {"q": "康和广场"})
    unit: tuple[str, dict[str, str]] = ("/api/v1/units/150603", {})
    before_search, before_unit = tag_of(api, *search), tag_of(api, *unit)
    proposal = api.post(
        "/api/v1/places",
        headers=editor,
        json={"name": "康和广场", "category": "9", "unit": "150603", "point": {"lon": 109.78, "lat": 39.61}},
    )
    assert proposal.status_code == 201, proposal.text
    url = f"/api/v1/places/{proposal.json()['id']}"
    approved = api.post(url + "/approve", headers=approver, json={"version": 1, **APPROVAL})
    assert approved.status_code == 200, approved.text
    registered = tag_of(api, *search)
    assert registered != before_search and tag_of(api, *unit) == before_unit
    assert api.get(search[0], params=search[1], headers={"If-None-Match": before_search}).status_code == 200
    renamed = api.post(
        url + "/rename",
        headers=editor,
        json={"version": 2, "new_name": "康和文化广场", "effective_date": "2030-01-01", **APPROVAL},
    )
    assert renamed.status_code == 200, renamed.text
    assert tag_of(api, *search) not in (before_search, registered)
    assert api.get(search[0], params=search[1], headers={"If-None-Match": registered}).status_code == 200


def test_a_cli_import_changes_the_tag_and_a_rollback_does_not(
    api: httpx.Client, ordos_engine: Engine, tmp_path: Path
) -> None:
    children = "/api/v1/units/150603001/children"
    before = tag_of(api, children)
    with ordos_engine.connect() as conn:  # a write rolled back bumps nothing
        conn.execute(text("UPDATE admin_unit SET name = name || '甲' WHERE code = '150603001001'"))
        conn.rollback()
    assert tag_of(api, children) == before
    village = tmp_path / "one_village_fixture.csv"
    village.write_text(
        "code,short_code,name,level,level_name,parent_code,kind_from_name,full_name\n"
        "150603001999,150603001999,测试嘎查,5,village,150603001000,,测试嘎查\n",
        encoding="utf-8",
    )
    result = gaz(ordos_engine, "import", "divisions", village, "--valid-from", "2023-06-30")
    assert result.returncode == 0, result.stderr
    after = tag_of(api, children)
    assert after != before
    assert api.get(children, headers={"If-None-Match": before}).status_code == 200
    assert api.get(children, headers={"If-None-Match": after}).status_code == 304


def test_one_transaction_bumps_each_context_it_wrote_once(engine: Engine) -> None:
    def versions() -> dict[str, int]:
        with engine.connect() as conn:
            return {r.context: r.version for r in conn.execute(text("SELECT context, version FROM data_version"))}

    before = versions()
    with transaction(engine) as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO admin_unit (code, name, level, kind, valid_from)"
                    " VALUES (:code, '测试', 'province', '省', '2020-01-01')"
                ),
                {"code": f"9{n}0000000000"},
            )
    after = versions()
    assert after == {**before, "boundaries": before["boundaries"] + 1}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM data_change")).scalar_one() == 0


def test_every_context_table_bumps_its_version(engine: Engine) -> None:
    """A table of a context without the trigger would leave ETags unchanged after a write to it."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname AS table_name, substring(pg_get_triggerdef(t.oid)"
                " from 'note_data_change\\(''([a-z]+)''\\)') AS context"
                " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'data_version_%'"
            )
        )
        triggers = {r.table_name: r.context for r in rows}
    for table in schema.target_metadata.sorted_tables:
        context = table_context(table.name)
        if context is not None:
            assert triggers.get(table.name) == context, f"{table.name}: add its data_version trigger ({context})"


def table_context(name: str) -> str | None:
    """The context owning a table, from the package of its model (None for the bottom floor's tables)."""
    from core.database import Base

    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == name:
            package = mapper.class_.__module__.split(".")[0]
            return package if package in CONTEXTS else None
    return None


def test_written_in_prefixes_follow_a_renamed_unit(api: httpx.Client, ordos_engine: Engine) -> None:
    """The in-process index of unit names (gazetteer.search) is rebuilt when the gazetteer's version changes."""
    editor = api_key(ordos_engine, "editor", "editor")

    def first_hit(q: str) -> dict[str, str]:
        hits = api.get("/api/v1/places/search", params={"q": q}).json()["results"]
        return {"name": hits[0]["name"], "match": hits[0]["match"]} if hits else {}

    assert first_hit("康巴什区哈巴格希街道新北社区") == {"name": "新北社区", "match": "prefixed"}
    with ordos_engine.connect() as conn:
        township = conn.execute(
            text("SELECT id, version FROM place_name WHERE admin_code = '150603001000' AND status = 'standard'")
        ).one()
    renamed = api.post(
        f"/api/v1/places/{township.id}/rename",
        headers=editor,
        json={"version": township.version, "new_name": "哈巴格希新街道", "effective_date": "2026-01-01", **APPROVAL},
    )
    assert renamed.status_code == 200, renamed.text
    assert first_hit("康巴什区哈巴格希新街道新北社区") == {"name": "新北社区", "match": "prefixed"}


def test_a_server_with_other_settings_never_confirms_an_old_answer(ordos_engine: Engine) -> None:
    """An answer can depend on a setting (here the beds target of the coverage): a server restarted with another
    value tags its answers differently, so a client's copy from before gets the full answer, not 304. The secrets
    (database URL, Tianditu key) do not enter the tag."""
    url = ordos_engine.url.render_as_string(hide_password=False)
    path, params = "/api/v1/units/150603", {"as_of": "2024-01-01"}
    with LiveServer(url, server_config(url, coverage=CoverageSettings(bed_target_per_1000=35))) as first:
        old = tag_of(first, path, params)
    with LiveServer(url, server_config(url, coverage=CoverageSettings(bed_target_per_1000=45))) as second:
        answer = second.get(path, params=params, headers={"If-None-Match": old})
        assert answer.status_code == 200 and answer.headers["etag"] != old
    base = server_config(url)
    keyed = base.model_copy(update={"maps": MapSettings(tianditu_key="secret-key")})
    assert settings_digest(keyed) == settings_digest(base)
    assert settings_digest(base.model_copy(update={"database_url": url + "x"})) == settings_digest(base)
