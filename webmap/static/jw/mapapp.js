/* The map page (and the alignment page's map): layers and their control, grid colouring, window, precinct,
   search, legend, the grid panel, and the view kept in the URL. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, S = JW.gridStyle, t = JW.t;
  var map = window[cfg.map];
  JW.mapControls(map);
  var bounds = JW.boundaries(map);
  var layers = {
    precincts: bounds.layers.precincts, districts: bounds.layers.districts, grids: bounds.layers.grids,
    labels: bounds.layers.labels, keyplaces: JW.overlays.keyPlaces(map), hazards: JW.overlays.hazards(map),
    incidents: JW.overlays.incidents(map), patrols: JW.overlays.patrols(map),
  };
  var NAMES = {
    precincts: JW.N_("Precincts"), districts: JW.N_("Police districts"), grids: JW.N_("Grids"), labels: JW.N_("Names"), keyplaces: JW.N_("Key places"),
    hazards: JW.N_("Open hazards"), incidents: JW.N_("Incidents"), patrols: JW.N_("Patrol tracks"),
  };

  function escapeText(text) { var d = document.createElement("div"); d.textContent = text; return d.innerHTML; }

  /* ---- data behind the grid colours, loaded once per key ---- */
  var cache = {};
  function once(key, load) {
    if (!cache[key]) cache[key] = load().catch(function (error) { delete cache[key]; throw error; });
    return cache[key];
  }
  function windowParams() { return { from: JW.state.get("from", cfg.view.from), to: JW.state.get("to", cfg.view.to) }; }
  function rows(body) { return Array.isArray(body) ? body : Array.isArray(body.grids) ? body.grids : []; }

  var loaders = {
    figures: function () {
      return once("figures", function () {
        return JW.getJSON(cfg.urls.gridFigures).then(function (body) { S.figures = body.grids; });
      });
    },
    status: function () {
      var tol = JW.state.get("tolerance", cfg.view.tolerance);
      var url = JW.url(cfg.apis.alignment, { precinct: JW.state.precinct(), tolerance: tol });
      return once(url, function () {
        return JW.getJSON(url).then(function (doc) {
          S.status = {};
          rows(doc).forEach(function (g) { S.status[g.code] = g; });
          JW.app.alignment = doc;
        });
      });
    },
    coverage: function () {
      var url = JW.url(cfg.apis.coverage, Object.assign(windowParams(), { precinct: JW.state.precinct() }));
      return once(url, function () {
        return JW.getJSON(url).then(function (body) {
          S.coverage = {};
          rows(body).forEach(function (g) { S.coverage[g.code] = g; });
        });
      });
    },
  };
  loaders.hazards = loaders.keyplaces = loaders.figures;
  var NEEDS_API = { status: "alignment", coverage: "coverage" };

  /* Grids are drawn from gridMinZoom on: their figures load only once they are (a city's are big). */
  var deferred = false;
  function gridsDrawn() { return map.hasLayer(layers.grids) && map.getZoom() >= (cfg.view.gridMinZoom || 0); }

  function setStyle(mode) {
    S.mode = mode;
    JW.state.set({ style: mode === cfg.view.style && !JW.state.get("style") ? "" : mode });
    renderLegend();
    var load = loaders[mode];
    deferred = Boolean(load) && !gridsDrawn();
    if (!load || deferred) { bounds.restyle(); return Promise.resolve(); }
    return load().then(function () { bounds.restyle(); renderLegend(); }, JW.failed(t("grid figures")));
  }
  layers.grids.on("loading", function () { if (deferred) setStyle(S.mode); });

  /* ---- legend ---- */
  function legendRow(color, label, kind) {
    var swatch = kind === "pin" ? color : JW.el("span", { class: "jw-swatch" + (kind === "line" ? " jw-swatch-line" : ""), style: (kind === "line" ? "border-color:" : "background:") + color });
    return JW.el("div", { class: "jw-legend-row" }, [swatch, JW.el("span", { text: label })]);
  }
  function renderLegend() {
    var box = document.getElementById("jw-legend");
    if (!box) return;
    JW.clear(box);
    box.appendChild(JW.el("h3", { text: t("Boundaries") }));
    box.appendChild(legendRow("#1d3f72", t("Precinct boundary"), "line"));
    box.appendChild(legendRow("#7b1fa2", t("Police district boundary"), "line"));
    var gridRows = S.legend();
    if (gridRows.length) box.appendChild(JW.el("h3", { text: t("Grids") }));
    if (map.getZoom() < (cfg.view.gridMinZoom || 0)) box.appendChild(JW.el("p", { class: "jw-note", text: t("Zoom in to see the grids") }));
    gridRows.forEach(function (r) { box.appendChild(legendRow(r.color, r.label, r.line ? "line" : "fill")); });
    if (map.hasLayer(layers.keyplaces)) {
      box.appendChild(JW.el("h3", { text: t("Key places") }));
      Object.keys(JW.overlays.CATEGORY_COLORS).forEach(function (c) {
        var label = JW.label("category", c);
        box.appendChild(legendRow(JW.el("div", { class: "jw-pin", style: "background:" + JW.overlays.CATEGORY_COLORS[c] }, [JW.overlays.glyph(label)]), label, "pin"));
      });
    }
    if (map.hasLayer(layers.hazards)) {
      box.appendChild(JW.el("h3", { text: t("Open hazards") }));
      ["reported", "assessed", "dispatched", "resolved"].forEach(function (s) {
        box.appendChild(legendRow(JW.overlays.STATE_COLORS[s], JW.label("state", s), "fill"));
      });
      box.appendChild(legendRow("#c62828", t("Overdue (red border, !)"), "line"));
    }
    if (map.hasLayer(layers.incidents)) {
      box.appendChild(JW.el("h3", { text: t("Incidents") }));
      Object.keys(JW.overlays.INCIDENT_COLORS).forEach(function (c) {
        var label = JW.label("incident", c);
        box.appendChild(legendRow(JW.el("div", { class: "jw-pin", style: "background:" + JW.overlays.INCIDENT_COLORS[c] }, [JW.overlays.glyph(label)]), label, "pin"));
      });
    }
    if (map.hasLayer(layers.patrols)) box.appendChild(legendRow("#1565c0", t("Patrol track (one colour per unit)"), "line"));
  }

  /* ---- panel ---- */
  var panel = JW.panel(document.getElementById("jw-panel"), async function (code) {
    var extra = { coverageNote: t("Not available on this server yet") };
    if (cfg.apis.coverage) {
      try { await loaders.coverage(); extra.coverage = S.coverage[code] || null; extra.coverageNote = null; }
      catch (error) { extra.coverageNote = error.message; }
    }
    if (cfg.apis.alignment && (S.mode === "status" || cfg.page === "alignment")) {
      try { await loaders.status(); extra.alignment = S.status[code]; } catch (error) { /* shown in the alert */ }
    }
    return extra;
  }, function () { bounds.select(null); JW.state.set({ grid: "" }); });

  function openGrid(code) { bounds.select(code); JW.state.set({ grid: code }); panel.show(code); }
  layers.grids.on("click", function (e) { openGrid(e.layer.properties.code); });

  /* ---- the opening view, before any layer asks for tiles ---- */
  function precinctBounds(code) {
    var list = cfg.precincts.filter(function (p) { return !code || p.code === code; });
    if (!list.length) return null;
    var b = JW.coords.bounds(list[0].bbox);
    list.forEach(function (p) { b.extend(JW.coords.bounds(p.bbox)); });
    return b;
  }
  S.precinct = JW.state.precinct();
  if (cfg.view.fit && precinctBounds(S.precinct)) map.fitBounds(precinctBounds(S.precinct), { animate: false });

  /* ---- layers and their control ---- */
  var control = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
  var wanted = JW.state.get("layers", cfg.view.layers.join(",")).split(",");
  Object.keys(layers).forEach(function (name) {
    control.addOverlay(layers[name], escapeText(t(NAMES[name])));
    if (wanted.indexOf(name) >= 0) layers[name].addTo(map);
  });
  map.on("overlayadd overlayremove", function () {
    var on = Object.keys(layers).filter(function (name) { return map.hasLayer(layers[name]); });
    JW.state.set({ layers: on.join(",") === cfg.view.layers.join(",") && !JW.state.get("layers") ? "" : on.join(",") });
    renderLegend();
  });

  /* ---- view in the URL ---- */
  map.on("zoomend", renderLegend);
  map.on("moveend", function () {
    var c = JW.coords.fromMap(map.getCenter());
    JW.state.set({ z: map.getZoom(), lat: c.lat.toFixed(5), lng: c.lng.toFixed(5) });
  });

  JW.state.onPrecinct(function (code) {
    S.precinct = code;
    bounds.restyle();
    var b = precinctBounds(code);
    if (b) map.fitBounds(b);
    layers.keyplaces.reload(); layers.hazards.reload(); layers.incidents.reload(); layers.patrols.reload();
    if (S.mode === "status" || S.mode === "coverage") setStyle(S.mode);
    if (JW.app.onPrecinct) JW.app.onPrecinct(code);
  });

  /* ---- sidebar: colouring, window, search ---- */
  var styleBox = document.getElementById("jw-style");
  if (styleBox) {
    var missing = [];
    styleBox.querySelectorAll("input").forEach(function (input) {
      var api = NEEDS_API[input.value];
      if (api && !cfg.apis[api]) { input.disabled = true; input.parentNode.classList.add("jw-disabled"); missing.push(input.parentNode.textContent.trim()); }
      input.checked = input.value === JW.state.get("style", cfg.view.style);
      input.addEventListener("change", function () { if (input.checked) setStyle(input.value); });
    });
    if (missing.length) {
      var note = document.getElementById("jw-style-note");
      note.textContent = t("Not available on this server yet: %(what)s", { what: missing.join(", ") });
      note.hidden = false;
    }
  }
  ["from", "to"].forEach(function (key) {
    var input = document.getElementById("jw-" + key);
    if (!input) return;
    input.value = JW.state.get(key, cfg.view[key]);
    input.addEventListener("change", function () {
      var p = {}; p[key] = input.value; JW.state.set(p);
      layers.patrols.reload(); layers.incidents.reload();
      if (S.mode === "coverage") setStyle("coverage");
    });
  });
  var search = document.getElementById("jw-search");
  if (search) {
    JW.search(search, document.getElementById("jw-search-results"), function (r) {
      map.fitBounds(JW.coords.bounds(r.bbox), { maxZoom: 17 });
      if (r.layer === "grids") openGrid(r.code);
    });
  }

  JW.app = { map: map, boundaries: bounds, layers: layers, loaders: loaders, setStyle: setStyle, openGrid: openGrid, renderLegend: renderLegend, panel: panel };
  var initial = JW.state.get("style", cfg.view.style);
  setStyle(NEEDS_API[initial] && !cfg.apis[NEEDS_API[initial]] ? "plain" : initial);
  if (JW.state.get("grid", cfg.view.grid)) openGrid(JW.state.get("grid", cfg.view.grid));
  document.body.dataset.ready = "1";  // for tests and scripts: the page has wired everything
})();
