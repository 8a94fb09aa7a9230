"""The one place where text becomes HTML on the map pages.

Leaflet writes layer-switcher labels, tooltips, popups and the DivIcon labels with ``innerHTML``, and folium's
GeoJSON tooltips put feature properties into ``innerHTML`` too; the panels and legends are HTML in the page.
Every user-supplied string reaching one of them (a polygon source, a unit, place or facility name, a
prohibited-zone layer or feature name, a claim's label...) goes through :func:`text` in the builders
(maps/builders.py), so ``<img src=x onerror=...>`` shows as those characters and runs nothing. Markup made
from escaped text is typed :class:`Html`: the builders take ``Html`` where they expect markup, so a raw ``str``
there is a type error (mypy)."""

from __future__ import annotations

import html
from collections.abc import Iterable


class Html(str):
    """HTML made from escaped text and fixed tags (by :func:`text`, :func:`markup` and :func:`joined`)."""

    __slots__ = ()


def text(value: object) -> Html:
    """``value`` as HTML text (``& < > " '`` escaped); markup already made (:class:`Html`) is kept as it is."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def markup(template: str, *values: object) -> Html:
    """Fixed markup ``template`` with ``{}`` fields filled by ``values`` as escaped text (:func:`text`)."""
    return Html(template.format(*(text(v) for v in values)))


def joined(parts: Iterable[Html], separator: str = "") -> Html:
    """Pieces of markup one after the other, with a fixed ``separator`` (e.g. ``<br>``)."""
    return Html(separator.join(parts))
