/* jingwang page core: configuration, translations, safe DOM building, JSON fetching, formatting.
   Every value from data reaches the page through textContent or setAttribute, never as HTML. */
(function () {
  "use strict";
  var JW = (window.JW = window.JW || {});
  JW.config = JSON.parse(document.getElementById("jw-config").textContent);
  var messages = JSON.parse(document.getElementById("jw-messages").textContent);

  /* The translated string; "%(name)s" placeholders filled from vars. An unknown id is a bug: say so loudly. */
  JW.t = function (msgid, vars) {
    var text = messages[msgid];
    if (text === undefined) {
      console.error("jingwang: untranslated message " + JSON.stringify(msgid));
      text = msgid;
    }
    return text.replace(/%\((\w+)\)s/g, function (_, key) {
      return vars && vars[key] !== undefined && vars[key] !== null ? String(vars[key]) : "";
    });
  };

  /* el("li", {class: "x", dataset: {code: c}, on: {click: fn}}, ["text", child]) */
  JW.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "on") {
        Object.keys(value).forEach(function (type) { node.addEventListener(type, value[type]); });
      } else if (key === "dataset") {
        Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
      } else if (key === "text") {
        node.textContent = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  };

  JW.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  /* "/api/x" + {a: 1, b: ""} -> "/api/x?a=1" (empty values left out) */
  JW.url = function (path, params) {
    var url = new URL(path, window.location.origin);
    Object.keys(params || {}).forEach(function (key) {
      var value = params[key];
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    });
    return url.pathname + url.search;
  };

  /* JSON from our API; a failure becomes an Error carrying the API's own message. */
  JW.getJSON = async function (url, options) {
    options = Object.assign({}, options);
    var method = (options.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      /* Changes made with the sign-in cookie carry the page's CSRF token. */
      var meta = document.querySelector('meta[name="csrf-token"]');
      options.headers = Object.assign({}, options.headers, { "X-CSRF-Token": meta ? meta.content : "" });
    }
    var response = await fetch(url, options);
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      var message = body && body.error && body.error.message ? body.error.message : response.status + " " + response.statusText;
      var error = new Error(message);
      error.status = response.status;
      error.body = body;
      throw error;
    }
    return body;
  };

  JW.showAlert = function (message) {
    var box = document.getElementById("jw-alert");
    box.textContent = message;
    box.hidden = !message;
  };

  /* Report a failed load in the page (a clerk sees why something is missing) without breaking the rest. */
  JW.failed = function (what) {
    return function (error) {
      JW.showAlert(JW.t("Could not load %(what)s: %(reason)s", { what: what, reason: error.message }));
    };
  };

  /* Marks a message id for extraction where the lookup happens later (JW.t(variable)). */
  function N_(msgid) { return msgid; }
  JW.N_ = N_;

  var locale = JW.config.lang === "zh" ? "zh-CN" : "en-GB";
  JW.fmt = {
    number: function (value) {
      return value === null || value === undefined ? "—" : Number(value).toLocaleString(locale);
    },
    percent: function (value) {
      return value === null || value === undefined ? "—" : (100 * value).toFixed(0) + "%";
    },
    /* ISO time -> "2026-11-02 14:05" in the browser's zone */
    time: function (iso) {
      if (!iso) return "—";
      var d = new Date(iso);
      if (isNaN(d)) return String(iso);
      function two(n) { return (n < 10 ? "0" : "") + n; }
      return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
    },
    date: function (iso) { return JW.fmt.time(iso).slice(0, 10); },
  };

  /* Labels for codes stored in the data (categories, states); unknown codes are shown as they are. */
  var CODES = {
    category: {
      school: N_("School"), hospital: N_("Hospital"), hotel: N_("Hotel"), internet_cafe: N_("Internet café"), bar_ktv: N_("Bar / KTV"),
      petrol_station: N_("Petrol station"), bank: N_("Bank"), market: N_("Market"), construction_site: N_("Construction site"),
      other: N_("Other"),
    },
    hazard: { traffic: N_("Traffic"), fire: N_("Fire"), building: N_("Building safety"), public_order: N_("Public order"), other: N_("Other") },
    incident: { theft: N_("Theft"), fraud: N_("Fraud"), dispute: N_("Dispute"), fight: N_("Fight"), traffic: N_("Traffic"), other: N_("Other") },
    state: {
      reported: N_("Reported"), assessed: N_("Assessed"), dispatched: N_("Dispatched"), resolved: N_("Resolved"), closed: N_("Closed"),
      rejected: N_("Rejected"),
    },
    status: { whole: N_("Whole"), split: N_("Split"), orphan: N_("Orphan") },
    layer: { precincts: N_("Precinct"), districts: N_("Police district"), grids: N_("Grid") },
  };
  JW.label = function (kind, code) {
    var msgid = CODES[kind] && CODES[kind][code];
    return msgid ? JW.t(msgid) : code === null || code === undefined ? "—" : String(code);
  };
})();
