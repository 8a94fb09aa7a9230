"""Folium map building blocks: an offline map canvas, layers in the display CRS, legends, the layer summary.

Data arrive in EPSG:4490 lon/lat. On the AMap basemap (GCJ-02) every coordinate is shifted to GCJ-02 before it
is drawn; on the others (OSM, Tianditu, none) it is drawn as is (CGCS2000 = WGS84 at map scale).

Every user-supplied string is escaped here, by maps.escape, on its way into the page: the builders take plain
text (layer names, labels, tooltips, legend entries, feature properties) and escape it themselves; popups are
:class:`~maps.escape.Html` made by :func:`popup_html`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import folium
import numpy
import shapely
from branca.element import Figure, MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template
from shapely.geometry import mapping

from core.crs import STORAGE_CRS, transform_geometry, transform_point
from core.errors import InvalidInput
from core.security_headers import SCRIPT_OPEN
from maps.assets import CLUSTER_CSS, CLUSTER_JS, MAP_CSS, MAP_JS
from maps.escape import Html, joined, markup, text
from maps.labels import VIEWER_WORDS

BASEMAPS = ("none", "osm", "tianditu", "amap")
# The origins each basemap's tiles come from: the only foreign origin a map page may load from (images only;
# its Content-Security-Policy names them, see maps.api).
TILE_ORIGINS: dict[str, tuple[str, ...]] = {
    "none": (),
    "osm": ("https://tile.openstreetmap.org",),
    "tianditu": ("https://*.tianditu.gov.cn",),
    "amap": ("https://*.is.autonavi.com",),
}
ORDOS_CENTRE = (39.6, 108.9)  # lat, lon
ORDOS_BOUNDS = [[37.55, 106.65], [40.9, 111.5]]  # south-west, north-east (lat, lon)
NO_DATA_COLOUR = "#cccccc"
DRAWN_DECIMALS = 6  # degrees drawn to 1e-6 (about 0.1 m): the page carries no false precision

# A small script run after the page has loaded: it reads each overlay of the layer switcher from Leaflet, counts
# its features (leaf layers) and writes the result into <body data-layer-counts>, for readers and for the tests.
LAYER_SUMMARY_JS = """
window.addEventListener("load", function () {
  function leaves(layer) {
    if (typeof layer.getLayers !== "function") { return 1; }
    return layer.getLayers().reduce(function (n, child) { return n + leaves(child); }, 0);
  }
  setTimeout(function () {
    var summary = {leaflet: (window.L && L.version) || null, overlays: {}, base_layers: []};
    Object.keys(window).forEach(function (key) {
      var value = window[key];
      if (/^map_[0-9a-f]+$/.test(key) && window.L && value instanceof L.Map) { summary.map = key; }
      if (/^layer_control_[0-9a-f]+_layers$/.test(key) && value && value.overlays) {
        var map = null;
        Object.keys(window).forEach(function (k) { if (/^map_[0-9a-f]+$/.test(k)) { map = window[k]; } });
        Object.keys(value.overlays).forEach(function (label) {
          var layer = value.overlays[label];
          summary.overlays[label] = {features: leaves(layer), shown: !!(map && map.hasLayer(layer))};
        });
        summary.base_layers = Object.keys(value.base_layers);
      }
    });
    document.body.setAttribute("data-layer-counts", JSON.stringify(summary));
  }, 0);
});
"""

# The page: folium's Figure template with the response's nonce (core.security_headers) on the scripts this code
# writes — the one holding the map's JavaScript, and folium's fixed <script> in the head, which no stored text
# reaches — and never on anything in the body, where the (escaped) text lives.
PAGE = Template(
    '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<title>{{ this.title|e }}</title>\n'
    "{{ this.header.render(**kwargs)|replace('<script>', '" + SCRIPT_OPEN + "') }}\n"
    "</head>\n<body>\n{{ this.html.render(**kwargs) }}\n</body>\n"
    + SCRIPT_OPEN
    + "\n{{ this.script.render(**kwargs) }}\n</script>\n</html>\n"
)


class HtmlPopup(MacroElement):
    """A popup bound with Leaflet alone (folium's Popup builds its content with jQuery, which we do not load)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, {maxWidth: 320});"
        "{% endmacro %}"
    )

    def __init__(self, content: Html) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.content = content


class FeaturePopups(MacroElement):
    """Popups of a GeoJSON layer, each feature's own escaped HTML (its ``popup`` property), bound with Leaflet."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup(function (layer) {"
        " return layer.feature.properties.popup; }, {maxWidth: 360});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FeaturePopups"


class HtmlTooltip(MacroElement):
    """A tooltip bound with its (escaped) HTML as a JSON string (folium's Tooltip puts the text in a JavaScript
    template literal, where a name holding a backtick or ``${...}`` would break out and run)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindTooltip({{ this.text|tojson }}, {sticky: true});"
        "{% endmacro %}"
    )

    def __init__(self, content: Html) -> None:
        super().__init__()
        self._name = "HtmlTooltip"
        self.text = content


class MapControls(MacroElement):
    """A metric-only scale bar, and Leaflet's attribution prefix as plain text (by default it carries a flag)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{{ this._parent.get_name() }}.attributionControl.setPrefix('Leaflet');"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapControls"


class SetView(MacroElement):
    """The map's opening view: a (lat, lon) centre and a zoom."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.setView({{ this.centre|tojson }}, {{ this.zoom|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, centre: tuple[float, float], zoom: int) -> None:
        super().__init__()
        self._name = "SetView"
        self.centre = list(centre)
        self.zoom = zoom


class ViewerStart(MacroElement):
    """Starts the viewer script (maps/static/viewer.js) on the map, its layer switcher, its app options (JSON)
    and the legends tied to overlays (legend element id -> the overlays' JavaScript variables)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "GazViewer.start({{ this._parent.get_name() }}, {{ this.control.get_name() }}, {{ this.app|tojson }}, { "
        "{% for id, layers in this.links %}{{ id|tojson }}: [{{ layers|join(', ') }}],{% endfor %}});"
        "{% endmacro %}"
    )

    def __init__(self, control: folium.LayerControl, app: dict[str, Any], links: list[tuple[str, list[str]]]) -> None:
        super().__init__()
        self._name = "ViewerStart"
        self.control = control
        self.app = app
        self.links = links


class Canvas:
    """A folium map with no CDN asset, a basemap, a title panel, and the display CRS its data are drawn in."""

    def __init__(self, title: str, basemap: str, *, tianditu_key: str = "", notes: Sequence[str] = ()) -> None:
        if basemap not in BASEMAPS:
            raise InvalidInput(f"basemap {basemap!r} is not one of {', '.join(BASEMAPS)}")
        if basemap == "tianditu" and not tianditu_key:
            raise InvalidInput("the Tianditu basemap needs a key: set GAZ_TIANDITU_KEY")
        self.basemap = basemap
        self.display_crs = "GCJ-02" if basemap == "amap" else "EPSG:4326"
        self.map = folium.Map(location=ORDOS_CENTRE, zoom_start=8, tiles=None)
        self.map.options["maxZoom"] = 18  # without a tile layer Leaflet has none; the cluster plugin needs one
        self.map.default_js = MAP_JS
        self.map.default_css = MAP_CSS
        self._page: Figure = self.map.get_root()  # type: ignore[assignment]
        self._page._template = PAGE
        self._page.title = title
        self.map.fit_bounds(ORDOS_BOUNDS)
        self.map.add_child(MapControls())
        self._legends: list[tuple[Html, Sequence[Any]]] = []
        self._add_basemap(tianditu_key)
        shift = "数据已转换为 GCJ-02 以对齐高德底图 (data shifted to GCJ-02 to match the AMap basemap)"
        lines = [*notes, shift] if basemap == "amap" else list(notes)
        self.panel(title, lines)
        self._page.script.add_child(folium.Element(LAYER_SUMMARY_JS))

    def _add_basemap(self, tianditu_key: str) -> None:
        if self.basemap == "osm":
            folium.TileLayer(
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr="© OpenStreetMap contributors", name="OSM"
            ).add_to(self.map)
        elif self.basemap == "tianditu":
            for layer, label in (("vec", "天地图 矢量"), ("cva", "天地图 注记")):
                folium.TileLayer(
                    f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                    f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                    f"&TILECOL={{x}}&tk={tianditu_key}",
                    attr="© 天地图 Tianditu",
                    name=label,
                    subdomains="01234567",
                    overlay=layer == "cva",
                ).add_to(self.map)
        elif self.basemap == "amap":
            folium.TileLayer(
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                attr="© 高德 AMap (GCJ-02)",
                name="高德 AMap",
                subdomains="1234",
            ).add_to(self.map)

    def panel(self, title: str, lines: Sequence[str]) -> None:
        """A fixed panel at the bottom left with the title and notes (method, illustrative data...)."""
        body = joined(markup("<div>{}</div>", line) for line in lines)
        self._page.html.add_child(
            folium.Element(markup('<details class="map-panel" open><summary>{}</summary>{}</details>', title, body))
        )

    def legend(
        self, title: str, entries: Sequence[tuple[str, str]], *, layers: Sequence[Any] = (), points: bool = False
    ) -> None:
        """A legend (colour swatches with labels, collapsible) in the column at the bottom right; with ``layers``
        (overlays) it shows only while one of them is on; ``points``: round symbols, as the points are drawn."""
        shape = "width:10px;height:10px;border-radius:50%" if points else "width:14px;height:10px"
        rows = joined(
            markup(
                '<div><span style="display:inline-block;{};background:{};'
                'margin-right:5px;border:1px solid #666"></span>{}</div>',
                shape,
                colour,
                label,
            )
            for colour, label in entries
        )
        number = len(self._legends)
        html = markup(
            '<details class="map-legend" id="legend-{}" open><summary>{}</summary>{}</details>', number, title, rows
        )
        self._legends.append((html, layers))

    def watermark(self, words: str) -> None:
        """``words`` (plain text) across the map itself, above the layers and under the controls and popups;
        clicks go through (maps/static/viewer.css ``.map-watermark``), and it prints."""
        mark = markup('<div class="map-watermark" aria-hidden="true">{}</div>', words)
        self._page.html.add_child(folium.Element(mark))

    def latlon(self, lon: float, lat: float) -> tuple[float, float]:
        """A storage point as Leaflet's (lat, lon) in the display CRS."""
        x, y = transform_point(lon, lat, STORAGE_CRS, self.display_crs)
        return y, x

    def fit_to(self, bounds: tuple[float, float, float, float]) -> None:
        """Open the map on storage bounds (min lon, min lat, max lon, max lat) instead of the whole city."""
        south_west, north_east = self.latlon(bounds[0], bounds[1]), self.latlon(bounds[2], bounds[3])
        self.map.fit_bounds([list(south_west), list(north_east)])

    def zoom_to(self, lon: float, lat: float, zoom: int = 13) -> None:
        """Open the map at a storage point instead of the whole city (set after the city's fit: it wins)."""
        self.map.add_child(SetView(self.latlon(lon, lat), zoom))

    def geojson(self, geometry: Any) -> dict[str, Any]:
        """A storage geometry (shapely or GeoJSON mapping) as a GeoJSON geometry in the display CRS, its
        coordinates rounded to :data:`DRAWN_DECIMALS`."""
        geom = geometry if isinstance(geometry, shapely.Geometry) else shapely.geometry.shape(geometry)
        shown = transform_geometry(geom, STORAGE_CRS, self.display_crs)
        return dict(mapping(shapely.transform(shown, lambda xy: numpy.round(xy, DRAWN_DECIMALS))))

    def group(self, name: str, *, show: bool = True) -> folium.FeatureGroup:
        """An overlay listed in the layer switcher (``name``: plain text)."""
        group = folium.FeatureGroup(name=text(name), show=show)
        group.add_to(self.map)
        return group

    def cluster(self, name: str, *, show: bool = True) -> MarkerCluster:
        """A clustered overlay (``name``: plain text), its plugin assets served by the app."""
        cluster = MarkerCluster(name=text(name), show=show)
        cluster.default_js = CLUSTER_JS
        cluster.default_css = CLUSTER_CSS
        cluster.add_to(self.map)
        return cluster

    def polygons(
        self,
        name: str,
        features: Sequence[dict[str, Any]],
        *,
        style: Callable[[dict[str, Any]], dict[str, Any]],
        fields: Sequence[str],
        aliases: Sequence[str],
        show: bool = True,
    ) -> folium.GeoJson:
        """One overlay of polygons (features with ``geometry`` in EPSG:4490 and ``properties``) with tooltips,
        and popups where features carry one (``popup``: :class:`Html`, see :func:`popup_html`). The name, the
        aliases and the properties are plain text: escaped here, since folium's GeoJsonTooltip writes them into
        ``innerHTML``."""
        collection = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": self.geojson(f["geometry"]),
                    "properties": {k: _property(v) for k, v in f["properties"].items()}
                    | ({"popup": f["popup"]} if "popup" in f else {}),
                }
                for f in features
            ],
        }
        tooltip = folium.GeoJsonTooltip(fields=list(fields), aliases=[text(a) for a in aliases])
        layer = folium.GeoJson(
            collection, name=text(name), show=show, style_function=style, tooltip=tooltip if features else None
        )
        if any("popup" in f for f in features):
            layer.add_child(FeaturePopups())
        layer.add_to(self.map)
        return layer

    def point(
        self,
        parent: Any,
        lon: float,
        lat: float,
        *,
        popup: Html,
        colour: str,
        radius: float = 5,
        tooltip: str | None = None,
    ) -> None:
        """A circle marker with a popup (made by :func:`popup_html`) and a tooltip (plain text)."""
        marker = folium.CircleMarker(
            self.latlon(lon, lat), radius=radius, color=colour, fill=True, fill_opacity=0.85, weight=1
        )
        marker.add_child(HtmlPopup(popup))
        if tooltip is not None:
            marker.add_child(HtmlTooltip(text(tooltip)))
        marker.add_to(parent)

    def label(self, parent: Any, lon: float, lat: float, label: str) -> None:
        """A text label (Chinese name, plain text) at a point."""
        folium.Marker(
            self.latlon(lon, lat),
            icon=folium.DivIcon(
                html=markup(
                    '<div style="font:bold 12px sans-serif;color:#222;white-space:nowrap;'
                    'text-shadow:0 0 3px #fff,0 0 3px #fff">{}</div>',
                    label,
                ),
                icon_size=(0, 0),
            ),
        ).add_to(parent)

    def circle(self, parent: Any, lon: float, lat: float, radius_m: float, colour: str) -> None:
        """A circle of ``radius_m`` metres on the ground."""
        folium.Circle(
            self.latlon(lon, lat), radius=radius_m, color=colour, weight=1, fill=True, fill_opacity=0.12
        ).add_to(parent)

    def render(self, app: dict[str, Any] | None = None) -> str:
        """The page, with the layer switcher, the legends, and the viewer script (maps/static/viewer.js) started
        on them; ``app`` (plain JSON) switches on the viewer's search, identify, view-in-URL and date controls."""
        control = folium.LayerControl(collapsed=False)
        control.add_to(self.map)
        legends = joined(html for html, _ in self._legends)
        self._page.html.add_child(folium.Element(markup('<div class="map-legends">{}</div>', legends)))
        links = [
            (f"legend-{n}", [layer.get_name() for layer in layers])
            for n, (_, layers) in enumerate(self._legends)
            if layers
        ]
        self.map.add_child(ViewerStart(control, {"words": VIEWER_WORDS, **(app or {})}, links))
        return self._page.render()


def popup_html(title: str, rows: Sequence[tuple[str, Any]], link: str | None = None) -> Html:
    """A popup from plain text: a bold title, label/value rows, and an optional link."""
    lines = [markup("<b>{}</b>", title)]
    lines += [markup("{}: {}", label, value) for label, value in rows if value not in (None, "")]
    if link:
        lines.append(markup('<a href="{}" target="_blank">记录 record</a>', link))
    return joined(lines, "<br>")


def _property(value: Any) -> Any:
    """A feature property as folium's tooltip shows it: numbers and nulls as they are, anything else as
    escaped text."""
    return value if value is None or isinstance(value, int | float) else text(value)


def area_style(colour: str, *, fill_opacity: float = 0.6, dashed: bool = False) -> Callable[[Any], dict[str, Any]]:
    """The style function of a polygon overlay drawn in one colour."""
    style = {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": fill_opacity}
    if dashed:
        style["dashArray"] = "6 4"
    return lambda _: style


def classed_colour(value: float | None, bins: Sequence[tuple[float, str]]) -> str:
    """The colour of the first bin whose upper bound exceeds ``value`` (grey for no value)."""
    if value is None:
        return NO_DATA_COLOUR
    for upper, colour in bins:
        if value < upper:
            return colour
    return bins[-1][1]
