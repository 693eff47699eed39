/* Manual moves on the alignment view: pick a grid (on the map or in the list), choose the district it should
   belong to, and see the grids and figures re-evaluated at once. Nothing is written: the snap proposal and its
   Apply button take the moves along. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el, app = JW.app, S = JW.gridStyle;
  var box = document.getElementById("jw-moves");
  if (!box) return;
  if (!cfg.apis.alignment_moves) { box.closest("section").hidden = true; return; }

  var moves = [];
  var original = {};  // grid code -> its alignment entry before any move (to undo)
  var selected = null;
  var label = el("p", { id: "jw-move-grid", class: "jw-note", text: t("Click a grid on the map to move it.") });
  var select = el("select", { id: "jw-move-district", "aria-label": t("Move to district") });
  var move = el("button", { type: "button", id: "jw-move", class: "jw-button", disabled: true, text: t("Move") });
  var undo = el("button", { type: "button", id: "jw-move-undo", class: "jw-button jw-button-secondary", disabled: true, text: t("Undo the last move") });
  var list = el("ol", { id: "jw-move-list", class: "jw-list" });
  var result = el("p", { id: "jw-move-result", role: "status" });
  [label, el("label", { class: "jw-inline" }, [t("Move to district") + " ", select]), el("div", {}, [move, " ", undo]), list, result]
    .forEach(function (node) { box.appendChild(node); });

  JW.moves = { list: function () { return moves.slice(); } };

  function candidates(code) {
    var entry = S.status[code] || {}, seen = {}, out = [];
    (entry.shares || []).forEach(function (s) { seen[s.district] = true; out.push(s.district); });
    ((app.alignment && app.alignment.districts) || []).forEach(function (d) {
      if (d.precinct === entry.precinct && !seen[d.code]) { seen[d.code] = true; out.push(d.code); }
    });
    return out;
  }

  function choose(code) {
    if (!code || !S.status[code]) return;
    selected = code;
    label.textContent = t("Grid %(code)s", { code: code });
    JW.clear(select);
    var owner = S.status[code].owner;
    candidates(code).forEach(function (d) {
      select.appendChild(el("option", { value: d, text: d === owner ? t("%(district)s (owner now)", { district: d }) : d }));
    });
    move.disabled = !select.options.length;
  }

  function restyle(entries) {
    entries.forEach(function (g) {
      if (!(g.code in original)) original[g.code] = S.status[g.code];
      S.status[g.code] = g;
      app.boundaries.layers.grids.setFeatureStyle(g.code, S.style);
    });
  }

  function send() {
    var body = { moves: moves, precinct: JW.state.precinct() || null, tolerance: Number(JW.state.get("tolerance", cfg.view.tolerance)) };
    return JW.getJSON(cfg.apis.alignment_moves, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function show(delta) {
    restyle(delta.grids || []);
    JW.clear(list);
    moves.forEach(function (m) { list.appendChild(el("li", { text: m.grid + " → " + m.district })); });
    var split = (delta.summary || {}).split;
    result.dataset.split = split;
    result.textContent = moves.length ? t("After %(count)s moves: %(split)s split grids.", { count: moves.length, split: split }) : "";
    undo.disabled = !moves.length;
    if (selected) choose(selected);
  }

  function restoreAll() {
    Object.keys(original).forEach(function (code) {
      S.status[code] = original[code];
      app.boundaries.layers.grids.setFeatureStyle(code, S.style);
    });
    original = {};
  }

  move.addEventListener("click", function () {
    if (!selected || !select.value) return;
    moves.push({ grid: selected, district: select.value });
    move.disabled = true;
    send().then(show, function (error) { moves.pop(); JW.failed(t("the move"))(error); }).then(function () { move.disabled = false; });
  });

  undo.addEventListener("click", function () {
    moves.pop();
    restoreAll();
    if (!moves.length) { show({ grids: [], summary: (app.alignment || {}).summary }); return; }
    send().then(show, JW.failed(t("the move")));
  });

  app.layers.grids.on("click", function (e) { choose(e.layer.properties.code); });
  var open = app.openGrid;
  app.openGrid = function (code) { open(code); choose(code); };
})();
