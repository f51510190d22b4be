// The weighing desk: for every weight box, show the chosen scale's live reading (polled from
// the station API once a second) or, when 手工录入 is chosen, the manual weight and reason fields.
(function () {
  document.querySelectorAll("[data-scale-box]").forEach(function (box) {
    var select = box.querySelector("[data-scale-select]");
    var out = box.querySelector("[data-reading]");
    var manual = box.querySelector("[data-manual]");
    var timer = null;
    function show(r) {
      var parts = [r.connected ? out.dataset.lConnected : out.dataset.lDisconnected];
      if (r.weight !== null) {
        parts.push(r.weight + " " + r.unit);
        parts.push(r.stable ? out.dataset.lStable : out.dataset.lUnstable);
      }
      out.textContent = parts.join(" · ");
      out.className = "col-md-8 small " + (r.connected && r.stable ? "text-success fw-bold" : "text-warning");
      out.dataset.weight = r.weight || "";
      out.dataset.stable = r.stable ? "true" : "false";
    }
    function poll() {
      var url = box.dataset.url.replace(/\/0\/reading$/, "/" + select.value + "/reading");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (r) { if (r && select.value !== "manual") { show(r); } })
        .catch(function () { /* the server is busy for a moment: try again next tick */ });
    }
    function choose() {
      var isManual = select.value === "manual";
      manual.hidden = !isManual;
      if (timer) { clearInterval(timer); timer = null; }
      if (isManual) { out.textContent = ""; return; }
      out.textContent = "…";
      poll();
      timer = setInterval(poll, 1000);
    }
    select.addEventListener("change", choose);
    choose();
  });
})();
// A barcode scanner types the label and then Enter: in a label field that must not record the
// weighing, so Enter moves on to the next field instead.
(function () {
  document.querySelectorAll("input[data-scan]").forEach(function (input) {
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") { return; }
      e.preventDefault();
      var fields = Array.prototype.slice.call(input.form.querySelectorAll("input:not([type=hidden]), select, textarea"));
      var next = fields[fields.indexOf(input) + 1];
      if (next) { next.focus(); }
    });
  });
})();
