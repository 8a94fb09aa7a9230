"""The in-process index of unit names (written-in prefixes) is built once per database, however many requests find
it missing at the same time (issue 14: a server's worker threads each built it, 1–3 s of CPU each, under load)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event

from gazetteer.search import service as name_search


def test_threads_that_find_the_index_missing_build_it_once(shared_ordos_engine: Engine) -> None:
    # an engine of its own (another URL: an index not built yet in this process) on the shared database
    engine = create_engine(shared_ordos_engine.url.update_query_dict({"application_name": "heads-build-test"}))
    builds: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "k.kind IN ('exact', 'statistical')" in statement:
            builds.append(statement)

    start = threading.Barrier(8)
    answers: list[str] = []

    def search() -> None:
        with engine.connect() as conn:
            start.wait()
            answers.append(name_search.search_places(conn, "内蒙古自治区鄂尔多斯市东胜区")["results"][0]["name"])

    threads = [threading.Thread(target=search) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert answers == ["东胜区"] * 8
    assert len(builds) == 1
