/* The yearly ESG summary: CO2 avoided and recycled volumes of my organisation from the
   indicators API, each CO2 figure with its factor, version and source written out (the page
   is printed, so the provenance cannot live only in a hover). */
(function () {
  "use strict";
  var root = document.getElementById("esg");
  if (!root) { return; }
  var T = JSON.parse(root.dataset.text || "{}");
  var KEEP = /^(co2e_avoided_gross|co2e_avoided_net|logistics_co2e|recycled_volume|utilisation_rate|substitution_rate|closed_loop_share|landfill_diversion_rate)$/;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(v) { var n = Number(v); return isNaN(n) ? String(v) : n.toLocaleString(undefined, { maximumFractionDigits: 3 }); }
  document.getElementById("esg-print").addEventListener("click", function () { window.print(); });
  var q = new URLSearchParams({ from: root.dataset.from, to: root.dataset.to, scope: "org", id: root.dataset.org });
  fetch(root.dataset.indicatorsUrl + "?" + q.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var box = document.getElementById("tiles");
      var notes = document.getElementById("esg-factors");
      box.textContent = "";
      var provenance = [];
      (data.indicators || []).filter(function (ind) { return KEEP.test(ind.key); }).forEach(function (ind) {
        var tile = el("div", { "class": "dash-tile", "data-testid": "tile-" + ind.key });
        tile.appendChild(el("div", { "class": "dash-tile-label" }, ind.label));
        var value = tile.appendChild(el("div", { "class": "dash-tile-value" }));
        if (ind.no_data || ind.value === null || ind.value === undefined) {
          value.appendChild(el("span", { "class": "dash-nodata", "data-testid": "tile-value" }, T.no_data));
        } else {
          value.appendChild(el("span", { "data-testid": "tile-value" }, fmt(ind.value)));
          value.appendChild(el("span", { "class": "dash-tile-unit" }, ind.unit || ""));
        }
        var used = ind.factors && ind.factors.length ? ind.factors : ind.factor && ind.factor.key ? [ind.factor] : [];
        if (used.length) {
          tile.classList.add("dash-co2");
          var lines = used.map(function (f) {
            return ind.label + " — " + T.factor + " " + f.key + " = " + f.value + " · " + T.version + " " + f.version + " · " + T.source + " " + f.source;
          });
          tile.title = lines.join("\n");
          provenance.push.apply(provenance, lines);
        }
        box.appendChild(tile);
      });
      if (!box.children.length) { box.textContent = T.no_data; }
      notes.textContent = provenance.join("；");
    })
    .catch(function () { document.getElementById("tiles").textContent = T.no_data; });
})();
