/* The reports page: workload per police district (staff, grids, households, key places, hazards, incidents in the
   window; split grids and patrol coverage when this server has those APIs), with precinct subtotals, a CSV download
   and a print view. */
(function () {
  "use strict";
  var JW = window.JW, cfg = JW.config, t = JW.t, el = JW.el;
  var form = document.getElementById("jw-report-filters");
  var table = document.getElementById("jw-stats");
  var COLUMNS = ["officer", "auxiliaries", "grids", "households", "population", "key_places", "open_hazards", "overdue_hazards", "incidents"];
  var SUMMED = COLUMNS.slice(1);
  var extra = [];  // optional columns: [key, header]
  var perPrecinct = {};  // precinct code -> {split_grids, coverage} as the APIs count them (no double counting)
  var lastRows = [];

  form.elements.from.value = JW.state.get("from", cfg.window.from);
  form.elements.to.value = JW.state.get("to", cfg.window.to);

  function params() { return { from: form.elements.from.value, to: form.elements.to.value, precinct: JW.state.precinct() }; }

  /* Split grids per district (grids whose shares touch it) and coverage per district, when available. */
  async function optional(rows) {
    var byCode = {};
    rows.forEach(function (r) { byCode[r.code] = r; });
    extra = [];
    perPrecinct = {};
    function precinct(code) { return (perPrecinct[code] = perPrecinct[code] || {}); }
    if (cfg.apis.alignment) {
      var doc = await JW.getJSON(JW.url(cfg.apis.alignment, { precinct: JW.state.precinct() }));
      rows.forEach(function (r) { r.split_grids = 0; });
      (doc.grids || []).filter(function (g) { return g.status === "split"; }).forEach(function (g) {
        (g.shares || []).forEach(function (s) { if (byCode[s.district]) byCode[s.district].split_grids += 1; });
      });
      (doc.precincts || []).forEach(function (p) { precinct(p.code).split_grids = p.split; });
      extra.push(["split_grids", t("Split grids")]);
    }
    if (cfg.apis.coverage) {
      var cov = await JW.getJSON(JW.url(cfg.apis.coverage, params()));
      (cov.districts || []).forEach(function (d) { if (byCode[d.code]) byCode[d.code].coverage = d.coverage; });
      (cov.precincts || []).forEach(function (p) { precinct(p.code).coverage = p.coverage; });
      extra.push(["coverage", t("Patrol coverage")]);
    }
  }

  function cells(r, label) {
    var out = [el("td", { text: label[0] }), el("td", { text: label[1] })];
    COLUMNS.forEach(function (key) { out.push(el("td", { text: key === "officer" ? r[key] || "—" : JW.fmt.number(r[key]) })); });
    extra.forEach(function (c) { out.push(el("td", { text: c[0] === "coverage" ? JW.fmt.percent(r.coverage) : JW.fmt.number(r[c[0]]) })); });
    return out;
  }

  /* Totals of the rows; a split grid touches two districts and coverage is a share: those come from the APIs'
     own per-precinct figures (blank for the grand total). */
  function sum(rows, precinctCode) {
    var total = { officer: "" };
    SUMMED.forEach(function (key) {
      total[key] = rows.reduce(function (a, r) { return a + (Number(r[key]) || 0); }, 0);
    });
    var own = perPrecinct[precinctCode] || {};
    extra.forEach(function (c) { total[c[0]] = own[c[0]] === undefined ? null : own[c[0]]; });
    return total;
  }

  function render(rows) {
    var head = table.tHead.rows[0];
    head.querySelectorAll("th.jw-extra").forEach(function (th) { th.remove(); });
    extra.forEach(function (c) { head.appendChild(el("th", { class: "jw-extra", text: c[1] })); });
    var body = JW.clear(table.tBodies[0]);
    var groups = {};
    rows.forEach(function (r) { (groups[r.precinct_code] = groups[r.precinct_code] || []).push(r); });
    Object.keys(groups).sort().forEach(function (code) {
      var list = groups[code];
      list.forEach(function (r) { body.appendChild(el("tr", { dataset: { code: r.code } }, cells(r, [r.precinct_name || r.precinct_code || "—", r.name || r.code]))); });
      if (Object.keys(groups).length > 1) {
        body.appendChild(el("tr", { class: "jw-subtotal" }, cells(sum(list, code), [list[0].precinct_name || code, t("Precinct total")])));
      }
    });
    JW.clear(table.tFoot).appendChild(el("tr", {}, cells(sum(rows), [t("Total"), t("%(count)s districts", { count: rows.length })])));
  }

  /* The downloads follow the precinct picked in the header and the "as of" date (key places keep no history, so
     they are always as they stand now). */
  var asOf = document.getElementById("jw-export-as-of");
  function updateDownloads() {
    var precinct = JW.state.precinct();
    document.querySelectorAll("a.jw-export").forEach(function (a) {
      var layer = a.dataset.layer;
      var params = {
        encoding: new URL(a.href, window.location.origin).searchParams.get("encoding"),
        precinct: layer === "precincts" ? "" : precinct,
        as_of: layer === "key-places" ? "" : asOf.value
      };
      a.href = JW.url(a.pathname, params);
    });
  }
  asOf.addEventListener("change", updateDownloads);

  async function load() {
    var p = params();
    updateDownloads();
    JW.state.set({ from: p.from, to: p.to });
    try {
      var body = await JW.getJSON(JW.url(cfg.urls.stats, p));
      lastRows = body.districts;
      try { await optional(lastRows); } catch (error) { JW.failed(t("alignment and coverage"))(error); }
      render(lastRows);
    } catch (error) {
      JW.failed(t("the report"))(error);
    }
  }

  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@]/.test(text)) text = "'" + text;  // a spreadsheet must not run a formula from the data
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  document.getElementById("jw-csv").addEventListener("click", function () {
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });
    var lines = [headers.map(csvCell).join(",")];
    lastRows.forEach(function (r) {
      var values = [r.precinct_name || r.precinct_code, r.name || r.code].concat(COLUMNS.map(function (k) { return r[k]; }));
      extra.forEach(function (c) { values.push(r[c[0]]); });
      lines.push(values.map(csvCell).join(","));
    });
    var blob = new Blob(["\ufeff" + lines.join("\r\n")], { type: "text/csv;charset=utf-8" });  // BOM: Excel reads UTF-8
    var link = el("a", { href: URL.createObjectURL(blob), download: "jingwang-" + params().from + "-" + params().to + ".csv" });
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  document.getElementById("jw-print").addEventListener("click", function () { window.print(); });

  /* The coverage report (XLSX, CSV, PDF, GeoJSON) is made on the server; it is fetched in the background so the
     page stays usable while a long report is generated, then saved under the server's file name. */
  var reportBox = document.getElementById("jw-coverage-report");
  var reportStatus = document.getElementById("jw-report-status");
  var reportButtons = reportBox.querySelectorAll(".jw-report-download");

  function savedName(response, format) {
    var header = response.headers.get("Content-Disposition") || "";
    var utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (utf8) return decodeURIComponent(utf8[1]);
    var plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : "coverage-report." + format;
  }

  function reportMessage(kind, text) {
    JW.clear(reportStatus).appendChild(el("span", { class: kind, text: text }));
  }

  async function downloadReport(format) {
    var p = params();
    var url = JW.url(cfg.apis.reports.replace(/\.xlsx$/, "." + format),
                     { precinct: p.precinct, from: p.from, to: p.to, lang: document.getElementById("jw-report-lang").value });
    reportButtons.forEach(function (b) { b.disabled = true; });
    reportBox.setAttribute("aria-busy", "true");
    reportMessage("jw-note", t("Generating the %(format)s report…", { format: format.toUpperCase() }));
    try {
      var response = await fetch(url);
      if (!response.ok) {
        var body = null;
        try { body = await response.json(); } catch (e) { body = null; }
        throw new Error(body && body.error ? body.error.message : response.status + " " + response.statusText);
      }
      var name = savedName(response, format);
      var blob = await response.blob();
      var link = el("a", { href: URL.createObjectURL(blob), download: name });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
      reportMessage("jw-ok", t("Downloaded %(name)s", { name: name }));
    } catch (error) {
      reportMessage("jw-error", t("Could not make the report: %(reason)s", { reason: error.message }));
    } finally {
      reportButtons.forEach(function (b) { b.disabled = false; });
      reportBox.removeAttribute("aria-busy");
    }
  }

  if (cfg.apis.reports) {
    reportBox.hidden = false;
    reportButtons.forEach(function (b) { b.addEventListener("click", function () { downloadReport(b.dataset.format); }); });
  }
  form.addEventListener("change", load);
  JW.state.onPrecinct(load);
  load().then(function () { document.body.dataset.ready = "1"; });
})();
