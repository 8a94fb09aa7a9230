"""Replay of unit lists across statistical releases as name events (no database here).

Rules (a release date bounds the change, it does not date it: a change seen first in release R happened
between the previous release and R; events carry R as their effective date and the previous release):
1. Names are compared as place names (names.unit_place_name: …街道办事处 = …街道, …苏木乡 = …苏木,
   …管理委员会 dropped). A change of form only is no event.
2. A code missing from one release and back in the next was not abolished: the unit continues.
3. A code that disappears in the same release as a new code of the same county appears with the same
   place name is a recode of the same place, not an abolition and a naming.
4. Otherwise a code whose place name changes is a rename (更名); a new code is a naming (命名); a code that
   disappears (and is not back in the next release) is abolished (销名). Units of the first release are the
   starting state (their naming predates the data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gazetteer.places.names import unit_place_name


@dataclass
class Period:
    """One name of a place over a span of releases."""

    code: str
    name: str
    statistical_name: str
    valid_from: date
    valid_to: date | None = None


@dataclass
class Place:
    """A place followed across releases: its names (oldest first) and whether it was abolished."""

    key: int
    periods: list[Period] = field(default_factory=list)
    abolished: date | None = None

    @property
    def current(self) -> Period:
        """The latest period."""
        return self.periods[-1]


@dataclass(frozen=True)
class Event:
    """A name event found by the replay."""

    kind: str  # naming, renaming, retirement, recode
    effective_date: date
    previous_release: date | None
    old_code: str | None
    new_code: str | None
    old_name: str | None
    new_name: str | None
    place_key: int

    def as_row(self) -> dict[str, str]:
        """CSV row of the fixture."""
        return {
            "effective_date": self.effective_date.isoformat(),
            "previous_release": self.previous_release.isoformat() if self.previous_release else "",
            "kind": self.kind,
            "old_code": self.old_code or "",
            "new_code": self.new_code or "",
            "old_name": self.old_name or "",
            "new_name": self.new_name or "",
        }


def replay(releases: dict[date, dict[str, str]]) -> tuple[list[Place], list[Event]]:
    """Places and events from ``{release date: {code: statistical name}}`` (rules in the module docstring)."""
    dates = sorted(releases)
    places: list[Place] = []
    active: dict[str, Place] = {}
    events: list[Event] = []
    for index, day in enumerate(dates):
        listed = releases[day]
        following = releases[dates[index + 1]] if index + 1 < len(dates) else None
        previous = dates[index - 1] if index else None
        if previous is None:
            for code, stat in sorted(listed.items()):
                place = Place(len(places), [Period(code, unit_place_name(stat), stat, day)])
                places.append(place)
                active[code] = place
            continue
        gone = [c for c in sorted(active) if c not in listed and not (following is not None and c in following)]
        new = [c for c in sorted(listed) if c not in active]
        for code in sorted(set(active) & set(listed)):
            place, stat = active[code], listed[code]
            name = unit_place_name(stat)
            if name != place.current.name:
                place.current.valid_to = day
                place.periods.append(Period(code, name, stat, day))
                events.append(Event("renaming", day, previous, code, code, place.periods[-2].name, name, place.key))
            else:
                place.current.statistical_name = stat
        for code in new:
            name = unit_place_name(listed[code])
            recoded = next((g for g in gone if g[:6] == code[:6] and active[g].current.name == name), None)
            if recoded is not None:
                place = active.pop(recoded)
                gone.remove(recoded)
                place.current.valid_to = day
                place.periods.append(Period(code, name, listed[code], day))
                events.append(Event("recode", day, previous, recoded, code, name, name, place.key))
            else:
                place = Place(len(places), [Period(code, name, listed[code], day)])
                places.append(place)
                events.append(Event("naming", day, previous, None, code, None, name, place.key))
            active[code] = place
        for code in gone:
            place = active.pop(code)
            place.current.valid_to = day
            place.abolished = day
            events.append(Event("retirement", day, previous, code, None, place.current.name, None, place.key))
    events.sort(key=lambda e: (e.effective_date, e.old_code or e.new_code or "", e.kind))
    return places, events
