// Admin recommender page: poll the training job for the progress bar, then reload.
(function () {
  var box = document.getElementById("train-progress");
  if (!box) { return; }
  var bar = document.getElementById("train-progress-bar");
  var msg = document.getElementById("train-progress-message");
  var poll = function () {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var pct = Math.max(5, s.percent || 0);
        bar.style.width = pct + "%";
        bar.textContent = pct + "%";
        msg.textContent = s.message || "";
        if (s.state !== "queued" && s.state !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  };
  poll();
})();
