/* The alignment view: grids coloured whole / split / orphan, split grids outlined, gaps and overlaps in red, the
   summary and the list of split grids; a click on a grid shows its shares and owner district. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, app = JW.app, map = app.map;
  var summary = document.getElementById("jw-align-summary");
  var list = document.getElementById("jw-split-list");
  var tolerance = document.getElementById("jw-tolerance");

  if (!cfg.apis.alignment) {
    JW.clear(summary).appendChild(JW.el("p", { class: "jw-note", text: t("Not available on this server yet") }));
    return;
  }

  var findings = L.featureGroup([], { pane: "jw-labels" }).addTo(map);
  var splitShapes = {};

  function params() { return { precinct: JW.state.precinct(), tolerance: JW.state.get("tolerance", cfg.view.tolerance) }; }

  function drawFindings() {
    findings.clearLayers();
    splitShapes = {};
    var kinds = [
      ["alignment_split", { color: "#e65100", weight: 3, dashArray: "5 4", fill: false }],
      ["alignment_gaps", { color: "#d50000", weight: 2, fillColor: "#d50000", fillOpacity: 0.6 }],
      ["alignment_overlaps", { color: "#d50000", weight: 2, fillColor: "#d50000", fillOpacity: 0.6 }],
    ];
    kinds.forEach(function (kind) {
      if (!cfg.apis[kind[0]]) return;
      JW.getJSON(JW.url(cfg.apis[kind[0]], params())).then(function (fc) {
        var layer = L.geoJSON(fc, { pane: "jw-labels", coordsToLatLng: JW.coords.coordsToLatLng, interactive: false, style: kind[1] });
        if (kind[0] === "alignment_split") layer.eachLayer(function (l) { splitShapes[l.feature.properties.code] = l; });
        findings.addLayer(layer);
      }, JW.failed(t("alignment findings")));
    });
  }

  function figure(label, value, cls) {
    return [JW.el("dt", { text: label }), JW.el("dd", { class: cls || null, text: value })];
  }

  function render(doc) {
    var s = doc.summary || {};
    JW.clear(summary);
    [
      figure(t("Grids"), JW.fmt.number(s.grids)),
      figure(t("Whole"), JW.fmt.number(s.whole), "jw-good"),
      figure(t("Split"), JW.fmt.number(s.split), s.split ? "jw-bad" : null),
      figure(t("Orphan"), JW.fmt.number(s.orphan), s.orphan ? "jw-bad" : null),
      figure(t("Alignment rate"), JW.fmt.percent(s.alignment_rate)),
      figure(t("Gap area"), t("%(area)s m²", { area: JW.fmt.number(Math.round(s.gap_area_m2 || 0)) })),
      figure(t("Overlap area"), t("%(area)s m²", { area: JW.fmt.number(Math.round(s.overlap_area_m2 || 0)) })),
    ].forEach(function (pair) { pair.forEach(function (node) { summary.appendChild(node); }); });
    summary.dataset.split = s.split;

    JW.clear(list);
    var bad = (doc.grids || []).filter(function (g) { return g.status !== "whole"; });
    if (!bad.length) list.appendChild(JW.el("li", { class: "jw-note", text: t("None") }));
    bad.forEach(function (g) {
      var top = (g.shares || [])[0];
      var detail = JW.label("status", g.status) + (top ? " · " + t("%(district)s: %(share)s", { district: top.district, share: JW.fmt.percent(top.share) }) : "");
      var button = JW.el("button", { type: "button", dataset: { code: g.code }, on: { click: function () { zoomTo(g.code); } } },
        [g.name || g.code, JW.el("small", { text: g.code + " · " + detail })]);
      list.appendChild(JW.el("li", {}, [button]));
    });
  }

  function zoomTo(code) {
    var shape = splitShapes[code];
    if (shape) map.fitBounds(shape.getBounds(), { maxZoom: 16 });
    app.openGrid(code);
  }

  function reload() {
    JW.clear(summary).appendChild(JW.el("p", { class: "jw-note", text: t("Loading…") }));
    drawFindings();
    return app.setStyle("status").then(function () { if (app.alignment) render(app.alignment); });
  }

  tolerance.value = JW.state.get("tolerance", cfg.view.tolerance);
  tolerance.addEventListener("change", function () {
    var value = parseFloat(tolerance.value);
    if (!(value >= 0 && value <= 0.5)) { tolerance.value = JW.state.get("tolerance", cfg.view.tolerance); return; }
    JW.state.set({ tolerance: value });
    reload();
  });
  app.onPrecinct = reload;
  reload();
})();
