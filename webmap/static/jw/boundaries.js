/* Precincts, districts and grids drawn from our vector tiles (Leaflet.VectorGrid), with their name labels.
   Grids are joined to per-grid figures by code (getFeatureId) and restyled in place (setFeatureStyle). */
(function () {
  "use strict";
  var JW = window.JW;

  // VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed; this is what it did.
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function (e) { e._stopped = true; };

  // Overlays shift with a GCJ-02 basemap: the tile's element and its click hit-testing move together.
  var ShiftedGrid = L.VectorGrid.Protobuf.extend({
    // VectorGrid 1.3 builds the URL from the map's zoom and ignores zoomOffset: apply it here.
    _getVectorTilePromise: function (coords, bounds) {
      var tile = L.point(coords.x, coords.y);
      tile.z = coords.z + (this.options.zoomOffset || 0);
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, tile, bounds);
    },
    _getTilePos: function (coords) {
      var pos = L.GridLayer.prototype._getTilePos.call(this, coords);
      var shift = JW.coords.tileShift(coords, this.getTileSize());
      return shift ? pos.add(shift) : pos;
    },
  });

  function rendererFactory(coords, size, options) {
    var renderer = L.canvas.tile(coords, size, options);
    var shift = JW.coords.tileShift(coords, size);
    if (shift) {
      var offset = renderer.getOffset;
      renderer.getOffset = function () { return offset.call(renderer).add(shift); };
    }
    return renderer;
  }

  function pane(map, name, zIndex, passive) {
    if (!map.getPane(name)) {
      var el = map.createPane(name);
      el.style.zIndex = zIndex;
      if (passive) el.classList.add("jw-passive");  // never in the way of a click on a grid
    }
    return name;
  }

  function tileUrl(layer) {
    var base = JW.config.urls.tiles.replace("{layer}", layer);
    return base + "?v=" + encodeURIComponent(JW.config.versions[layer]);
  }

  var STYLES = {
    precincts: function (props, zoom) {
      var outside = JW.gridStyle.precinct && props.code !== JW.gridStyle.precinct;
      return { fill: false, color: "#1d3f72", weight: zoom < 11 ? 2.5 : 3.5, opacity: outside ? 0.4 : 1 };
    },
    districts: function (props, zoom) {
      var outside = JW.gridStyle.precinct && props.precinct_code !== JW.gridStyle.precinct;
      return { fill: false, color: "#7b1fa2", weight: zoom < 11 ? 1 : 2, opacity: outside ? 0.3 : 0.9, dashArray: zoom < 12 ? null : "6 3" };
    },
    grids: function (props, zoom) { return JW.gridStyle.style(props, zoom); },
  };

  function vectorLayer(map, name, zIndex) {
    var styles = {};
    styles[name] = STYLES[name];
    var layer = new ShiftedGrid(tileUrl(name), {
      pane: pane(map, "jw-" + name, zIndex, name !== "grids"),
      vectorTileLayerStyles: styles,
      rendererFactory: rendererFactory,
      interactive: name === "grids",
      getFeatureId: function (f) { return f.properties.code; },
      // 512-pixel tiles of the zoom above: a quarter of the requests, each drawn at half-pixel precision.
      tileSize: 512,
      zoomOffset: -1,
      maxNativeZoom: 18,
      maxZoom: 19,
      minZoom: name === "grids" ? (JW.config.view && JW.config.view.gridMinZoom) || 0 : 0,
    });
    // Performance marks for the benchmark (and anyone profiling): first tile of any layer, each layer drawn.
    layer.once("tileload", function () { if (!performance.getEntriesByName("jw-first-tile").length) performance.mark("jw-first-tile"); });
    layer.once("load", function () { performance.mark("jw-" + name + "-drawn"); });
    return layer;
  }

  /* Name labels: precincts when zoomed out, districts in between, grids (by view) when zoomed in. */
  function labelLayer(map) {
    var group = L.layerGroup([], { pane: pane(map, "jw-labels", 450, true) });
    var sets = { precincts: L.layerGroup(), districts: L.layerGroup(), grids: L.layerGroup() };
    var loaded = {};

    function marker(layer, feature) {
      var c = feature.geometry.coordinates;
      var icon = L.divIcon({ className: "jw-label-unit jw-label-" + layer, html: JW.el("span", { text: feature.properties.name }), iconSize: null });
      return L.marker(JW.coords.toMap([c[1], c[0]]), { icon: icon, interactive: false, keyboard: false, pane: "jw-labels" });
    }

    function load(layer, bbox) {
      var url = JW.url(JW.config.urls.labels.replace("LAYER", layer), { bbox: bbox });
      return JW.getJSON(url).then(function (fc) {
        sets[layer].clearLayers();
        fc.features.forEach(function (f) { sets[layer].addLayer(marker(layer, f)); });
      }, JW.failed(JW.t("labels")));
    }

    function wanted(zoom) { return zoom < 12 ? "precincts" : zoom < 15 ? "districts" : "grids"; }

    function update() {
      if (!map.hasLayer(group)) return;
      var which = wanted(map.getZoom());
      Object.keys(sets).forEach(function (name) {
        if (name === which) group.addLayer(sets[name]); else group.removeLayer(sets[name]);
      });
      if (which === "grids") load("grids", JW.coords.bboxParam(map));
      else if (!loaded[which]) { loaded[which] = true; load(which); }
    }

    map.on("moveend", update);
    group.on("add", function () { setTimeout(update, 0); });
    return group;
  }

  /* The zoom buttons (titles in the page's language) and a metric scale. */
  JW.mapControls = function (map) {
    L.control.zoom({ zoomInTitle: JW.t("Zoom in"), zoomOutTitle: JW.t("Zoom out") }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
  };

  JW.boundaries = function (map) {
    var layers = {
      grids: vectorLayer(map, "grids", 350),
      districts: vectorLayer(map, "districts", 360),
      precincts: vectorLayer(map, "precincts", 370),
      labels: labelLayer(map),
    };
    var selected = null;

    function loadedIds(layer) {
      var ids = {};
      Object.keys(layer._vectorTiles || {}).forEach(function (key) {
        Object.keys(layer._vectorTiles[key]._features || {}).forEach(function (id) { ids[id] = true; });
      });
      return Object.keys(ids);
    }

    return {
      layers: layers,
      /* re-apply the styles after the colouring, figures or precinct changed */
      restyle: function () {
        loadedIds(layers.grids).forEach(function (id) {
          layers.grids.setFeatureStyle(id, id === selected ? JW.gridStyle.selected : JW.gridStyle.style);
        });
        ["districts", "precincts"].forEach(function (name) {
          loadedIds(layers[name]).forEach(function (id) { layers[name].setFeatureStyle(id, STYLES[name]); });
        });
      },
      select: function (code) {
        if (selected) layers.grids.setFeatureStyle(selected, JW.gridStyle.style);
        selected = code || null;
        if (selected) layers.grids.setFeatureStyle(selected, JW.gridStyle.selected);
      },
      selected: function () { return selected; },
    };
  };
})();
