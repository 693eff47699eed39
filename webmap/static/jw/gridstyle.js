/* How grids are coloured: by alignment status, patrol coverage, open hazards or key places — figures joined to the
   vector tiles by grid code. The legend is made from the same classes, so map and legend always agree. */
(function () {
  "use strict";
  var JW = window.JW, N_ = JW.N_;

  var CLASSES = {
    plain: [],
    status: [
      { test: function (f) { return f && f.status === "whole"; }, color: "#a5d6a7", label: N_("Whole: inside one district") },
      { test: function (f) { return f && f.status === "split"; }, color: "#fb8c00", label: N_("Split between districts") },
      { test: function (f) { return f && f.status === "orphan"; }, color: "#c62828", label: N_("Orphan: in no district") },
    ],
    coverage: [
      { test: function (f) { return f && f.coverage >= 0.9; }, color: "#1a9850", label: N_("90% or more") },
      { test: function (f) { return f && f.coverage >= 0.7; }, color: "#91cf60", label: N_("70–90%") },
      { test: function (f) { return f && f.coverage >= 0.4; }, color: "#fee08b", label: N_("40–70%") },
      { test: function (f) { return f && f.coverage >= 0.1; }, color: "#fc8d59", label: N_("10–40%") },
      { test: function (f) { return f && f.coverage >= 0; }, color: "#d73027", label: N_("Under 10%") },
    ],
    hazards: [
      { test: function (f) { return f && f[1] >= 3; }, color: "#d7301f", label: N_("3 or more open hazards") },
      { test: function (f) { return f && f[1] === 2; }, color: "#fc8d59", label: N_("2 open hazards") },
      { test: function (f) { return f && f[1] === 1; }, color: "#fdd49e", label: N_("1 open hazard") },
      { test: function (f) { return f && f[1] === 0; }, color: "#ffffff", label: N_("No open hazard") },
    ],
    keyplaces: [
      { test: function (f) { return f && f[0] >= 3; }, color: "#2171b5", label: N_("3 or more key places") },
      { test: function (f) { return f && f[0] === 2; }, color: "#6baed6", label: N_("2 key places") },
      { test: function (f) { return f && f[0] === 1; }, color: "#c6dbef", label: N_("1 key place") },
      { test: function (f) { return f && f[0] === 0; }, color: "#ffffff", label: N_("No key place") },
    ],
  };
  var NO_DATA = "#e4e7eb";

  var S = (JW.gridStyle = {
    mode: "plain",
    precinct: "",
    figures: {},  // grid code -> [key places, open hazards, overdue hazards]  (api/map/grid-figures)
    status: {},   // grid code -> {status, owner, shares}                       (api/alignment)
    coverage: {}, // grid code -> {coverage, last_patrol_at, ...}               (api/coverage)
  });

  function source(mode) {
    return mode === "status" ? S.status : mode === "coverage" ? S.coverage : S.figures;
  }

  function fillFor(mode, code) {
    var classes = CLASSES[mode] || [];
    var value = source(mode)[code];
    for (var i = 0; i < classes.length; i++) if (classes[i].test(value)) return classes[i].color;
    return classes.length ? NO_DATA : null;
  }

  /* The VectorGrid style of one grid feature. */
  S.style = function (props, zoom) {
    var fill = fillFor(S.mode, props.code);
    var outside = S.precinct && props.precinct_code !== S.precinct;
    var overdue = S.mode === "hazards" && (S.figures[props.code] || [0, 0, 0])[2] > 0;
    return {
      fill: true,
      fillColor: fill || "#ffffff",
      fillOpacity: (fill ? 0.65 : 0.05) * (outside ? 0.3 : 1),
      color: overdue ? "#b71c1c" : "#52606d",
      weight: overdue ? 2.5 : zoom < 11 ? 0.4 : zoom < 13 ? 0.7 : 1,
      opacity: outside ? 0.35 : 0.9,
    };
  };

  /* The selected grid: the same fill, a strong outline. */
  S.selected = function (props, zoom) {
    var style = S.style(props, zoom);
    style.color = "#000000";
    style.weight = 5;
    style.opacity = 1;
    return style;
  };

  /* Legend rows for the current mode: [{color, label, line}] with labels translated. */
  S.legend = function () {
    var rows = (CLASSES[S.mode] || []).map(function (c) { return { color: c.color, label: JW.t(c.label) }; });
    if (rows.length) rows.push({ color: NO_DATA, label: JW.t("No figures") });
    if (S.mode === "hazards") rows.push({ color: "#b71c1c", label: JW.t("Has overdue hazards"), line: true });
    return rows;
  };
})();
