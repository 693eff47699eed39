/* The snap proposal on the alignment view: proposed districts drawn over the current ones, moved grids marked,
   the gains and losses per district listed; applying it (after an explicit confirmation) writes a new version. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el, app = JW.app, map = app.map;
  var box = document.getElementById("jw-proposal");
  var button = document.getElementById("jw-propose");
  if (!cfg.apis.alignment_proposal) { document.getElementById("jw-proposal-box").hidden = true; return; }

  var outlines = L.geoJSON(null, {
    pane: "jw-labels", coordsToLatLng: JW.coords.coordsToLatLng, interactive: false,
    style: { color: "#00897b", weight: 3, dashArray: "8 5", fill: false },
  });
  var moved = [];
  var MOVED = function (props, zoom) { var s = JW.gridStyle.style(props, zoom); s.fillColor = "#26c6da"; s.fillOpacity = 0.8; return s; };

  function body() {
    var moves = JW.moves ? JW.moves.list() : [];  // manual moves made on this page go into the proposal
    return { precinct: JW.state.precinct() || null, tolerance: Number(JW.state.get("tolerance", cfg.view.tolerance)), moves: moves };
  }

  function post(url) {
    return JW.getJSON(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body()) });
  }

  function clear() {
    outlines.remove();
    moved.forEach(function (code) { app.boundaries.layers.grids.setFeatureStyle(code, JW.gridStyle.style); });
    moved = [];
    JW.clear(box);
  }

  function render(result) {
    clear();
    outlines.clearLayers().addData(result.geojson).addTo(map);
    var changed = result.districts.filter(function (d) { return d.gained.length || d.lost.length; });
    changed.forEach(function (d) { moved = moved.concat(d.gained); });
    moved.forEach(function (code) { app.boundaries.layers.grids.setFeatureStyle(code, MOVED); });
    box.appendChild(el("p", { text: t("%(count)s districts change, %(grids)s grids move.", { count: changed.length, grids: moved.length }) }));
    box.appendChild(el("div", { class: "jw-legend-row" }, [el("span", { class: "jw-swatch", style: "background:#26c6da" }), el("span", { text: t("Grid that moves") })]));
    box.appendChild(el("div", { class: "jw-legend-row" }, [el("span", { class: "jw-swatch jw-swatch-line", style: "border-color:#00897b" }), el("span", { text: t("Proposed district boundary") })]));
    var rows = changed.map(function (d) {
      return el("tr", { dataset: { code: d.code } }, [
        el("td", { text: d.code }), el("td", { text: d.gained.join(", ") || "—" }), el("td", { text: d.lost.join(", ") || "—" }),
        el("td", { text: JW.fmt.number(Math.round(d.area_moved_m2)) }),
      ]);
    });
    if (rows.length) {
      box.appendChild(el("table", { class: "jw-table jw-small" }, [
        el("thead", {}, [el("tr", {}, [el("th", { text: t("District") }), el("th", { text: t("Gains") }), el("th", { text: t("Loses") }), el("th", { text: t("m² moved") })])]),
        el("tbody", {}, rows),
      ]));
      if (cfg.apis.alignment_apply) box.appendChild(applyControls(changed.length));
    }
  }

  function applyControls(count) {
    var check = el("input", { type: "checkbox", id: "jw-apply-check" });
    var apply = el("button", { type: "button", id: "jw-apply", class: "jw-button", disabled: true, text: t("Apply the proposal") });
    check.addEventListener("change", function () { apply.disabled = !check.checked; });
    apply.addEventListener("click", function () {
      apply.disabled = true;
      post(cfg.apis.alignment_apply).then(function (written) {
        JW.clear(box).appendChild(el("p", { class: "jw-good", role: "status", text: t("Applied: new district version, import no. %(id)s. Reloading…", { id: written.import_id }) }));
        setTimeout(function () { window.location.reload(); }, 800);  // new layer versions: new tiles
      }, function (error) { apply.disabled = false; JW.failed(t("the proposal"))(error); });
    });
    return el("div", { class: "jw-apply" }, [
      el("label", {}, [check, " " + t("I have checked the proposal: write %(count)s districts as a new version.", { count: count })]),
      apply,
    ]);
  }

  button.addEventListener("click", function () {
    if (map.hasLayer(outlines)) { clear(); button.textContent = t("Show the proposal"); return; }
    button.disabled = true;
    JW.clear(box).appendChild(el("p", { class: "jw-note", text: t("Loading…") }));
    post(cfg.apis.alignment_proposal).then(function (result) {
      render(result);
      button.textContent = t("Hide the proposal");
    }, JW.failed(t("the proposal"))).then(function () { button.disabled = false; });
  });
})();
