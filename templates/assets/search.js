// The search box: page titles, findings and table and chart captions, from the index the
// build wrote (assets/search-index.js), searched with MiniSearch (assets/minisearch.js). Both
// load the first time the box is used, from this site only. Without JavaScript the box stays
// hidden; if either script cannot load, it is hidden again.
(function () {
  "use strict";
  var form = document.querySelector("form.site-search");
  if (!form) { return; }
  var input = form.querySelector("input");
  var list = form.querySelector(".search-results");
  var status = form.querySelector(".search-status");
  var base = form.getAttribute("data-assets");
  var engine = null, loading = null;

  function load(src) {
    return new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.src = base + src; s.onload = ok; s.onerror = fail;
      document.head.appendChild(s);
    });
  }

  function ready() {
    if (!loading) {
      loading = load("minisearch.js").then(function () { return load("search-index.js"); })
        .then(function () {
          engine = new MiniSearch({fields: ["p", "x"], storeFields: ["u", "k", "p", "x"],
                                   searchOptions: {prefix: true, fuzzy: 0.2, boost: {p: 2},
                                                   combineWith: "AND"}});
          engine.addAll(window.ROCSREPORT_SEARCH || []);
        }).catch(function () { form.hidden = true; });
    }
    return loading;
  }

  function show() {
    var q = input.value.trim();
    list.textContent = "";
    if (!engine || q.length < 2) { status.textContent = ""; return; }
    var found = engine.search(q).slice(0, 12);
    status.textContent = found.length ? found.length + (found.length === 12 ? "+" : "") +
      " results" : "No results";
    found.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.u;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = r.k === "Page" ? "Page" : r.k + " · " + r.p;
      var text = document.createElement("span");
      text.className = "text";
      text.textContent = r.x;
      a.appendChild(kind); a.appendChild(text);
      li.appendChild(a); list.appendChild(li);
    });
  }

  form.hidden = false;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var first = list.querySelector("a");
    if (first) { first.focus(); }
  });
  input.addEventListener("focus", ready, {once: true});
  input.addEventListener("input", function () { ready().then(show); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { input.value = ""; show(); }
  });
})();
