/* The upload page: pick the layer, drop a file, read the check report and see the preview map before anything is
   written; match the code / name / parent columns (each change checks again); then import with one click. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el;
  var map = window[cfg.map];
  JW.mapControls(map);
  var form = document.getElementById("jw-upload-form");
  var layerSelect = document.getElementById("jw-layer");
  var fileInput = document.getElementById("jw-file");
  var drop = document.getElementById("jw-drop");
  var status = document.getElementById("jw-upload-status");
  var report = document.getElementById("jw-report");
  var importButton = document.getElementById("jw-import");
  var recheck = document.getElementById("jw-recheck");
  var fieldSelects = { code: "jw-code-field", name: "jw-name-field", parent: "jw-parent-field" };
  var BOUNDARY = ["precincts", "districts", "grids"];
  var files = [], seq = 0;

  // What is already stored, faint, so that a shifted or misplaced file shows at once.
  JW.boundaries(map).layers.precincts.addTo(map);
  var preview = L.geoJSON(null, {
    coordsToLatLng: JW.coords.coordsToLatLng,
    style: { color: "#d84315", weight: 2, fillColor: "#ff8a65", fillOpacity: 0.25 },
    onEachFeature: function (f, layer) { layer.bindTooltip(el("span", { text: (f.properties.name || "") + " " + (f.properties.code || "") })); },
  }).addTo(map);
  var storedBounds = cfg.precincts.map(function (p) { return JW.coords.bounds(p.bbox); });
  if (storedBounds.length) map.fitBounds(storedBounds.reduce(function (a, b) { return a.extend(b); }));

  function isBoundary() { return BOUNDARY.indexOf(layerSelect.value) >= 0; }

  function say(kind, text, details) {
    JW.clear(status).appendChild(el("div", { class: kind === "error" ? "jw-error" : "jw-ok", role: kind === "error" ? "alert" : "status" }, [text].concat(details || [])));
  }

  function formData(withFields) {
    var data = new FormData(form);
    data.delete("file");
    files.forEach(function (f) { data.append("file", f, f.name); });
    if (layerSelect.value !== "hazards") data.delete("history");
    Object.keys(fieldSelects).forEach(function (key) {
      data.delete(key + "_field");
      var value = document.getElementById(fieldSelects[key]).value;
      if (withFields && value) data.append(key + "_field", value);
    });
    return data;
  }

  function fillSelect(id, columns, chosen, optional) {
    var select = JW.clear(document.getElementById(id));
    select.appendChild(el("option", { value: "", text: optional ? t("(none)") : t("(detect)") }));
    columns.forEach(function (c) { select.appendChild(el("option", { value: c, selected: c === chosen, text: c })); });
    select.disabled = false;
  }

  function listSection(title, items) {
    if (!items || !items.length) return null;
    return el("section", {}, [el("h3", { text: title }), el("ul", {}, items.map(function (i) { return el("li", { text: i }); }))]);
  }

  function showReport(r) {
    var c = r.counts || {};
    JW.clear(report).hidden = false;
    report.appendChild(el("h2", { text: t("Check report: %(file)s", { file: r.file }) }));
    report.appendChild(el("dl", { class: "jw-figures" }, [
      el("dt", { text: t("Coordinate system") }), el("dd", { text: r.crs_in || "—" }),
      el("dt", { text: t("Text encoding") }), el("dd", { text: r.encoding || "—" }),
      el("dt", { text: t("Rows in the file") }), el("dd", { dataset: { field: "rows_in" }, text: JW.fmt.number(c.rows_in) }),
      el("dt", { text: t("Units to import") }), el("dd", { dataset: { field: "features" }, text: JW.fmt.number(c.features) }),
      el("dt", { text: t("Rows merged by code") }), el("dd", { text: JW.fmt.number(c.dissolved) }),
      el("dt", { text: t("Shapes repaired") }), el("dd", { text: JW.fmt.number(c.repaired) }),
    ]));
    [
      listSection(t("Warnings"), r.warnings),
      listSection(t("Merged codes"), (r.dissolved || []).map(function (d) { return t("%(code)s: rows %(rows)s", { code: d.code, rows: (d.rows || []).join(", ") }); })),
    ].forEach(function (part) { if (part) report.appendChild(part); });
    report.appendChild(el("h3", { text: t("Columns in the file") }));
    report.appendChild(el("p", { class: "jw-columns", text: (r.columns || []).join(", ") }));
    var rows = (r.preview.features || []).slice(0, 50).map(function (f) {
      return el("tr", {}, [el("td", { text: f.properties.code }), el("td", { text: f.properties.name })]);
    });
    report.appendChild(el("h3", { text: t("First units") }));
    report.appendChild(el("table", { class: "jw-table", id: "jw-preview-table" }, [
      el("thead", {}, [el("tr", {}, [el("th", { text: t("Code") }), el("th", { text: t("Name") })])]), el("tbody", {}, rows),
    ]));
  }

  function showError(error) {
    var details = error.body && error.body.error && error.body.error.details;
    var extra = details ? [el("pre", { text: JSON.stringify(details, null, 1) })] : [];
    say("error", t("The file cannot be used: %(reason)s", { reason: error.message }), extra);
  }

  async function check(withFields) {
    importButton.disabled = recheck.disabled = true;
    preview.clearLayers();
    report.hidden = true;
    if (!files.length) return;
    if (!isBoundary()) {
      say("ok", t("Points are checked while they are imported: press Import."));
      importButton.disabled = false;
      return;
    }
    var mine = ++seq;
    say("ok", t("Checking…"));
    try {
      var r = await JW.getJSON(cfg.urls.preview, { method: "POST", body: formData(withFields) });
      if (mine !== seq) return;
      fillSelect(fieldSelects.code, r.columns, r.fields.code, false);
      fillSelect(fieldSelects.name, r.columns, r.fields.name, true);
      fillSelect(fieldSelects.parent, r.columns, r.fields.parent, true);
      showReport(r);
      preview.addData(r.preview);
      map.invalidateSize();  // the report took room from the map
      // Zoomed out enough to see the file against the stored boundaries (a shifted file shows at once).
      if (r.bounds) map.fitBounds(JW.coords.bounds(r.bounds), { padding: [60, 60], maxZoom: 14 });
      var c = r.counts;
      say("ok", t("Ready: %(features)s units from %(rows)s rows. Check the map and the report, then press Import.", { features: c.features, rows: c.rows_in }));
      importButton.disabled = recheck.disabled = false;
    } catch (error) {
      if (mine === seq) { showError(error); recheck.disabled = false; }
    }
  }

  async function doImport(event) {
    event.preventDefault();
    importButton.disabled = recheck.disabled = true;
    say("ok", t("Importing…"));
    try {
      var r = await JW.getJSON(cfg.urls.imports, { method: "POST", body: formData(true) });
      var count = r.counts ? r.counts.features : r.count !== undefined ? r.count : r.features;
      var link = el("a", { href: JW.url(cfg.urls.mapPage, { precinct: JW.state.precinct() }), text: t("Open the map") });
      say("ok", t("Imported: %(count)s units, import no. %(id)s.", { count: count === undefined ? "—" : count, id: r.import_id === undefined ? "—" : r.import_id }) + " ", [link]);
    } catch (error) {
      showError(error);
      importButton.disabled = false;
    }
    recheck.disabled = false;
  }

  function takeFiles(list) {
    files = Array.prototype.slice.call(list);
    document.getElementById("jw-files").textContent = files.map(function (f) { return f.name; }).join(", ");
    Object.keys(fieldSelects).forEach(function (key) { JW.clear(document.getElementById(fieldSelects[key])).disabled = true; });
    check(false);
  }

  fileInput.addEventListener("change", function () { takeFiles(fileInput.files); });
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("jw-over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.remove("jw-over"); });
  });
  drop.addEventListener("drop", function (e) { if (e.dataTransfer && e.dataTransfer.files.length) takeFiles(e.dataTransfer.files); });
  layerSelect.addEventListener("change", function () {
    document.getElementById("jw-parent-row").hidden = layerSelect.value !== "districts" && layerSelect.value !== "grids";
    document.getElementById("jw-history-row").hidden = layerSelect.value !== "hazards";
    document.getElementById("jw-fields-box").hidden = !isBoundary();
    check(true);
  });
  Object.keys(fieldSelects).forEach(function (key) {
    document.getElementById(fieldSelects[key]).addEventListener("change", function () { check(true); });
  });
  form.querySelectorAll("details input, details select").forEach(function (input) {
    input.addEventListener("change", function () { check(true); });
  });
  recheck.addEventListener("click", function () { check(true); });
  form.addEventListener("submit", doImport);
  layerSelect.dispatchEvent(new Event("change"));
  document.body.dataset.ready = "1";
})();
