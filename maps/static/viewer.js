/* The map viewer's application glue: plain JavaScript, no framework, served by the app (no CDN).
 *
 * GazViewer.start(map, control, app, legends) runs on every map page (maps/builders.py, ViewerStart):
 * a button folds the layer switcher away; each legend tied to an overlay shows only while it is on; on a phone
 * (under 600 px) the switcher, the notes and the legends start folded. With app options (the viewer, /maps/)
 * it adds the search box (/api/v1/places/autocomplete, Enter: /api/v1/places/search), click-to-identify
 * (/api/v1/reverse and /api/v1/boundaries/at), the basemap and as-of date controls, and keeps the view
 * (centre, zoom, layers) in the URL's fragment; basemap and date are query parameters (the server draws them).
 * A panel lists the stored checks and comparisons and the open dispute cases; picking one draws its findings,
 * disputed pieces or ground, with a legend and a list that zooms to each (the pick is kept in the fragment too).
 *
 * Text from the API reaches the page only through textContent (never innerHTML): see el() below. */
(function () {
  "use strict";

  /* An element with a class and text (textContent: stored names are shown as typed, never parsed). */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* WGS84 -> GCJ-02 (the AMap basemap's datum), the usual published approximation (same as core/crs.py). */
  var A = 6378245.0, EE = 0.00669342162296594323;
  function shiftLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function shiftLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function toGcj02(lon, lat) {
    var dLat = shiftLat(lon - 105, lat - 35), dLon = shiftLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  /* The page's words (maps/labels.py VIEWER_WORDS, in the options every map page gives start()): one phrase with
   * its {name} slots filled. */
  var WORDS = {};
  function say(key, values) {
    return WORDS[key].replace(/\{(\w+)\}/g, function (slot, name) { return String(values[name]); });
  }

  function foldable(map, control, phone) {
    var box = control.getContainer();
    var corner = box.parentNode;
    var button = el("button", "gaz-toggle leaflet-control", say("layers"));
    button.type = "button";
    button.setAttribute("aria-expanded", String(!phone));
    L.DomEvent.disableClickPropagation(button);
    button.addEventListener("click", function () {
      var hidden = box.classList.toggle("gaz-hidden");
      button.setAttribute("aria-expanded", String(!hidden));
    });
    corner.insertBefore(button, corner.firstChild);
    if (phone) { box.classList.add("gaz-hidden"); }
  }

  function tieLegends(map, legends) {
    Object.keys(legends).forEach(function (id) {
      var node = document.getElementById(id), layers = legends[id];
      if (!node) { return; }
      var sync = function () { node.hidden = !layers.some(function (l) { return map.hasLayer(l); }); };
      map.on("overlayadd overlayremove", sync);
      sync();
    });
  }

  function start(map, control, app, legends) {
    var phone = window.matchMedia("(max-width: 600px)").matches;
    WORDS = app.words;
    foldable(map, control, phone);
    tieLegends(map, legends);
    if (phone) {
      document.querySelectorAll(".map-panel, .map-legend").forEach(function (d) { d.removeAttribute("open"); });
    }
    map.getContainer().addEventListener("focusin", function (e) {  // no focus rectangle around a clicked shape
      if (e.target.classList && e.target.classList.contains("leaflet-interactive")) { e.target.blur(); }
    });
    if (app && app.viewer) { new Viewer(map, control, app); }
  }

  /* On a phone a feature popup opens below the search box and the panel's heading, not under them: Leaflet pans
   * the map to keep a popup inside its padding, read when the popup opens (a getter on the popups' default
   * options, which every popup inherits unless it sets its own). */
  function popupsBelow(selectors) {
    Object.defineProperty(L.Popup.prototype.options, "autoPanPaddingTopLeft", {
      configurable: true,
      get: function () {
        var bottom = Math.max.apply(null, selectors.map(function (s) {
          var node = document.querySelector(s);
          return node ? node.getBoundingClientRect().bottom : 0;
        }));
        return L.point(5, bottom + 5);
      }
    });
  }

  /* --- the viewer application ------------------------------------------------------------------------- */
  function Viewer(map, control, app) {
    this.map = map;
    this.control = control;
    this.app = app;
    this.gcj = app.display_crs === "GCJ-02";
    this.marks = L.layerGroup().addTo(map);
    this.card = el("div", "gaz-card gaz-hidden");
    this.card.setAttribute("role", "dialog");
    document.body.appendChild(this.card);
    this.searchBox();
    this.picksPanel();
    if (window.matchMedia("(max-width: 600px)").matches) { popupsBelow([".gaz-box", ".gaz-picks > summary"]); }
    this.hazardsLayer();
    this.vectorLayers();
    this.printHead();
    this.restoreView();
    var self = this;
    window.addEventListener("beforeprint", function () { self.printView(true); });
    window.addEventListener("afterprint", function () { self.printView(false); });
    map.on("click", function (e) { self.identify(e.latlng); });
    map.on("moveend overlayadd overlayremove", function () { self.saveView(); });
    window.gazViewer = this;
  }

  Viewer.prototype.toDisplay = function (lon, lat) {
    return this.gcj ? toGcj02(lon, lat) : [lon, lat];
  };

  Viewer.prototype.api = function (path, params) {
    var query = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined && params[k] !== "") { query.set(k, params[k]); }
    });
    return fetch(path + "?" + query.toString(), {headers: {Accept: "application/json"}}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, status: r.status, body: body}; });
    });
  };

  Viewer.prototype.searchBox = function () {
    var self = this;
    var Box = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = el("div", "gaz-box leaflet-control");
        var input = el("input");
        input.type = "search";
        input.placeholder = say("search");
        input.setAttribute("aria-label", say("search"));
        var hits = el("ul", "gaz-hits");
        hits.setAttribute("role", "listbox");
        var row = el("div", "gaz-row");
        var basemap = el("select");
        basemap.setAttribute("aria-label", say("basemap_label"));
        self.app.basemaps.forEach(function (b) {
          var option = el("option", null, b.label);
          option.value = b.id;
          option.selected = b.id === self.app.basemap;
          basemap.appendChild(option);
        });
        var date = el("input");
        date.type = "date";
        date.value = self.app.as_of || "";
        date.min = "1949-10-01";
        date.setAttribute("aria-label", say("date_label"));
        row.appendChild(el("span", null, say("basemap")));
        row.appendChild(basemap);
        row.appendChild(el("span", null, say("date")));
        row.appendChild(date);
        var links = el("div", "gaz-row");
        self.app.maps.forEach(function (m) {
          var link = el("a", null, m.label);
          link.href = m.href;
          links.appendChild(link);
        });
        box.appendChild(input);
        box.appendChild(row);
        box.appendChild(links);
        box.appendChild(hits);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var print = el("button", null, say("print"));
        print.type = "button";
        print.title = say("print_title");
        print.addEventListener("click", function () {
          self.printView(true);
          window.print();
          self.printView(false);
        });
        row.appendChild(print);
        var download = el("button", null, say("export_geojson"));
        download.type = "button";
        download.title = say("export_geojson_title");
        download.addEventListener("click", function () { self.exportVisible(); });
        row.appendChild(download);
        var table = el("button", null, say("export_csv"));
        table.type = "button";
        table.title = say("export_csv_title");
        table.addEventListener("click", function () { self.exportCsv(table); });
        row.appendChild(table);
        basemap.addEventListener("change", function () { self.reload({basemap: basemap.value}); });
        date.addEventListener("change", function () { self.reload({as_of: date.value}); });
        self.wireSearch(input, hits);
        return box;
      }
    });
    new Box().addTo(this.map);
  };

  Viewer.prototype.wireSearch = function (input, list) {
    var self = this, timer = null, shown = [], chosen = -1, asked = 0;
    function show(results) {
      list.replaceChildren();
      shown = results;
      chosen = -1;
      results.forEach(function (hit, n) {
        var item = el("li");
        item.setAttribute("role", "option");
        item.appendChild(el("div", null, hit.name + (hit.status === "standard" ? "" : " (" + hit.status + ")")));
        item.appendChild(el("div", "gaz-sub", [hit.unit_path_text, hit.category_name].filter(Boolean).join(" · ")));
        item.addEventListener("click", function (e) {
          e.stopPropagation();  // the list empties on pick: Leaflet would no longer see the click came from a control
          pick(n);
        });
        list.appendChild(item);
      });
      if (!results.length && input.value.trim()) { list.appendChild(el("li", "gaz-sub", say("no_match"))); }
    }
    function ask(path, limit) {
      var q = input.value.trim(), number = ++asked;
      if (!q) { show([]); return; }
      var params = {q: q, limit: limit};
      if (path.endsWith("/search")) { params.as_of = self.app.as_of; }
      self.api(path, params).then(function (r) {
        if (number === asked) { show(r.ok ? r.body.results : []); }
      });
    }
    function pick(n) {
      var hit = shown[n];
      if (!hit) { return; }
      list.replaceChildren();
      input.value = hit.name;
      self.showPlace(hit);
    }
    function mark(n) {
      chosen = Math.max(-1, Math.min(shown.length - 1, n));
      Array.prototype.forEach.call(list.children, function (item, k) {
        item.setAttribute("aria-selected", String(k === chosen));
      });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { ask("/api/v1/places/autocomplete", 8); }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { mark(chosen + 1); e.preventDefault(); }
      else if (e.key === "ArrowUp") { mark(chosen - 1); e.preventDefault(); }
      else if (e.key === "Escape") { show([]); }
      else if (e.key === "Enter") {
        e.preventDefault();
        clearTimeout(timer);
        if (chosen >= 0) { pick(chosen); } else { ask("/api/v1/places/search", 10); }
      }
    });
  };

  /* The card: a title, label/value rows, then extra nodes; every text through textContent. */
  Viewer.prototype.openCard = function (title, rows, extra) {
    var card = this.card, self = this;
    card.replaceChildren();
    var close = el("button", "gaz-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", say("close"));
    close.addEventListener("click", function () { card.classList.add("gaz-hidden"); self.marks.clearLayers(); });
    card.appendChild(close);
    card.appendChild(el("h2", null, title));
    var list = el("dl");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      list.appendChild(el("dt", null, row[0]));
      var value = el("dd");
      if (row[1] instanceof Node) { value.appendChild(row[1]); } else { value.textContent = String(row[1]); }
      list.appendChild(value);
    });
    card.appendChild(list);
    (extra || []).forEach(function (node) { card.appendChild(node); });
    card.classList.remove("gaz-hidden");
  };

  Viewer.prototype.showPlace = function (hit) {
    var self = this;
    this.marks.clearLayers();
    var link = el("a", null, say("full_record"));
    link.href = "/maps/places/" + encodeURIComponent(hit.id);
    link.target = "_blank";
    this.openCard(hit.name, [
      [say("romanization"), hit.romanization],
      [say("category"), [hit.category, hit.category_name].filter(Boolean).join(" ")],
      [say("unit"), (hit.unit_path || []).map(function (u) { return u.name; }).join(" › ")],
      [say("status"), hit.status + (hit.valid_to ? say("until", {date: hit.valid_to}) : "")],
      [say("record"), link]
    ]);
    if (hit.point) {
      var at = this.toDisplay(hit.point.lon, hit.point.lat);
      L.circleMarker([at[1], at[0]], {radius: 8, color: "#d7191c", weight: 3, fillOpacity: 0.3}).addTo(this.marks);
      this.map.setView([at[1], at[0]], Math.max(this.map.getZoom(), 12));
    }
    if (hit.unit_code) {
      this.api("/api/v1/units/" + encodeURIComponent(hit.unit_code), {crs: "EPSG:4490", as_of: this.app.as_of})
        .then(function (r) {
          if (!r.ok || !r.body.polygon) { return; }
          var shape = L.geoJSON(r.body.polygon.geometry, {
            coordsToLatLng: function (c) { var d = self.toDisplay(c[0], c[1]); return L.latLng(d[1], d[0]); },
            style: {color: "#d7191c", weight: 2, fill: false, dashArray: "5 4"},
            interactive: false
          }).addTo(self.marks);
          if (!hit.point) { self.map.fitBounds(shape.getBounds()); }
        });
    }
  };

  function distance(m) {
    return m >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m";
  }

  function area(m2) {
    if (m2 === null || m2 === undefined) { return null; }
    return m2 >= 1e5 ? (m2 / 1e6).toFixed(3) + " km²" : m2.toFixed(1) + " m²";
  }

  function swatch(colour) {
    var box = el("span", "gaz-swatch");
    box.style.background = colour;
    return box;
  }

  /* --- checks, comparisons and open dispute cases picked from lists (/api/v1/boundaries/checks, /comparisons,
   * /disputes?status=open) ----------------------------------------------------------------------------------- */
  Viewer.prototype.picksPanel = function () {
    var self = this;
    var Panel = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = el("details", "gaz-box gaz-picks leaflet-control");
        box.appendChild(el("summary", null, say("picks")));
        self.lists = el("div", "gaz-lists");
        self.drawn = el("div", "gaz-drawn");
        box.appendChild(self.lists);
        box.appendChild(self.drawn);
        box.addEventListener("toggle", function () { if (box.open) { self.loadPicks(); } });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        self.picksBox = box;
        return box;
      }
    });
    new Panel().addTo(this.map);
  };

  /* What a pick is called ("#3" after its kind) and what was drawn of it, in words. */
  function pickTitle(kind, id) {
    return say({check: "check_no", comparison: "comparison_no", "case": "case_no"}[kind], {id: id});
  }
  function pickDrawn(kind, id, count) {
    var key = {check: "check_drawn", comparison: "comparison_drawn", "case": "case_drawn"}[kind];
    return say(key, {id: id, count: count});
  }

  Viewer.prototype.levelText = function (level) {
    return this.app.levels[level] || level;
  };

  /* The two lists, newest first, each entry a button naming what it is and what it found (asked once). */
  Viewer.prototype.loadPicks = function () {
    var self = this;
    if (this.listsAsked) { return; }
    this.listsAsked = true;
    this.lists.replaceChildren(el("div", "gaz-sub", say("loading")));
    Promise.all([
      this.api("/api/v1/boundaries/checks", {limit: 20}),
      this.api("/api/v1/boundaries/comparisons", {limit: 20}),
      this.api("/api/v1/boundaries/disputes", {status: "open"})
    ]).then(function (r) {
      self.lists.replaceChildren();
      var checks = r[0].ok ? r[0].body : [], comparisons = r[1].ok ? r[1].body : [], cases = r[2].ok ? r[2].body : [];
      self.lists.appendChild(el("h3", null, say("checks_heading")));
      self.lists.appendChild(self.pickList(checks.map(function (c) {
        var counts = Object.keys(c.by_kind || {}).filter(function (k) { return c.by_kind[k].count; }).map(function (k) {
          return (self.app.finding_styles[k] || [null, k])[1].split(" ")[0] + " " + c.by_kind[k].count;
        });
        return {kind: "check", id: c.id, title: say("check_entry", {id: c.id, as_of: c.as_of}),
          sub: [self.unitName(c.parent_code) || say("all_units"), self.levelText(c.level), self.sourceText(c.source),
            counts.length ? counts.join(say("list_sep")) : say("no_findings")].join(" · ")};
      })));
      self.lists.appendChild(el("h3", null, say("comparisons_heading")));
      self.lists.appendChild(self.pickList(comparisons.map(function (c) {
        var disputed = c.disputed || {count: 0, area_m2: 0};
        return {kind: "comparison", id: c.id, title: say("comparison_entry", {id: c.id, as_of: c.as_of}),
          sub: [self.sourceText(c.first_label) + " / " + self.sourceText(c.second_label),
            self.unitName(c.parent_code) || "", self.levelText(c.level),
            say("disputed_pieces", {count: disputed.count, area: area(disputed.area_m2)})].filter(Boolean).join(" · ")};
      })));
      self.lists.appendChild(el("h3", null, say("cases_heading")));
      self.lists.appendChild(self.pickList(cases.map(function (c) {
        return {kind: "case", id: c.id, title: say("case_entry", {id: c.id, title: c.title}),
          sub: [c.units.map(function (u) { return self.unitName(u); }).join(say("list_sep")),
            (c.created_at || "").slice(0, 10), say("documents_count", {count: c.documents.length}),
            c.comparison_id ? say("comparison_no", {id: c.comparison_id}) : null,
            c.geometry ? null : say("no_ground")].filter(Boolean).join(" · ")};
      })));
    });
  };

  Viewer.prototype.sourceText = function (source) {  // a polygon source in words (maps.service.POLYGON_SOURCES)
    var known = Object.prototype.hasOwnProperty.call(this.app.polygon_sources, source);
    return known ? this.app.polygon_sources[source] : source;
  };

  Viewer.prototype.unitName = function (code) {
    if (!code) { return null; }
    var full = code.length < 12 ? (code + "000000000000").slice(0, 12) : code;
    return this.app.unit_names[full] || code;
  };

  Viewer.prototype.pickList = function (entries) {
    var self = this, list = el("ul", "gaz-list");
    if (!entries.length) { list.appendChild(el("li", "gaz-sub", say("none_stored"))); }
    entries.forEach(function (entry) {
      var item = el("li"), button = el("button", "gaz-pick");
      button.type = "button";
      button.dataset.pick = entry.kind + "/" + entry.id;
      button.appendChild(el("div", null, entry.title));
      button.appendChild(el("div", "gaz-sub", entry.sub));
      button.addEventListener("click", function () { self.pick(entry.kind, entry.id, true); });
      item.appendChild(button);
      list.appendChild(item);
    });
    return list;
  };

  /* Draw a stored check's findings or a comparison's disputed pieces, coloured by kind, with a legend and the
   * list of what was drawn (a click zooms to it); the pick is kept in the URL (#...&pick=check/3). */
  Viewer.prototype.pick = function (kind, id, fit) {
    var self = this;
    var path = {check: "/api/v1/boundaries/checks/" + id + "/findings.geojson",
      comparison: "/api/v1/boundaries/comparisons/" + id + "/pieces.geojson",
      "case": "/api/v1/boundaries/disputes/" + id}[kind];
    this.clearPick();
    this.picked = {kind: kind, id: id, layer: null};
    this.picksBox.open = true;
    this.drawn.replaceChildren(el("div", "gaz-sub", say("loading")));
    this.saveView();
    return this.api(path, {}).then(function (r) {
      if (!self.picked || self.picked.id !== id || self.picked.kind !== kind) { return; }
      if (!r.ok) {
        self.drawn.replaceChildren(el("div", "gaz-sub", say("could_not_load", {reason: r.body.detail || r.status})));
        return;
      }
      var drawn = kind !== "case" ? r.body : {type: "FeatureCollection", features: r.body.geometry
        ? [{type: "Feature", geometry: r.body.geometry, properties: r.body}] : []};
      self.drawPick(kind, id, drawn, fit);
    });
  };

  Viewer.prototype.findingStyle = function (kind, props) {
    if (kind === "case") {
      var status = this.app.case_styles[props.status] || ["#000", props.status];
      return {key: props.status, colour: status[0], label: say("case_status", {status: status[1]})};
    }
    if (kind === "check") {
      var style = this.app.finding_styles[props.kind] || ["#000", props.kind];
      return {key: props.kind, colour: style[0], label: style[1]};
    }
    var key = !props.second_unit ? "first_only" : !props.first_unit ? "second_only" : "between";
    var piece = this.app.piece_styles[key];
    return {key: key, colour: piece[0],
      label: piece[1].split("{first}").join(props.first).split("{second}").join(props.second)};
  };

  Viewer.prototype.findingRows = function (kind, props, style) {
    var self = this;
    var units = function (codes) {
      return codes.map(function (c) { return c ? (self.unitName(c) === c ? c : self.unitName(c) + " " + c) : say("none"); })
        .join(say("list_sep"));
    };
    var names = function (items) {
      return items ? items.map(function (i) { return i.name; }).join(say("list_sep")) || say("none") : null;
    };
    if (kind === "case") {
      return [
        [say("case"), props.title],
        [say("status"), style.label],
        [say("units"), units(props.units)],
        [say("documents"), props.documents.map(function (d) {
          return [d.title, d.reference].filter(Boolean).join(" ");
        }).join(say("documents_sep")) || null],
        [say("comparison"), props.comparison_id ? "#" + props.comparison_id + (props.piece_ids.length ?
          say("case_pieces", {count: props.piece_ids.length}) : "") : null]
      ];
    }
    if (kind === "check") {
      var piece = props.piece && props.piece !== props.kind ? this.app.finding_styles[props.piece] : null;
      return [
        [say("kind"), style.label + (piece ? " / " + piece[1] : "")],
        [say("area"), area(props.area_m2)],
        [say("width"), props.width_m === null || props.width_m === undefined ? null : props.width_m.toFixed(2) + " m"],
        [say("units"), units(props.units || [])],
        [say("detail"), props.detail]
      ];
    }
    return [
      [say("kind"), style.label],
      [say("area"), area(props.area_m2)],
      [say("owner", {source: props.first}), units([props.first_unit])],
      [say("owner", {source: props.second}), units([props.second_unit])],
      [say("places_inside"), names(props.places)],
      [say("facilities_inside"), names(props.facilities)]
    ];
  };

  function rowsNode(title, rows) {
    var box = el("div", "gaz-popup");
    box.appendChild(el("b", null, title));
    var list = el("dl");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      list.appendChild(el("dt", null, row[0]));
      list.appendChild(el("dd", null, row[1]));
    });
    box.appendChild(list);
    return box;
  }

  Viewer.prototype.drawPick = function (kind, id, collection, fit) {
    var self = this, counts = {}, entries = [];
    var layer = L.geoJSON(collection, {
      coordsToLatLng: function (c) { var d = self.toDisplay(c[0], c[1]); return L.latLng(d[1], d[0]); },
      style: function (feature) {
        var colour = self.findingStyle(kind, feature.properties).colour;
        return {color: colour, weight: 2, fillColor: colour, fillOpacity: 0.55};
      },
      onEachFeature: function (feature, shape) {
        var props = feature.properties, style = self.findingStyle(kind, props);
        counts[style.key] = counts[style.key] || {style: style, count: 0};
        counts[style.key].count += 1;
        shape.bindPopup(rowsNode(style.label + " #" + props.id, self.findingRows(kind, props, style)), {maxWidth: 340});
        shape.on("click", function (e) { L.DomEvent.stopPropagation(e); });  // no identify card under the popup
        entries.push({shape: shape, style: style, props: props});
      }
    }).addTo(this.map);
    this.picked.layer = layer;
    var head = el("div", "gaz-drawn-head");
    head.appendChild(el("b", null, pickDrawn(kind, id, entries.length)));
    var clear = el("button", "gaz-clear", say("clear"));
    clear.type = "button";
    clear.addEventListener("click", function () { self.clearPick(); self.saveView(); });
    head.appendChild(clear);
    var legend = el("details", "map-legend gaz-pick-legend");
    legend.open = true;
    legend.appendChild(el("summary", null, pickTitle(kind, id)));
    Object.keys(counts).forEach(function (k) {
      var row = el("div");
      row.appendChild(swatch(counts[k].style.colour));
      row.appendChild(document.createTextNode(counts[k].style.label + " " + counts[k].count));
      legend.appendChild(row);
    });
    var column = document.querySelector(".map-legends");
    if (column) { column.insertBefore(legend, column.firstChild); }
    this.picked.legend = legend;
    var list = el("ol", "gaz-findings");
    entries.forEach(function (entry) {
      var item = el("li"), button = el("button", "gaz-finding");
      button.type = "button";
      button.appendChild(swatch(entry.style.colour));
      var units = kind === "comparison" ? [entry.props.first_unit, entry.props.second_unit] : entry.props.units || [];
      button.appendChild(document.createTextNode([entry.style.label.split(" ")[0], area(entry.props.area_m2),
        units.filter(Boolean).map(function (c) { return self.unitName(c); }).join(" / ")].filter(Boolean).join(" · ")));
      button.addEventListener("click", function () { self.zoomTo(entry.shape); });
      item.appendChild(button);
      list.appendChild(item);
    });
    this.drawn.replaceChildren(head, list);
    if (!entries.length) { this.drawn.appendChild(el("div", "gaz-sub", say("nothing_to_draw"))); }
    if (fit && entries.length) { this.map.fitBounds(layer.getBounds(), {maxZoom: 16}); }
    if (fit && window.matchMedia("(max-width: 600px)").matches) { this.picksBox.open = false; }  // show the map
  };

  Viewer.prototype.zoomTo = function (shape) {
    this.map.fitBounds(shape.getBounds(), {maxZoom: 17, animate: false});
    shape.openPopup();
  };

  Viewer.prototype.clearPick = function () {
    if (this.picked && this.picked.layer) { this.map.removeLayer(this.picked.layer); }
    if (this.picked && this.picked.legend) { this.picked.legend.remove(); }
    this.picked = null;
    if (this.drawn) { this.drawn.replaceChildren(); }
  };

  /* --- the banners' polygons and the township and village points from the service's vector tiles
   * (maps/static/vectortiles.js): one switcher overlay each, from the tiles' first zoom on (the name says so), at
   * the viewer's date; a click on a point opens its card instead of identify's (a click in a polygon identifies) */
  Viewer.prototype.vectorLayers = function () {
    var self = this;
    this.tiled = (this.app.tile_layers || []).map(function (spec) {
      var codes = spec.codes ? new Set(spec.codes) : null;
      var style = spec.points ? {colour: spec.colour, radius: spec.radius, weight: 1}
        : {colour: spec.colour, weight: 2, fill: spec.fill_opacity ? spec.colour : null,
          fillOpacity: spec.fill_opacity, dash: spec.dashed ? [6, 4] : null};
      var layer = GazTiles.layer({
        collection: spec.collection,
        minZoom: spec.minzoom || 0,
        datetime: self.app.as_of,
        filter: codes ? function (props) { return codes.has(props.unit_code); } : null,
        labelZoom: spec.label_zoom || 99,
        label: spec.points ? function (props) { return props.name; } : null,
        style: function () { return style; },
        shift: self.gcj ? toGcj02 : null,
        bounds: self.app.city_bounds,
        pane: "overlayPane"
      });
      self.control.addOverlay(layer, spec.name);  // put on the map by restoreView: once the view is set
      return {spec: spec, layer: layer};
    });
  };

  Viewer.prototype.tileHit = function (latlng) {
    var map = this.map;
    for (var n = this.tiled.length - 1; n >= 0; n -= 1) {
      var found = this.tiled[n].spec.points && map.hasLayer(this.tiled[n].layer) && this.tiled[n].layer.hit(latlng);
      if (found) { return {spec: this.tiled[n].spec, feature: found}; }
    }
    return null;
  };

  Viewer.prototype.showUnit = function (spec, feature) {
    var props = feature.props, link = el("a", null, say("unit_record"));
    link.href = "/api/v1/units/" + encodeURIComponent(props.code) + (this.app.as_of ? "?as_of=" + this.app.as_of : "");
    link.target = "_blank";
    this.openCard(props.name, [
      [say("level"), this.levelText(spec.level)],
      [say("code"), props.code],
      [say("kind"), props.kind],
      [say("parent"), props.parent_code ? this.unitName(props.parent_code) : null],
      [say("valid"), (props.valid_from || "?") + " – " + (props.valid_to || say("now"))],
      [say("location"), props.geometry_kind === "polygon" ? say("registered_polygon") : say("reference_point")],
      [say("as_of"), this.app.as_of],
      [say("record"), link]
    ]);
  };

  Viewer.prototype.identify = function (latlng) {
    var self = this, hit = this.tileHit(latlng);
    if (hit) {
      this.marks.clearLayers();
      this.showUnit(hit.spec, hit.feature);
      return;
    }
    var where = {lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6), crs: this.gcj ? "GCJ-02" : "EPSG:4326",
      as_of: this.app.as_of};
    this.marks.clearLayers();
    L.circleMarker(latlng, {radius: 5, color: "#000", weight: 2, fill: false, interactive: false}).addTo(this.marks);
    Promise.all([this.api("/api/v1/reverse", where), this.api("/api/v1/boundaries/at", where)]).then(function (r) {
      var reverse = r[0], at = r[1];
      var path = reverse.ok ? reverse.body.path.map(function (u) { return u.name; }).join(" › ") : null;
      var nearest = el("ul");
      (reverse.ok ? reverse.body.nearest : []).forEach(function (u) {
        nearest.appendChild(el("li", null, u.name + " " + distance(u.distance_m)));
      });
      var line = at.ok && at.body.nearest_line;
      var dispute = null;
      if (at.ok) {
        dispute = at.body.in_dispute
          ? say("in_dispute_yes", {pieces: at.body.disputed_pieces.length, cases: at.body.open_disputes.length})
          : say("no");
      }
      self.openCard(path ? path.split(" › ").pop() : say("outside"), [
        [say("unit_path"), path],
        [say("lon_lat"), where.lon + ", " + where.lat + " (" + where.crs + ")"],
        [say("nearest_line"), line ? line.units.map(function (c) { return self.app.unit_names[c] || c; })
          .join(" — ") + " " + distance(line.distance_m) : null],
        [say("in_dispute"), dispute],
        [say("as_of"), self.app.as_of]
      ], nearest.children.length ? [el("div", "gaz-sub", say("nearest_points")), nearest] : []);
    });
  };

  /* --- boundary hazards (/api/v1/boundaries/hazards?format=geojson): a switcher overlay asked for when first
   * switched on (the screening takes a while), sections coloured by score, the reasons in the popup ---------- */
  Viewer.prototype.hazardsLayer = function () {
    var self = this, layer = L.featureGroup(), asked = false, bins = this.app.hazard_bins;
    this.control.addOverlay(layer, say("hazards_layer"));
    var legend = el("details", "map-legend");
    legend.open = !window.matchMedia("(max-width: 600px)").matches;
    legend.appendChild(el("summary", null, say("hazard_legend")));
    bins.forEach(function (bin) {
      var row = el("div");
      row.appendChild(swatch(bin[1]));
      row.appendChild(document.createTextNode(bin[2]));
      legend.appendChild(row);
    });
    legend.hidden = true;
    var column = document.querySelector(".map-legends");
    if (column) { column.appendChild(legend); }
    function colour(score) {
      for (var n = 0; n < bins.length; n += 1) {
        if (bins[n][0] === null || score < bins[n][0]) { return bins[n][1]; }
      }
      return bins[bins.length - 1][1];
    }
    layer.on("remove", function () { legend.hidden = true; });
    layer.on("add", function () {
      legend.hidden = false;
      if (asked) { return; }
      asked = true;
      self.api("/api/v1/boundaries/hazards", {format: "geojson", unit: self.app.city_code, as_of: self.app.as_of})
        .then(function (r) {
          if (!r.ok) { return; }
          L.geoJSON(r.body, {
            coordsToLatLng: function (c) { var d = self.toDisplay(c[0], c[1]); return L.latLng(d[1], d[0]); },
            style: function (f) { return {color: colour(f.properties.score), weight: 5, opacity: 0.9}; },
            onEachFeature: function (f, shape) {
              var p = f.properties;
              var units = p.units.map(function (c) { return self.unitName(c); }).join(" — ");
              var box = rowsNode(say("hazard", {units: units}), [
                [say("score"), say("score_rank", {score: p.score, rank: p.rank})],
                [say("section"), p.section + "/" + p.of + ", " + p.from_km + "–" + p.to_km + " km"]
              ]);
              var reasons = el("ul");
              (p.reasons.length ? p.reasons : [say("no_hazard")]).forEach(function (reason) {
                reasons.appendChild(el("li", null, reason));
              });
              box.appendChild(el("div", "gaz-sub", say("reasons")));
              box.appendChild(reasons);
              shape.bindPopup(box, {maxWidth: 360});
              shape.on("click", function (e) { L.DomEvent.stopPropagation(e); });
            }
          }).eachLayer(function (shape) { layer.addLayer(shape); });
        });
    });
    this.hazards = layer;
  };

  /* The print view (A4 landscape, maps/static/viewer.css): a head with title, date, source and printing date, a
   * north arrow, the notes and the legends of the layers shown, the scale bar; the controls are left out. */
  Viewer.prototype.printHead = function () {
    var head = el("div", "gaz-print-head");
    head.appendChild(el("h1", null, document.title));
    var today = new Date().toISOString().slice(0, 10);
    head.appendChild(el("div", null, say("print_head", {as_of: this.app.as_of || today, today: today,
      basemap: this.app.basemap})));
    head.appendChild(el("div", "gaz-approval", say("approval", {number: this.app.approval_number ||
      say("approval_placeholder")})));
    document.body.appendChild(head);
    document.body.appendChild(el("div", "gaz-north", "N ▲"));
  };

  Viewer.prototype.printView = function (on) {
    if (on === document.body.classList.contains("gaz-print")) { return; }
    var centre = this.map.getCenter(), zoom = this.map.getZoom();
    document.body.classList.toggle("gaz-print", on);
    document.querySelectorAll(".map-panel, .map-legend").forEach(function (d) {
      if (on) { d.dataset.wasOpen = String(d.open); d.open = true; } else { d.open = d.dataset.wasOpen === "true"; }
    });
    this.map.invalidateSize({pan: false});
    this.map.setView(centre, zoom, {animate: false});
  };

  /* Text of escaped HTML (folium's properties, tooltips and labels are escaped strings): parsed in a detached
   * document, which runs nothing and touches nothing on the page. */
  function plain(html) {
    if (typeof html !== "string") { return html; }
    return new DOMParser().parseFromString(html, "text/html").documentElement.textContent;
  }

  /* What the map shows, as one GeoJSON FeatureCollection: every feature of every overlay that is on (and the
   * picked check or comparison), each with its layer's name; coordinates as drawn (GCJ-02 on AMap). */
  Viewer.prototype.visibleGeoJSON = function () {
    var map = this.map, features = [];
    var shown = this.overlays().filter(function (l) { return map.hasLayer(l.layer); });
    if (this.picked && this.picked.layer) {
      shown.push({name: pickTitle(this.picked.kind, this.picked.id), layer: this.picked.layer});
    }
    function walk(layer, name) {
      if (typeof layer.getLayers === "function") {
        layer.getLayers().forEach(function (child) { walk(child, name); });
        return;
      }
      if (typeof layer.toGeoJSON !== "function") { return; }
      var feature = layer.toGeoJSON(6), props = {layer: plain(name)};
      Object.keys((layer.feature && layer.feature.properties) || {}).forEach(function (k) {
        if (k !== "popup") { props[k] = plain(layer.feature.properties[k]); }
      });
      var tooltip = layer.getTooltip && layer.getTooltip();
      var icon = layer.options && layer.options.icon && layer.options.icon.options.html;
      if (tooltip && props.name === undefined) { props.name = plain(tooltip.getContent()); }
      if (icon && props.name === undefined) { props.name = plain(icon); }
      features.push({type: "Feature", geometry: feature.geometry, properties: props});
    }
    shown.forEach(function (l) {
      if (typeof l.layer.drawn !== "function") { walk(l.layer, l.name); return; }
      l.layer.drawn().forEach(function (f) {  // a vector tile layer: what is drawn in view, in the display CRS
        var props = {layer: plain(l.name)};
        Object.keys(f.props).forEach(function (k) { props[k] = f.props[k]; });
        features.push({type: "Feature", geometry: f.geometry, properties: props});
      });
    });
    return {type: "FeatureCollection", display_crs: this.app.display_crs, as_of: this.app.as_of, features: features};
  };

  Viewer.prototype.exportVisible = function () {
    this.save(new Blob([JSON.stringify(this.visibleGeoJSON())], {type: "application/geo+json"}), "geojson");
  };

  /* The same features as a table, written by the server (POST /maps/export.csv: UTF-8 with BOM for Excel, the
   * position as lon/lat in CGCS2000, the AMap shift undone); a refusal is said on the button. */
  Viewer.prototype.exportCsv = function (button) {
    var self = this;
    fetch("/maps/export.csv", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(this.visibleGeoJSON())}).then(function (r) {
      if (r.ok) { return r.blob().then(function (blob) { self.save(blob, "csv"); }); }
      return r.json().then(function (body) { throw new Error(body.detail || String(r.status)); });
    }).catch(function (error) {
      button.title = say("export_failed", {reason: error.message});
      button.textContent = say("export_csv") + " ⚠";
    });
  };

  Viewer.prototype.save = function (blob, suffix) {
    var link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = "ordos-map-" + (this.app.as_of || new Date().toISOString().slice(0, 10)) + "." + suffix;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  };

  /* The view in the URL: #map=zoom/lat/lon&layers=a|b (overlay names); basemap and date in the query. */
  Viewer.prototype.overlays = function () {
    return this.control._layers.filter(function (l) { return l.overlay; });
  };

  Viewer.prototype.saveView = function () {
    var c = this.map.getCenter(), map = this.map;
    var on = this.overlays().filter(function (l) { return map.hasLayer(l.layer); }).map(function (l) {
      return l.name;
    });
    var hash = "#map=" + this.map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5) +
      "&layers=" + on.map(encodeURIComponent).join("|") +
      (this.picked ? "&pick=" + this.picked.kind + "/" + this.picked.id : "");
    history.replaceState(null, "", location.pathname + location.search + hash);
  };

  Viewer.prototype.restoreView = function () {
    var state = new URLSearchParams(location.hash.slice(1)), map = this.map;
    var view = (state.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(isFinite)) { map.setView([view[1], view[2]], view[0], {animate: false}); }
    if (!state.has("layers")) {
      this.tiled.forEach(function (t) { if (t.spec.shown) { map.addLayer(t.layer); } });
    } else {
      var wanted = state.get("layers").split("|").filter(Boolean).map(decodeURIComponent);
      this.overlays().forEach(function (l) {
        var want = wanted.indexOf(l.name) >= 0;
        if (want && !map.hasLayer(l.layer)) { map.addLayer(l.layer); }
        if (!want && map.hasLayer(l.layer)) { map.removeLayer(l.layer); }
      });
    }
    var pick = /^(check|comparison|case)\/([1-9][0-9]{0,17})$/.exec(state.get("pick") || "");
    if (pick) { this.pick(pick[1], pick[2], view.length !== 3); }
  };

  Viewer.prototype.reload = function (changes) {
    var query = new URLSearchParams(location.search);
    Object.keys(changes).forEach(function (k) {
      if (changes[k] && changes[k] !== "none") { query.set(k, changes[k]); } else { query.delete(k); }
    });
    this.saveView();
    location.assign(location.pathname + "?" + query.toString() + location.hash);
  };

  window.GazViewer = {start: start, toGcj02: toGcj02};
})();
