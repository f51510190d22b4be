// Plan page: poll the planning job's status for the progress bar, then reload; draw the
// routes (the same GeoJSON as the export) as polylines on a schematic map — no tile layer
// unless the server configures one (MAP_TILE_URL).
(function () {
  var box = document.getElementById("plan-progress");
  if (box) {
    var bar = document.getElementById("plan-progress-bar");
    var msg = document.getElementById("plan-progress-message");
    var poll = function () {
      fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          var pct = Math.max(5, s.percent || 0);
          bar.style.width = pct + "%";
          bar.textContent = pct + "%";
          msg.textContent = s.message || "";
          if (s.state !== "planning") { window.location.reload(); return; }
          window.setTimeout(poll, 700);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    poll();
  }
  var el = document.getElementById("plan-map");
  if (!el || !window.L) { return; }
  var doc = JSON.parse(el.dataset.geojson || "{}");
  var map = L.map(el, { attributionControl: false });
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map); }
  var layer = L.geoJSON(doc, {
    style: function (f) { return { color: f.properties.colour, weight: 3, opacity: 0.85 }; },
    pointToLayer: function (f, latlng) {
      var m = L.circleMarker(latlng, {
        radius: 7, color: f.properties.colour, fillOpacity: f.properties.kind === "pickup" ? 0.9 : 0.3
      });
      m.bindTooltip(f.properties.vehicle + " #" + f.properties.seq + " " + f.properties.name + " " + f.properties.start);
      return m;
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); }
  else { map.setView([22.85, 113.78], 10); }
  L.control.scale({ imperial: false }).addTo(map);
  el.dataset.ready = String((doc.features || []).length);
})();
