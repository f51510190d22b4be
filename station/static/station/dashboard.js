// Station dashboard charts (Chart.js, vendored): today's flow per stage and open alerts by tier.
(function () {
  if (typeof Chart === "undefined") { return; }
  function data(el, key) { return JSON.parse(el.dataset[key]); }
  var flow = document.getElementById("flow-chart");
  if (flow) {
    var kg = function (g) { return g / 1000; };
    new Chart(flow, {
      type: "bar",
      data: {
        labels: data(flow, "stages"),
        datasets: [
          { label: flow.dataset.labelA, data: data(flow, "a").map(kg), backgroundColor: "#9ccc9c" },
          { label: flow.dataset.labelB, data: data(flow, "b").map(kg), backgroundColor: "#198754" }
        ]
      },
      options: { animation: false, scales: { y: { beginAtZero: true } } }
    });
  }
  var tiers = document.getElementById("tier-chart");
  if (tiers) {
    new Chart(tiers, {
      type: "bar",
      data: {
        labels: data(tiers, "tiers"),
        datasets: [{ data: data(tiers, "counts"), backgroundColor: ["#6c757d", "#ffc107", "#fd7e14", "#dc3545"] }]
      },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
