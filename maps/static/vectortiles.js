/* The service's own vector tiles (/tiles/{collection}/{z}/{x}/{y}.mvt) drawn on canvas: a small Protocol Buffers
 * reader, a Mapbox Vector Tile decoder and a Leaflet GridLayer that draws points, lines and polygons styled per
 * layer, labels points from a zoom on (text markers over the tiles), and finds the feature under a click. Plain JavaScript, no library but
 * Leaflet; served by the app (no CDN).
 *
 * References: Mapbox Vector Tile Specification 2.1 (https://github.com/mapbox/vector-tile-spec/tree/master/2.1,
 * "spec" below, with its section numbers) and the Protocol Buffers encoding it is written in
 * (https://protobuf.dev/programming-guides/encoding/, "protobuf" below).
 *
 * GazTiles.layer(options) -> a GridLayer: {collection, minZoom (the collection's minzoom in its TileJSON),
 * datetime (the as-of date, passed to the tile route), filter(props) -> bool, style(props) -> {colour, radius,
 * weight, fill (a polygon's fill colour, none without), fillOpacity, dash}, label(props) -> text, labelZoom,
 * shift(lon, lat) -> [lon, lat] (the display CRS: GCJ-02 on AMap)}.
 * layer.drawn() lists the distinct features drawn in the current view; layer.hit(latlng) the one under a point. */
(function () {
  "use strict";

  var TILE = 256;  // CSS pixels of a drawn tile

  /* --- protobuf: a reader of varints (base 128, least significant group first, protobuf "Base 128 Varints"),
   * fixed 32/64-bit little-endian numbers and length-delimited fields (protobuf "Message Structure": wire types
   * 0 VARINT, 1 I64, 2 LEN, 5 I32). Arithmetic instead of bit operators: a uint64 does not fit 32 bits. */
  function Reader(bytes) {
    this.bytes = bytes;
    this.pos = 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  Reader.prototype.done = function () { return this.pos >= this.bytes.length; };
  Reader.prototype.varint = function () {
    var value = 0, scale = 1, byte;
    do {
      if (this.pos >= this.bytes.length) { throw new Error("truncated varint"); }
      byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    return value;
  };
  Reader.prototype.key = function () {  // a field's tag: field number << 3 | wire type
    var tag = this.varint();
    return {field: Math.floor(tag / 8), wire: tag % 8};
  };
  Reader.prototype.sub = function () {  // a LEN field as a reader of its own bytes
    var length = this.varint(), sub = new Reader(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return sub;
  };
  Reader.prototype.string = function () {
    return new TextDecoder().decode(this.sub().bytes);
  };
  Reader.prototype.packed = function () {  // a packed repeated uint32 (protobuf "Packed Repeated Fields")
    var sub = this.sub(), out = [];
    while (!sub.done()) { out.push(sub.varint()); }
    return out;
  };
  Reader.prototype.skip = function (wire) {
    if (wire === 0) { this.varint(); } else if (wire === 1) { this.pos += 8; } else if (wire === 2) { this.sub(); }
    else if (wire === 5) { this.pos += 4; } else { throw new Error("unknown wire type " + wire); }
  };

  /* spec 4.3.2 (parameter integers): zigzag-encoded, (n << 1) ^ (n >> 31); decoded without 32-bit overflow. */
  function zigzag(n) { return n % 2 ? -(n + 1) / 2 : n / 2; }

  /* spec 4.1 (layers: name 1, features 2, keys 3, values 4, extent 5 defaulting to 4096, version 15),
   * 4.2 (features: id 1, tags 2 as key/value index pairs, type 3, geometry 4), 4.5 (values: string 1, float 2,
   * double 3, int64 4, uint64 5, sint64 6, bool 7). A tile is its layers (field 3 of the Tile message). */
  function decodeTile(bytes) {
    var tile = new Reader(bytes), layers = {};
    while (!tile.done()) {
      var key = tile.key();
      if (key.field === 3 && key.wire === 2) {
        var layer = decodeLayer(tile.sub());
        layers[layer.name] = layer;
      } else { tile.skip(key.wire); }
    }
    return layers;
  }

  function decodeLayer(r) {
    var layer = {name: "", extent: 4096, keys: [], values: [], features: []}, raw = [];
    while (!r.done()) {
      var key = r.key();
      if (key.field === 1) { layer.name = r.string(); }
      else if (key.field === 2) { raw.push(r.sub()); }
      else if (key.field === 3) { layer.keys.push(r.string()); }
      else if (key.field === 4) { layer.values.push(decodeValue(r.sub())); }
      else if (key.field === 5) { layer.extent = r.varint(); }
      else { r.skip(key.wire); }
    }
    layer.features = raw.map(function (f) { return decodeFeature(f, layer); });
    return layer;
  }

  function decodeValue(r) {
    var value = null;
    while (!r.done()) {
      var key = r.key();
      if (key.field === 1) { value = r.string(); }
      else if (key.field === 2) { value = r.view.getFloat32(r.pos, true); r.pos += 4; }
      else if (key.field === 3) { value = r.view.getFloat64(r.pos, true); r.pos += 8; }
      else if (key.field === 4) { value = r.varint(); if (value >= 9223372036854775808) { value -= 18446744073709551616; } }
      else if (key.field === 5) { value = r.varint(); }
      else if (key.field === 6) { value = zigzag(r.varint()); }
      else if (key.field === 7) { value = r.varint() !== 0; }
      else { r.skip(key.wire); }
    }
    return value;
  }

  function decodeFeature(r, layer) {
    var feature = {id: null, type: 0, props: {}, rings: []};
    while (!r.done()) {
      var key = r.key();
      if (key.field === 1) { feature.id = r.varint(); }
      else if (key.field === 2) {
        var tags = r.packed();
        for (var n = 0; n + 1 < tags.length; n += 2) { feature.props[layer.keys[tags[n]]] = layer.values[tags[n + 1]]; }
      }
      else if (key.field === 3) { feature.type = r.varint(); }  // spec 4.3.4: 1 POINT, 2 LINESTRING, 3 POLYGON
      else if (key.field === 4) { feature.rings = decodeGeometry(r.packed()); }
      else { r.skip(key.wire); }
    }
    return feature;
  }

  /* spec 4.3.1 (command integers: id = integer & 0x7, count = integer >> 3; 4.3.3: MoveTo 1, LineTo 2,
   * ClosePath 7), 4.3.2 (parameters: zigzag deltas from the cursor, which starts at (0, 0) for each feature).
   * The result: parts of [x, y] in the layer's extent (4.3.4: a MultiPoint's points, each a part; a line's
   * MoveTo starts a part; a polygon's rings, closed by ClosePath). */
  function decodeGeometry(commands) {
    var parts = [], part = null, x = 0, y = 0, n = 0;
    while (n < commands.length) {
      var command = commands[n++], id = command & 0x7, count = command >> 3;
      if (id === 1 || id === 2) {
        for (var k = 0; k < count; k += 1) {
          x += zigzag(commands[n++]);
          y += zigzag(commands[n++]);
          if (id === 1) { part = []; parts.push(part); }
          part.push([x, y]);
        }
      } else if (id === 7) {
        if (part && part.length) { part.push(part[0]); }
      } else { throw new Error("unknown geometry command " + id); }
    }
    return parts;
  }

  /* --- fetching: one request per tile URL, decoded once, shared by every layer of the same collection -------- */
  var fetched = {};
  function getTile(url) {
    if (!fetched[url]) {
      fetched[url] = fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(url + " answered " + r.status); }
        return r.arrayBuffer();
      }).then(function (buffer) { return decodeTile(new Uint8Array(buffer)); });
      fetched[url].catch(function () { delete fetched[url]; });  // asked again next time
    }
    return fetched[url];
  }

  /* --- the layer --------------------------------------------------------------------------------------------- */
  var VectorTiles = L.GridLayer.extend({
    options: {collection: "", datetime: null, labelZoom: 99, tileSize: TILE, updateWhenZooming: false},

    initialize: function (options) {
      L.GridLayer.prototype.initialize.call(this, options);
      this._drawnIn = {};  // tile key -> [{feature, shapes in the tile's pixels}]
      this.once("load", function () { this.drawnAt = performance.now(); });  // the first full draw (measured)
    },

    url: function (z, x, y) {
      var base = "/tiles/" + encodeURIComponent(this.options.collection) + "/" + z + "/" + x + "/" + y + ".mvt";
      return this.options.datetime ? base + "?datetime=" + encodeURIComponent(this.options.datetime) : base;
    },

    createTile: function (coords, done) {
      var canvas = document.createElement("canvas"), ratio = window.devicePixelRatio || 1, self = this;
      canvas.width = canvas.height = TILE * ratio;
      var key = this._tileCoordsToKey(coords);
      // The tiles whose features can show here: this one, or those the display shift (GCJ-02) moves in.
      var shift = this.pixelShift(coords);
      var x0 = Math.floor((coords.x * TILE - shift.x) / TILE), x1 = Math.ceil((coords.x * TILE - shift.x + TILE) / TILE) - 1;
      var y0 = Math.floor((coords.y * TILE - shift.y) / TILE), y1 = Math.ceil((coords.y * TILE - shift.y + TILE) / TILE) - 1;
      var wanted = [], last = Math.pow(2, coords.z) - 1;
      for (var tx = x0; tx <= x1; tx += 1) {
        for (var ty = Math.max(0, y0); ty <= Math.min(last, y1); ty += 1) {
          var wrapped = ((tx % (last + 1)) + last + 1) % (last + 1);
          wanted.push({x: tx, y: ty, url: this.url(coords.z, wrapped, ty)});
        }
      }
      // done() is called exactly once, also when a tile fails to arrive, decode or draw: a tile never finished
      // would keep the layer loading for ever.
      Promise.all(wanted.map(function (t) { return getTile(t.url); })).then(function (tiles) {
        self._drawnIn[key] = self.draw(canvas, ratio, coords, wanted, tiles, shift);
      }).then(function () {
        done(null, canvas);
        self.fire("tiledrawn", {coords: coords});
      }, function (error) { done(error, canvas); });
      return canvas;
    },

    /* The display shift of a tile in pixels at its zoom (0 unless shift is set: GCJ-02 on the AMap basemap). */
    pixelShift: function (coords) {
      if (!this.options.shift) { return {x: 0, y: 0}; }
      var centre = this._map.unproject([(coords.x + 0.5) * TILE, (coords.y + 0.5) * TILE], coords.z);
      var moved = this.options.shift(centre.lng, centre.lat);
      var p = this._map.project([moved[1], moved[0]], coords.z), q = this._map.project(centre, coords.z);
      return {x: p.x - q.x, y: p.y - q.y};
    },

    /* Each source tile's features drawn into this tile. A point is drawn once (a tile's buffer repeats its
     * neighbours' points near the edge); a line or polygon is the piece its source tile holds, clipped by the tile
     * server to the tile and its buffer: drawn and kept clipped to the source tile's own square (moved by the
     * display shift), so that pieces meet without a seam or a doubled band. */
    draw: function (canvas, ratio, coords, wanted, tiles, shift) {
      var ctx = canvas.getContext("2d"), self = this, drawn = [], seen = {}, map = this._map;
      ctx.scale(ratio, ratio);
      var origin = {x: coords.x * TILE, y: coords.y * TILE};
      tiles.forEach(function (layers, n) {
        var layer = layers[self.options.collection];
        if (!layer) { return; }
        var source = wanted[n], scale = TILE / layer.extent;
        var square = [source.x * TILE - origin.x + shift.x, source.y * TILE - origin.y + shift.y];
        square.push(square[0] + TILE, square[1] + TILE);
        layer.features.forEach(function (feature) {
          var id = feature.id !== null ? feature.id : JSON.stringify(feature.props);
          if ((feature.type === 1 && seen[id]) || (self.options.filter && !self.options.filter(feature.props))) { return; }
          seen[id] = true;
          var shapes = feature.rings.map(function (part) {
            return part.map(function (xy) {
              var px = source.x * TILE + xy[0] * scale, py = source.y * TILE + xy[1] * scale;
              if (self.options.shift) {
                var at = map.unproject([px, py], coords.z), moved = self.options.shift(at.lng, at.lat);
                var p = map.project([moved[1], moved[0]], coords.z);
                px = p.x;
                py = p.y;
              }
              return [px - origin.x, py - origin.y];
            });
          });
          var kept = shapes;  // a polygon kept clipped to the square; painted whole under a clip (no edge stroked)
          if (feature.type === 3) {
            kept = shapes.map(function (ring) { return clipRing(ring, square); }).filter(function (r) { return r.length > 2; });
            if (!kept.length) { return; }
          }
          var style = self.options.style(feature.props);
          ctx.save();
          if (feature.type !== 1) {
            ctx.beginPath();
            ctx.rect(square[0], square[1], TILE, TILE);
            ctx.clip();
          }
          self.paint(ctx, feature.type, shapes, style);
          ctx.restore();
          drawn.push({feature: feature, shapes: kept, style: style});
        });
      });
      return drawn;
    },

    paint: function (ctx, type, shapes, style) {
      ctx.strokeStyle = style.colour;
      ctx.fillStyle = style.fill || style.colour;
      ctx.lineWidth = style.weight || 1;
      ctx.setLineDash(style.dash || []);
      ctx.beginPath();
      if (type === 1) {
        shapes.forEach(function (part) {
          part.forEach(function (p) {
            ctx.moveTo(p[0] + (style.radius || 4), p[1]);
            ctx.arc(p[0], p[1], style.radius || 4, 0, 2 * Math.PI);
          });
        });
        ctx.globalAlpha = 0.85;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
        return;
      }
      shapes.forEach(function (part) {
        part.forEach(function (p, k) { if (k) { ctx.lineTo(p[0], p[1]); } else { ctx.moveTo(p[0], p[1]); } });
      });
      if (type === 3 && style.fill) {
        ctx.globalAlpha = style.fillOpacity === undefined ? 0.2 : style.fillOpacity;
        ctx.fill("evenodd");  // spec 4.3.4.4: exterior rings clockwise, interior counter-clockwise
        ctx.globalAlpha = 1;
      }
      ctx.stroke();
    },

    /* The distinct features drawn inside the map's view (a feature whose tile data reach past the view edge but
     * whose drawn shape does not is left out): [{id, type, props, geometry}]; a line or polygon is the union of its
     * pieces drawn in view (one per tile, as a Multi- geometry), as drawn: simplified for the zoom. */
    drawn: function () {
      if (!this._map) { return []; }
      var size = this._map.getSize(), topLeft = this._map.containerPointToLayerPoint([0, 0]), out = {}, self = this;
      var zoom = Math.round(this._map.getZoom());
      var pixelOrigin = this._map.getPixelOrigin();
      Object.keys(this._drawnIn).forEach(function (key) {
        var coords = self._keyToTileCoords(key);
        if (coords.z !== zoom || !self._tiles[key]) { return; }
        self._drawnIn[key].forEach(function (d) {
          var inside = d.shapes.some(function (part) {
            return part.some(function (p) {
              var x = coords.x * TILE + p[0] - pixelOrigin.x - topLeft.x, y = coords.y * TILE + p[1] - pixelOrigin.y - topLeft.y;
              return x >= 0 && y >= 0 && x <= size.x && y <= size.y;
            });
          });
          if (!inside || (out[d.feature.id] && d.feature.type === 1)) { return; }
          var piece = geometry(self._map, coords, d.feature.type, d.shapes), seen = out[d.feature.id];
          if (!seen) {
            out[d.feature.id] = {id: d.feature.id, type: d.feature.type, props: d.feature.props, geometry: piece};
            return;
          }
          var multi = "Multi" + piece.type.replace("Multi", ""), had = seen.geometry;
          seen.geometry = {type: multi, coordinates: [].concat(
            had.type === multi ? had.coordinates : [had.coordinates],
            piece.type === multi ? piece.coordinates : [piece.coordinates])};
        });
      });
      return Object.keys(out).map(function (id) { return out[id]; });
    },

    /* The feature drawn under a point of the map (the last drawn wins, as it is on top), or null. */
    hit: function (latlng) {
      if (!this._map) { return null; }
      var zoom = Math.round(this._map.getZoom()), p = this._map.project(latlng, zoom);
      var coords = L.point(Math.floor(p.x / TILE), Math.floor(p.y / TILE));
      coords.z = zoom;
      var found = this._drawnIn[this._tileCoordsToKey(coords)] || [];
      var x = p.x - coords.x * TILE, y = p.y - coords.y * TILE;
      for (var n = found.length - 1; n >= 0; n -= 1) {
        if (touches(found[n], x, y)) { return found[n].feature; }
      }
      return null;
    },

    /* Point labels, from labelZoom on: one layer of text markers over the tiles (a label drawn into a tile would
     * be cut at its edge), placed again after each move or load, a label overlapping one placed before left out. */
    onAdd: function (map) {
      L.GridLayer.prototype.onAdd.call(this, map);
      this._labels = L.layerGroup().addTo(map);
      map.on("moveend", this.placeLabels, this);
      this.on("load", this.placeLabels, this);
    },

    onRemove: function (map) {
      this._drawnIn = {};
      map.off("moveend", this.placeLabels, this);
      this.off("load", this.placeLabels, this);
      map.removeLayer(this._labels);
      L.GridLayer.prototype.onRemove.call(this, map);
    },

    placeLabels: function () {
      var map = this._map, self = this, taken = [];
      this._labels.clearLayers();
      if (!map || !this.options.label || map.getZoom() < this.options.labelZoom) { return; }
      this.drawn().forEach(function (f) {
        var text = self.options.label(f.props), at = f.geometry.coordinates;
        if (f.type !== 1 || !text) { return; }
        if (f.geometry.type === "MultiPoint") { at = at[0]; }
        var p = map.latLngToContainerPoint([at[1], at[0]]), x = p.x + (self.options.style(f.props).radius || 4) + 3;
        var box = [x, p.y - 8, x + 12 * text.length + 4, p.y + 8];  // CJK text: about 12 px a character
        if (taken.some(function (b) { return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]; })) {
          return;
        }
        taken.push(box);
        var label = document.createElement("span");
        label.className = "gaz-tile-label";
        label.textContent = text;
        L.marker([at[1], at[0]], {
          icon: L.divIcon({html: label, className: "", iconSize: null, iconAnchor: [-(box[0] - p.x), 8]}),
          interactive: false,
          keyboard: false
        }).addTo(self._labels);
      });
    },

    _removeTile: function (key) {
      delete this._drawnIn[key];
      L.GridLayer.prototype._removeTile.call(this, key);
    }
  });

  /* A drawn feature as a GeoJSON geometry, lon/lat as drawn (to 1e-6°); polygons grouped by their exterior rings
   * (spec 4.3.4.4: an exterior ring has a positive area in tile coordinates, y down). */
  function geometry(map, coords, type, shapes) {
    var parts = shapes.map(function (part) {
      return part.map(function (p) {
        var at = map.unproject([coords.x * TILE + p[0], coords.y * TILE + p[1]], coords.z);
        return [Number(at.lng.toFixed(6)), Number(at.lat.toFixed(6))];
      });
    });
    if (type === 1) {
      var points = [].concat.apply([], parts);
      return points.length === 1 ? {type: "Point", coordinates: points[0]} : {type: "MultiPoint", coordinates: points};
    }
    if (type === 2) {
      return parts.length === 1 ? {type: "LineString", coordinates: parts[0]} : {type: "MultiLineString", coordinates: parts};
    }
    var polygons = [];
    shapes.forEach(function (ring, n) {
      var twice = 0;
      for (var k = 1; k < ring.length; k += 1) { twice += ring[k - 1][0] * ring[k][1] - ring[k][0] * ring[k - 1][1]; }
      if (twice > 0 || !polygons.length) { polygons.push([parts[n]]); } else { polygons[polygons.length - 1].push(parts[n]); }
    });
    return polygons.length === 1 ? {type: "Polygon", coordinates: polygons[0]} : {type: "MultiPolygon", coordinates: polygons};
  }

  /* A ring clipped to an axis-aligned square [x0, y0, x1, y1] (Sutherland–Hodgman: one half-plane after the
   * other), closed. */
  function clipRing(ring, square) {
    var edges = [
      function (p) { return p[0] >= square[0]; }, function (p) { return p[0] <= square[2]; },
      function (p) { return p[1] >= square[1]; }, function (p) { return p[1] <= square[3]; }
    ];
    var cuts = [
      function (a, b) { return cross(a, b, 0, square[0]); }, function (a, b) { return cross(a, b, 0, square[2]); },
      function (a, b) { return cross(a, b, 1, square[1]); }, function (a, b) { return cross(a, b, 1, square[3]); }
    ];
    var out = ring.slice(0, ring.length - 1);  // the ring without its closing point
    for (var e = 0; e < 4 && out.length; e += 1) {
      var input = out;
      out = [];
      for (var k = 0; k < input.length; k += 1) {
        var a = input[(k + input.length - 1) % input.length], b = input[k];
        if (edges[e](b)) {
          if (!edges[e](a)) { out.push(cuts[e](a, b)); }
          out.push(b);
        } else if (edges[e](a)) { out.push(cuts[e](a, b)); }
      }
    }
    if (out.length) { out.push(out[0]); }
    return out;
  }

  function cross(a, b, axis, value) {  // where the segment a-b crosses x (axis 0) or y (axis 1) = value
    var t = (value - a[axis]) / (b[axis] - a[axis]), other = 1 - axis, p = [];
    p[axis] = value;
    p[other] = a[other] + t * (b[other] - a[other]);
    return p;
  }

  function touches(d, x, y) {
    var type = d.feature.type, reach = (d.style.radius || 4) + 3;
    if (type === 1) {
      return d.shapes.some(function (part) {
        return part.some(function (p) { return Math.hypot(p[0] - x, p[1] - y) <= reach; });
      });
    }
    if (type === 2 || (type === 3 && !d.style.fill)) {
      return d.shapes.some(function (part) {
        for (var k = 1; k < part.length; k += 1) { if (toSegment(x, y, part[k - 1], part[k]) <= 4) { return true; } }
        return false;
      });
    }
    var inside = false;  // even-odd over every ring (spec 4.3.4.4)
    d.shapes.forEach(function (ring) {
      for (var k = 0, j = ring.length - 1; k < ring.length; j = k, k += 1) {
        var a = ring[k], b = ring[j];
        if ((a[1] > y) !== (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]) { inside = !inside; }
      }
    });
    return inside;
  }

  function toSegment(x, y, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1], length = dx * dx + dy * dy;
    var t = length ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / length)) : 0;
    return Math.hypot(x - a[0] - t * dx, y - a[1] - t * dy);
  }

  window.GazTiles = {layer: function (options) { return new VectorTiles(options); }, decode: decodeTile};
})();
