// Market map: result markers (and the search radius) with Leaflet. No tile layer unless the
// server configures one (MAP_TILE_URL), so the page never reaches the internet by default.
(function () {
  var el = document.getElementById("market-map");
  if (!el || !window.L) { return; }
  var points = JSON.parse(el.dataset.points || "[]");
  var centre = JSON.parse(el.dataset.centre || "null");
  var map = L.map(el, { attributionControl: false });
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map); }
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], { radius: 6, color: "#198754", fillOpacity: 0.8 });
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.title;
    marker.bindPopup(link).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  if (centre) {
    L.circleMarker([centre.lat, centre.lon], { radius: 8, color: "#0d6efd", fillOpacity: 1 }).addTo(map);
    if (centre.radius_km) {
      L.circle([centre.lat, centre.lon], { radius: centre.radius_km * 1000, color: "#0d6efd", fill: false }).addTo(map);
    }
    bounds.push([centre.lat, centre.lon]);
  }
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 }); }
  else { map.setView([22.85, 113.78], 10); }
  L.control.scale({ imperial: false }).addTo(map);
  el.dataset.ready = String(points.length);
})();
