/* Point and line overlays: key places (clustered, icon by category), hazards (by state, overdue marked) and the
   patrol tracks of the chosen window. Points load by view (bbox), again only when the view leaves what is loaded. */
(function () {
  "use strict";
  var JW = window.JW;

  var CATEGORY_COLORS = {
    school: "#1e88e5", hospital: "#e53935", hotel: "#8e24aa", internet_cafe: "#00897b", bar_ktv: "#d81b60",
    petrol_station: "#f4511e", bank: "#3949ab", market: "#7cb342", construction_site: "#6d4c41", other: "#757575",
  };
  var STATE_COLORS = {
    reported: "#f9a825", assessed: "#fb8c00", dispatched: "#e53935", resolved: "#43a047", closed: "#9e9e9e", rejected: "#bdbdbd",
  };
  var INCIDENT_COLORS = {
    theft: "#5e35b1", fraud: "#00897b", dispute: "#f57c00", fight: "#c62828", traffic: "#1e88e5", other: "#616161",
  };
  var UNIT_COLORS = ["#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e", "#283593"];

  function popup(title, rows) {
    var dl = JW.el("dl", {}, []);
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") return;
      dl.appendChild(JW.el("dt", { text: row[0] }));
      dl.appendChild(JW.el("dd", { class: row[2] || null, text: row[1] }));
    });
    return JW.el("div", { class: "jw-popup" }, [JW.el("strong", { text: title }), dl]);
  }

  function pin(color, glyph, extraClass) {
    var html = JW.el("div", { class: "jw-pin " + (extraClass || ""), style: "background:" + color }, [JW.el("span", { text: glyph })]);
    return L.divIcon({ className: "", html: html, iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10] });
  }

  function glyph(label) { return Array.from(label)[0] || "?"; }

  /* A clustered point layer reloading by view. */
  function pointLayer(map, fetchUrl, toMarker) {
    var group = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    var loaded = null, key = null;
    function load(force) {
      if (!map.hasLayer(group)) return;
      var view = map.getBounds();
      if (!force && loaded && loaded.contains(view)) return;
      loaded = view.pad(1);
      var url = fetchUrl(loaded);
      if (url === key && !force) return;
      key = url;
      JW.getJSON(url).then(function (fc) {
        group.clearLayers();
        group.addLayers(fc.features.filter(function (f) { return f.geometry; }).map(toMarker));
      }, JW.failed(JW.t("map points")));
    }
    map.on("moveend", function () { load(false); });
    group.on("add", function () { load(true); });
    group.reload = function () { loaded = null; load(true); };
    return group;
  }

  function bboxOf(bounds) {
    var sw = JW.coords.fromMap(bounds.getSouthWest()), ne = JW.coords.fromMap(bounds.getNorthEast());
    return [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) { return v.toFixed(5); }).join(",");
  }

  function latlng(f) { return JW.coords.toMap([f.geometry.coordinates[1], f.geometry.coordinates[0]]); }

  JW.overlays = {
    CATEGORY_COLORS: CATEGORY_COLORS,
    STATE_COLORS: STATE_COLORS,
    INCIDENT_COLORS: INCIDENT_COLORS,
    pin: pin,
    glyph: glyph,

    keyPlaces: function (map) {
      return pointLayer(map, function (b) {
        return JW.url(JW.config.urls.keyPlaces, { bbox: bboxOf(b), precinct: JW.state.precinct() });
      }, function (f) {
        var p = f.properties, label = JW.label("category", p.category);
        return L.marker(latlng(f), { icon: pin(CATEGORY_COLORS[p.category] || "#757575", glyph(label)), title: p.name })
          .bindPopup(popup(p.name, [[JW.t("Category"), label], [JW.t("Risk level"), p.risk_level], [JW.t("Address"), p.address], [JW.t("Grid"), p.grid_code]]));
      });
    },

    hazards: function (map) {
      return pointLayer(map, function (b) {
        return JW.url(JW.config.urls.hazards, { bbox: bboxOf(b), precinct: JW.state.precinct(), state: "open" });
      }, function (f) {
        var p = f.properties;
        var icon = pin(STATE_COLORS[p.state] || "#757575", p.overdue ? "!" : "", "jw-pin-hazard" + (p.overdue ? " jw-pin-overdue" : ""));
        return L.marker(latlng(f), { icon: icon, title: p.title }).bindPopup(popup(p.title, [
          [JW.t("State"), JW.label("state", p.state)],
          [JW.t("Category"), JW.label("hazard", p.category)],
          [JW.t("Due"), JW.fmt.time(p.due_at)],
          [JW.t("Overdue"), p.overdue ? JW.t("Yes") : null, "jw-bad"],
          [JW.t("Grid"), p.grid_code],
        ]));
      });
    },

    /* Incidents of the chosen window (警情), by type. */
    incidents: function (map) {
      return pointLayer(map, function (b) {
        return JW.url(JW.config.urls.incidents, {
          bbox: bboxOf(b), precinct: JW.state.precinct(),
          from: JW.state.get("from", JW.config.view.from), to: JW.state.get("to", JW.config.view.to),
        });
      }, function (f) {
        var p = f.properties, label = JW.label("incident", p.type);
        return L.marker(latlng(f), { icon: pin(INCIDENT_COLORS[p.type] || "#616161", glyph(label), "jw-pin-incident"), title: p.description || label })
          .bindPopup(popup(p.description || label, [
            [JW.t("Type"), label], [JW.t("Time"), JW.fmt.time(p.occurred_at)], [JW.t("Code"), p.code], [JW.t("Grid"), p.grid_code],
          ]));
      });
    },

    patrols: function (map) {
      var group = L.geoJSON(null, {
        pane: "jw-labels",
        coordsToLatLng: JW.coords.coordsToLatLng,
        interactive: false,
        style: function (f) {
          var n = 0;
          for (var i = 0; i < f.properties.unit.length; i++) n = (n * 31 + f.properties.unit.charCodeAt(i)) >>> 0;
          return { color: UNIT_COLORS[n % UNIT_COLORS.length], weight: 2.5, opacity: 0.85 };
        },
      });
      group.reload = function () {
        if (!map.hasLayer(group)) return;
        var url = JW.url(JW.config.urls.patrols, { from: JW.state.get("from", JW.config.view.from), to: JW.state.get("to", JW.config.view.to), precinct: JW.state.precinct() });
        JW.getJSON(url).then(function (fc) { group.clearLayers(); group.addData(fc); }, JW.failed(JW.t("patrol tracks")));
      };
      group.on("add", function () { setTimeout(group.reload, 0); });
      return group;
    },
  };
})();
