/* Search by code or name: the matching precincts, districts and grids; choosing one zooms to it. */
(function () {
  "use strict";
  var JW = window.JW;

  JW.search = function (input, list, onPick) {
    var timer = null, seq = 0;
    function show(results) {
      JW.clear(list);
      list.hidden = false;
      if (!results.length) {
        list.appendChild(JW.el("li", { class: "jw-note", text: JW.t("Nothing found") }));
        return;
      }
      results.forEach(function (r) {
        var button = JW.el("button", { type: "button", on: { click: function () { list.hidden = true; onPick(r); } } },
          [r.name, JW.el("small", { text: JW.label("layer", r.layer) + " · " + r.code })]);
        list.appendChild(JW.el("li", {}, [button]));
      });
    }
    function run() {
      var q = input.value.trim(), mine = ++seq;
      if (!q) { list.hidden = true; return; }
      JW.getJSON(JW.url(JW.config.urls.search, { q: q })).then(function (body) {
        if (mine === seq) show(body.results);
      }, JW.failed(JW.t("search")));
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        clearTimeout(timer);
        var first = list.querySelector("button");
        if (first && !list.hidden) first.click(); else run();
      }
    });
  };
})();
