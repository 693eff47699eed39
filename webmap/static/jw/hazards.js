/* The hazards list: filter by state, overdue and grid (and the header's precinct); each row links to its grid on
   the map. The filters live in the URL like the map's view. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el;
  var form = document.getElementById("jw-hazard-filters");
  var body = document.querySelector("#jw-hazard-table tbody");
  var count = document.getElementById("jw-hazard-count");
  var seq = 0;

  // Filters from the URL (state defaults to open hazards).
  form.elements.state.value = JW.state.get("state", "open");
  form.elements.overdue.checked = JW.state.get("overdue") === "1";
  form.elements.grid.value = JW.state.get("grid");

  function filters() {
    return {
      state: form.elements.state.value, overdue: form.elements.overdue.checked ? "1" : "",
      grid: form.elements.grid.value.trim(), precinct: JW.state.precinct(),
    };
  }

  function row(p) {
    var mapLink = p.grid_code
      ? el("a", { href: JW.url(cfg.urls.mapPage, { grid: p.grid_code, precinct: p.precinct_code, style: "hazards", layers: "precincts,districts,grids,labels,hazards" }), text: p.grid_code })
      : "—";
    return el("tr", { class: p.overdue ? "jw-row-overdue" : null, dataset: { code: p.code } }, [
      el("td", { text: p.code }),
      el("td", { text: p.title }),
      el("td", { text: JW.label("hazard", p.category) }),
      el("td", { text: JW.label("state", p.state) }),
      el("td", { text: JW.fmt.time(p.reported_at) }),
      el("td", {}, [JW.fmt.time(p.due_at), p.overdue ? el("span", { class: "jw-bad", text: " " + t("Overdue") }) : null]),
      el("td", {}, [mapLink]),
      el("td", { text: p.assignee || "—" }),
    ]);
  }

  async function load() {
    var f = filters(), mine = ++seq;
    JW.state.set({ state: f.state === "open" ? "" : f.state || "all", overdue: f.overdue, grid: f.grid });
    count.textContent = t("Loading…");
    try {
      var fc = await JW.getJSON(JW.url(cfg.urls.hazards, { state: f.state === "all" ? "" : f.state, overdue: f.overdue, grid: f.grid, precinct: f.precinct }));
      if (mine !== seq) return;
      var items = fc.features.map(function (feature) { return feature.properties; });
      JW.clear(body);
      items.forEach(function (p) { body.appendChild(row(p)); });
      var overdue = items.filter(function (p) { return p.overdue; }).length;
      count.textContent = t("%(count)s hazards, %(overdue)s overdue", { count: items.length, overdue: overdue });
    } catch (error) {
      count.textContent = "";
      JW.failed(t("hazards"))(error);
    }
  }

  if (form.elements.state.value === "" && JW.state.get("state") === "all") form.elements.state.value = "";
  form.addEventListener("change", load);
  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  JW.state.onPrecinct(load);
  load().then(function () { document.body.dataset.ready = "1"; });
})();
