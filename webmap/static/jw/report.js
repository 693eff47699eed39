/* Report a hazard on the map (发现): pick a point, fill in a short form, and the hazard is routed by location to
   its grid, district, grid worker and officer. Every value goes to the server as JSON; nothing is built as HTML. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el, app = JW.app, map = app.map;
  var start = document.getElementById("jw-report");
  var status = document.getElementById("jw-report-status");
  if (!start) return;
  if (!cfg.apis.hazards) { start.closest("section").hidden = true; return; }
  var CATEGORIES = ["fire", "traffic", "public_order", "building", "other"];
  var picking = false;

  function field(label, input) { return el("label", { class: "jw-field" }, [el("span", { text: label }), input]); }

  function form(at) {
    var title = el("input", { name: "title", required: true, maxlength: 200 });
    var category = el("select", { name: "category" }, CATEGORIES.map(function (c) { return el("option", { value: c, text: JW.label("hazard", c) }); }));
    var severity = el("select", { name: "severity" }, ["1", "2", "3"].map(function (s) { return el("option", { value: s, text: s }); }));
    var description = el("textarea", { name: "description", rows: 2 });
    var reporter = el("input", { name: "reporter" });
    var submit = el("button", { type: "submit", class: "jw-button", text: t("Report") });
    var box = el("form", { id: "jw-report-form", class: "jw-report-form" }, [
      field(t("Title"), title), field(t("Category"), category), field(t("Severity"), severity),
      field(t("Description"), description), field(t("Reported by"), reporter), submit,
    ]);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var wgs = JW.coords.fromMap(at);
      var body = { title: title.value, category: category.value, severity: Number(severity.value), description: description.value,
        reporter: reporter.value, lon: Number(wgs.lng.toFixed(6)), lat: Number(wgs.lat.toFixed(6)) };
      submit.disabled = true;
      JW.getJSON(cfg.apis.hazards, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (hazard) {
          map.closePopup();
          status.textContent = t("Hazard %(code)s reported in grid %(grid)s.", { code: hazard.code, grid: hazard.grid_code || "—" });
          status.dataset.code = hazard.code;
          if (app.layers.hazards.reload) app.layers.hazards.reload();
        }, function (error) { submit.disabled = false; JW.failed(t("the report"))(error); });
    });
    return box;
  }

  function stop() { picking = false; map.getContainer().classList.remove("jw-picking"); start.setAttribute("aria-pressed", "false"); }

  start.addEventListener("click", function () {
    picking = !picking;
    map.getContainer().classList.toggle("jw-picking", picking);
    start.setAttribute("aria-pressed", String(picking));
    status.textContent = picking ? t("Click the place of the hazard on the map.") : "";
  });
  function pick(e) {
    if (!picking) return;
    stop();
    L.popup({ minWidth: 240 }).setLatLng(e.latlng).setContent(form(e.latlng)).openOn(map);
  }
  // A click on a grid is taken by the grid layer (it opens the panel), so listen there too.
  map.on("click", pick);
  app.layers.grids.on("click", pick);
})();
