// One background job's progress bar (training, route planning): poll the job's status URL,
// move the bar, and reload the page once the job has left its running states.
window.watchJob = function (boxId, runningStates) {
  var box = document.getElementById(boxId);
  if (!box) { return false; }
  var bar = document.getElementById(boxId + "-bar");
  var msg = document.getElementById(boxId + "-message");
  var poll = function () {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var pct = Math.max(5, s.percent || 0);
        bar.style.width = pct + "%";
        bar.textContent = pct + "%";
        msg.textContent = s.message || "";
        if (runningStates.indexOf(s.state) < 0) { window.location.reload(); return; }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  };
  poll();
  return true;
};
