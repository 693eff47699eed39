/* The hazards list: filter by state, overdue and grid (and the header's precinct); each row links to its grid on
   the map. A row opens the hazard: its facts, its history and the next steps of 发现 → 研判 → 推送 → 处置 → 反馈
   that its state allows. The filters and the open hazard live in the URL like the map's view. */
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
    return el("tr", { class: "jw-clickable" + (p.overdue ? " jw-row-overdue" : ""), dataset: { code: p.code } }, [
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

  /* ---- one hazard: facts, history, next steps ---- */
  var detail = document.getElementById("jw-hazard-detail");
  var moveForm = document.getElementById("jw-hazard-move");
  var ACTIONS = {
    assessed: JW.N_("Assess"), dispatched: JW.N_("Dispatch"), resolved: JW.N_("Mark resolved"),
    closed: JW.N_("Verify and close"), rejected: JW.N_("Reject"),
  };

  function facts(h) {
    var dl = JW.clear(document.getElementById("jw-hazard-facts"));
    [[t("Code"), h.code], [t("State"), JW.label("state", h.state)], [t("Category"), JW.label("hazard", h.category)],
     [t("Severity"), h.severity], [t("Reported"), JW.fmt.time(h.reported_at)], [t("Due"), JW.fmt.time(h.due_at)],
     [t("Overdue"), h.overdue ? t("Yes") : null], [t("Grid"), h.grid_code], [t("Assignee"), h.assignee],
     [t("Description"), h.description]].forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") return;
      dl.appendChild(el("dt", { text: r[0] }));
      dl.appendChild(el("dd", { text: String(r[1]) }));
    });
  }

  function history(h) {
    var ol = JW.clear(document.getElementById("jw-hazard-events"));
    (h.events || []).forEach(function (e) {
      var step = (e.from ? JW.label("state", e.from) + " → " : "") + JW.label("state", e.to);
      ol.appendChild(el("li", {}, [
        el("strong", { text: step }), " ", JW.fmt.time(e.at), e.actor ? " · " + e.actor : "",
        e.note ? el("div", { class: "jw-note", text: e.note }) : null,
      ]));
    });
  }

  function actions(h) {
    var box = JW.clear(document.getElementById("jw-hazard-actions"));
    var allowed = h.allowed || [];
    moveForm.querySelector(".jw-assignee").hidden = allowed.indexOf("dispatched") < 0;
    moveForm.elements.assignee.value = h.assignee || "";
    document.getElementById("jw-hazard-final").hidden = allowed.length > 0;
    allowed.forEach(function (to) {
      var label = to === "dispatched" && h.state === "resolved" ? t("Send back for rework") : t(ACTIONS[to] || to);
      var button = el("button", { type: "button", class: "jw-button" + (to === "rejected" ? " jw-button-secondary" : ""), text: label, dataset: { to: to } });
      button.addEventListener("click", function () { move(h.code, to, button); });
      box.appendChild(button);
    });
  }

  async function openHazard(code) {
    JW.state.set({ hazard: code });
    try {
      var h = await JW.getJSON(cfg.urls.hazards + "/" + encodeURIComponent(code));
      document.getElementById("jw-hazard-title").textContent = h.title || h.code;
      facts(h); history(h); actions(h);
      moveForm.elements.note.value = "";
      detail.hidden = false;
      detail.dataset.code = h.code;
      detail.dataset.state = h.state;
    } catch (error) {
      JW.failed(t("hazards"))(error);
    }
  }

  async function move(code, to, button) {
    button.disabled = true;
    var body = { to: to, note: moveForm.elements.note.value.trim() };
    if (to === "dispatched") body.assignee = moveForm.elements.assignee.value.trim();
    try {
      await JW.getJSON(cfg.urls.hazards + "/" + encodeURIComponent(code) + "/transitions", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      JW.showAlert("");
      await Promise.all([openHazard(code), load()]);
    } catch (error) {
      JW.showAlert(t("Could not change the hazard: %(reason)s", { reason: error.message }));
      button.disabled = false;
    }
  }

  body.addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (!tr || e.target.closest("a")) return;
    openHazard(tr.dataset.code);
  });
  document.getElementById("jw-hazard-close").addEventListener("click", function () {
    detail.hidden = true;
    JW.state.set({ hazard: "" });
  });
  if (JW.state.get("hazard")) openHazard(JW.state.get("hazard"));

  if (form.elements.state.value === "" && JW.state.get("state") === "all") form.elements.state.value = "";
  form.addEventListener("change", load);
  form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
  JW.state.onPrecinct(load);
  load().then(function () { document.body.dataset.ready = "1"; });
})();
