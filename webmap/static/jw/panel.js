/* The grid panel: a click on a grid shows its figures — district and officer, grid worker, households, key places,
   patrol coverage and last patrol in the window, open and overdue hazards — with links to the lists. */
(function () {
  "use strict";
  var JW = window.JW;
  var el = JW.el;

  function figures(rows) {
    var dl = el("dl", { class: "jw-figures" });
    rows.forEach(function (row) {
      dl.appendChild(el("dt", { text: row[0] }));
      dl.appendChild(el("dd", { class: row[2] || null, dataset: { field: row[3] || "" }, text: row[1] === null || row[1] === undefined || row[1] === "" ? "—" : row[1] }));
    });
    return dl;
  }

  function alignmentPart(entry) {
    if (!entry) return null;
    var label = { whole: JW.t("Whole"), split: JW.t("Split"), orphan: JW.t("Orphan") }[entry.status] || entry.status;
    var shares = el("ul", {}, (entry.shares || []).map(function (s) {
      return el("li", { text: JW.t("%(district)s: %(share)s", { district: s.district, share: JW.fmt.percent(s.share) }) });
    }));
    return el("section", { class: "jw-panel-alignment" }, [
      el("h3", { text: JW.t("Alignment") }),
      figures([[JW.t("Status"), label, entry.status === "whole" ? "jw-good" : "jw-bad", "status"], [JW.t("Owner district"), entry.owner, null, "owner"]]),
      shares,
    ]);
  }

  function listPart(title, items, render, empty) {
    return el("section", {}, [el("h3", { text: title }), items.length ? el("ul", {}, items.map(render)) : el("p", { class: "jw-note", text: empty })]);
  }

  function render(panel, detail, extra, onClose) {
    var g = detail.grid, d = detail.district || {}, p = detail.precinct || {}, c = detail.counts;
    var cov = extra.coverage;
    JW.clear(panel);
    panel.appendChild(el("button", { class: "jw-close", type: "button", "aria-label": JW.t("Close"), on: { click: onClose } }, ["×"]));
    panel.appendChild(el("h2", { text: g.name || g.code }));
    panel.appendChild(el("p", { class: "jw-note", text: JW.t("Grid") + " " + g.code }));
    panel.appendChild(figures([
      [JW.t("Precinct"), p.name || g.precinct_code],
      [JW.t("Police district"), d.name ? d.name + " (" + d.code + ")" : g.district_code, null, "district"],
      [JW.t("Community officer"), d.officer, null, "officer"],
      [JW.t("Auxiliaries"), d.auxiliaries],
      [JW.t("Grid worker"), g.grid_worker, null, "grid_worker"],
      [JW.t("Community"), g.community],
      [JW.t("Households"), JW.fmt.number(g.households), null, "households"],
      [JW.t("Population"), JW.fmt.number(g.population)],
      [JW.t("Key places"), JW.fmt.number(c.key_places), null, "key_places"],
      [JW.t("Patrol coverage"), cov ? JW.fmt.percent(cov.coverage) : extra.coverageNote, null, "coverage"],
      [JW.t("Last patrol"), cov ? JW.fmt.time(cov.last_patrol_at) : null, null, "last_patrol"],
      [JW.t("Open hazards"), JW.fmt.number(c.open_hazards), c.open_hazards ? "jw-warn" : null, "open_hazards"],
      [JW.t("Overdue hazards"), JW.fmt.number(c.overdue_hazards), c.overdue_hazards ? "jw-bad" : null, "overdue_hazards"],
    ]));
    var alignment = alignmentPart(extra.alignment);
    if (alignment) panel.appendChild(alignment);
    panel.appendChild(listPart(JW.t("Open hazards"), detail.hazards, function (h) {
      var due = JW.t("due %(time)s", { time: JW.fmt.time(h.due_at) });
      return el("li", {}, [h.title + " · " + JW.label("state", h.state) + " · " + due, h.overdue ? el("span", { class: "jw-bad", text: " " + JW.t("Overdue") }) : null]);
    }, JW.t("None")));
    panel.appendChild(el("p", {}, [el("a", { href: JW.url(JW.config.urls.hazardsPage, { grid: g.code, state: "all" }), text: JW.t("All hazards of this grid") })]));
    panel.appendChild(listPart(JW.t("Key places"), detail.key_places, function (k) {
      return el("li", { text: k.name + " · " + JW.label("category", k.category) });
    }, JW.t("None")));
    panel.hidden = false;
  }

  /* Open the panel for a grid code; extras() resolves to {coverage, alignment, coverageNote}. */
  JW.panel = function (panel, extras, onClose) {
    var current = null;
    function close() { panel.hidden = true; document.body.classList.remove("jw-panel-open"); current = null; onClose(); }
    return {
      show: async function (code) {
        current = code;
        panel.hidden = false;
        document.body.classList.add("jw-panel-open");
        JW.clear(panel).appendChild(el("p", { class: "jw-note", text: JW.t("Loading…") }));
        try {
          var detail = await JW.getJSON(JW.config.urls.grid.replace("CODE", encodeURIComponent(code)));
          var extra = await extras(code);
          if (current === code) render(panel, detail, extra, close);
        } catch (error) {
          JW.clear(panel).appendChild(el("p", { class: "jw-bad", text: error.message }));
        }
      },
      close: close,
      code: function () { return current; },
    };
  };
})();
