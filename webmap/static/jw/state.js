/* The view lives in the URL (precinct, grid colouring, layers, window, zoom and centre), so a link can be shared.
   Changes are written with replaceState; the language switch and the page links follow along. */
(function () {
  "use strict";
  var JW = window.JW;
  var listeners = [];

  function params() { return new URLSearchParams(window.location.search); }

  function refreshLinks() {
    var here = window.location.pathname + window.location.search;
    var lang = document.getElementById("jw-lang");
    if (lang) lang.href = JW.url(JW.config.urls.langSwitch, { next: here });
    var precinct = params().get("precinct") || "";
    document.querySelectorAll("a[data-keep-precinct]").forEach(function (link) {
      var url = new URL(link.href, window.location.origin);
      if (precinct) url.searchParams.set("precinct", precinct); else url.searchParams.delete("precinct");
      link.href = url.pathname + url.search;
    });
  }

  JW.state = {
    get: function (key, fallback) {
      var value = params().get(key);
      return value === null ? (fallback === undefined ? "" : fallback) : value;
    },
    /* set({key: value}); an empty value removes the key */
    set: function (changes) {
      var p = params();
      Object.keys(changes).forEach(function (key) {
        var value = changes[key];
        if (value === null || value === undefined || value === "") p.delete(key); else p.set(key, value);
      });
      var query = p.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
      refreshLinks();
    },
    /* called with the precinct code ("" = all) when the header's picker changes */
    onPrecinct: function (fn) { listeners.push(fn); },
    precinct: function () { return JW.state.get("precinct", JW.config.precinct || ""); },
  };

  var picker = document.getElementById("jw-precinct");
  if (picker) {
    picker.addEventListener("change", function () {
      JW.state.set({ precinct: picker.value });
      listeners.forEach(function (fn) { fn(picker.value); });
    });
  }
  refreshLinks();
})();
