// The weekly price index of one grade: price as a line, volume as bars on a second axis.
(function () {
  var el = document.getElementById("index-chart");
  if (!el || !window.Chart) { return; }
  var weeks = JSON.parse(el.dataset.weeks);
  var prices = JSON.parse(el.dataset.prices).map(function (fen) { return fen / 100; });
  var volumes = JSON.parse(el.dataset.volumes).map(function (g) { return g / 1e6; });
  new Chart(el, {
    data: {
      labels: weeks,
      datasets: [
        { type: "line", label: el.dataset.label, data: prices, borderColor: "#198754", backgroundColor: "#198754", yAxisID: "price", tension: 0.2 },
        { type: "bar", label: el.dataset.volumeLabel, data: volumes, backgroundColor: "rgba(13,110,253,0.25)", yAxisID: "volume" }
      ]
    },
    options: {
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        price: { position: "left", title: { display: true, text: el.dataset.label } },
        volume: { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: el.dataset.volumeLabel } }
      }
    }
  });
  el.dataset.ready = String(weeks.length);
})();
