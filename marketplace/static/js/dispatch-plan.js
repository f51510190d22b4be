// Plan page: the planning job's progress bar (job-progress.js), then reload; draw the
// routes (the same GeoJSON as the export) as polylines on a schematic map — no tile layer
// unless the server configures one (MAP_TILE_URL).
(function () {
  window.watchJob("plan-progress", ["planning"]);  // job-progress.js
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
