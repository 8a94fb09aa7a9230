"""Dated versions of a facility (facility_version), modelled on the units' valid_from/valid_to: how a new statement
of a facility (an import row, a create or a replacement) changes its history, and the present state derived from it.

Rules (``plan``):

- A facility new to the registry gets one version from its opening date (none: since before the records) until its
  closing date (none: still open). A ``valid_from`` other than the opening date is refused for it: its history
  starts when it opened.
- For a stored facility, the statement's attributes (``VERSIONED``: name, beds, nursing beds, capacity, ownership,
  cemetery type, medical care, status) hold from ``valid_from``, by default the day of the statement (or, for a
  statement with ``closed_on``, the day before the closing if that is earlier):
  the same attributes as the version covering that day change nothing (a re-import is idempotent); a version that
  starts on that very day is corrected in place; otherwise the version covering the day ends there and a new one
  starts (a change of beds never overwrites the past). A start before a later recorded version is refused: the new
  version would overlap it.
- ``opened_on`` moves the start of the first version; ``closed_on`` ends the last one (the facility closed that day
  and counts no more from it). An empty opening or closing date leaves the recorded one; a facility reopens with a
  statement from a given ``valid_from`` after its closing (without one, a closed facility restated as it was
  changes nothing, and with other attributes is refused). A statement with ``closed_on`` describes the facility
  before it closed, so a status ``closed`` there is kept as ``operating`` in its last version.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.errors import InvalidInput
from facilities.models import VERSIONED

Version = dict[str, Any]
EARLIEST = date(1949, 10, 1)


def as_of_day(as_of: date | None) -> date:
    """The day asked for (``as_of``, today when None); InvalidInput naming a day before 1949-10-01 or after today."""
    today = date.today()
    day = as_of or today
    if not EARLIEST <= day <= today:
        raise InvalidInput(f"as_of {day.isoformat()} must lie between {EARLIEST.isoformat()} and today")
    return day


def _attrs(record: dict[str, Any]) -> dict[str, Any]:
    attrs = {k: record[k] for k in VERSIONED}
    if record.get("closed_on") is not None and attrs["status"] == "closed":
        attrs["status"] = "operating"  # the state before the closing day
    return attrs


def _covers(version: Version, day: date) -> bool:
    start, end = version["valid_from"], version["valid_to"]
    return (start is None or start <= day) and (end is None or day < end)


def _label(day: date | None) -> str:
    return day.isoformat() if day is not None else "the start of the records"


def plan(stored: list[Version], record: dict[str, Any], *, valid_from: date | None, today: date) -> list[Version]:
    """The facility's versions after the statement ``record`` (its attributes, ``opened_on``, ``closed_on``) taking
    effect on ``valid_from`` (``today`` when None), given its ``stored`` versions (oldest first; none for a new
    facility). InvalidInput names the version a statement would overlap; nothing is written here."""
    attrs, opened, closed = _attrs(record), record.get("opened_on"), record.get("closed_on")
    if closed is not None and closed < EARLIEST:
        raise InvalidInput(f"closed_on {closed} is before {EARLIEST}, where the registry's dates start")
    if opened is not None and closed is not None and closed <= opened:
        raise InvalidInput(f"closed_on {closed} is not after opened_on {opened}")
    if not stored:
        if valid_from is not None and valid_from != opened:
            raise InvalidInput(
                f"valid_from {valid_from} for a facility new to the registry: its history starts on its opening "
                f"date ({_label(opened)}); state it as it opened first, then the change"
            )
        return [{"valid_from": opened, "valid_to": closed, **attrs}]
    versions = [dict(v) for v in stored]
    first = versions[0]
    if opened is not None and opened != first["valid_from"]:
        if first["valid_to"] is not None and opened >= first["valid_to"]:
            raise InvalidInput(
                f"opened_on {opened} is not before the end of the first version ({first['valid_to']}): it would "
                "overlap the next version"
            )
        first["valid_from"] = opened
    start = valid_from or (today if closed is None else min(today, closed - timedelta(days=1)))
    same_start = next((v for v in versions if v["valid_from"] == start), None)
    covering = next((v for v in versions if _covers(v, start)), None)
    ended = versions[-1]["valid_to"]
    if valid_from is None and covering is None and ended is not None and ended <= start:
        if any(versions[-1][k] != attrs[k] for k in VERSIONED):
            raise InvalidInput(
                f"the facility closed on {ended}: a statement after that reopens it and needs its valid_from"
            )
        covering = versions[-1]  # restated as it was before it closed: nothing changes
    if same_start is not None:
        same_start.update(attrs)
    elif covering is None or any(covering[k] != attrs[k] for k in VERSIONED):
        later = [v for v in versions if v["valid_from"] is not None and v["valid_from"] > start]
        if later:
            raise InvalidInput(
                f"a version from {start} would overlap the recorded version from {_label(later[0]['valid_from'])} "
                f"to {later[0]['valid_to'] or 'now'}: a change takes effect after the last recorded one "
                "(give a later valid_from)"
            )
        end = None
        if covering is not None:
            end, covering["valid_to"] = covering["valid_to"], start
        versions.append({"valid_from": start, "valid_to": end, **attrs})
    last = versions[-1]
    if closed is not None and closed != last["valid_to"]:
        if last["valid_from"] is not None and closed <= last["valid_from"]:
            raise InvalidInput(
                f"closed_on {closed} is not after the start of the last version ({last['valid_from']}): the "
                "facility would close before that version"
            )
        last["valid_to"] = closed
    return versions


def present(versions: list[Version], today: date) -> dict[str, Any]:
    """The facility's present attributes from its versions: those of the version covering ``today``, else of the
    last one before it (status ``closed``) or, not open yet, of the first; with ``opened_on`` and ``closed_on``."""
    current = next((v for v in versions if _covers(v, today)), None)
    if current is None:
        before = [v for v in versions if v["valid_to"] is not None and v["valid_to"] <= today]
        current = {**before[-1], "status": "closed"} if before else versions[0]
    return {
        **{k: current[k] for k in VERSIONED},
        "opened_on": versions[0]["valid_from"],
        "closed_on": versions[-1]["valid_to"],
    }
