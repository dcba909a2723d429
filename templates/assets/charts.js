// Interactive charts (charts: {interactive: true}): each figure's Vega-Lite spec, the same one
// that drew its static SVG, is drawn again by vega-embed from assets/vega.js (served by this
// site; no other host is contacted), with tooltips and legends that filter. Without
// JavaScript, or if drawing fails, the static SVG stays.
(function () {
  "use strict";
  var ARIA = ["role", "aria-roledescription", "aria-label"];

  function quiet(root) {
    // The figure around the chart carries its name and description (role img): nothing inside
    // is announced on its own, as in the static SVG.
    root.querySelectorAll("[role], [aria-roledescription], [aria-label]").forEach(function (el) {
      ARIA.forEach(function (a) { el.removeAttribute(a); });
    });
  }

  function draw(holder, locale) {
    var box = holder.querySelector(".chart-svg");
    var source = holder.querySelector("script.vl-spec");
    if (!box || !source || typeof vegaEmbed !== "function") { return; }
    var spec = JSON.parse(source.textContent);
    var live = document.createElement("div");
    live.className = "chart-live";
    box.appendChild(live);
    vegaEmbed(live, spec, {
      renderer: "svg", actions: false, ast: true, defaultStyle: false,
      formatLocale: locale, tooltip: {disableDefaultStyle: true, theme: "custom"}
    }).then(function () {
      quiet(live);
      new MutationObserver(function () { quiet(live); })
        .observe(live, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ARIA});
      holder.classList.add("is-live");  // the style sheet hides the static SVG
    }).catch(function () { live.remove(); });
  }

  function start() {
    var el = document.getElementById("chart-locale");
    var locale = el ? JSON.parse(el.textContent) : undefined;
    document.querySelectorAll("figure.chart").forEach(function (f) { draw(f, locale); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
