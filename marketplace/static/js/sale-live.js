// Live sale state: poll the lot's sale every few seconds and update the box in place, so a
// bidder sees new bids, a moved deadline (anti-sniping) and being outbid without reloading.
(function () {
  var box = document.getElementById("sale-live");
  if (!box || box.dataset.closed === "true") { return; }
  var labels = {};
  var tpl = document.getElementById("position-labels");
  if (tpl) {
    tpl.content.querySelectorAll("[data-key]").forEach(function (el) { labels[el.dataset.key] = el.textContent; });
  }
  function money(v) {
    if (v === null || v === undefined) { return "—"; }
    return Number(v).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  // Times in the cluster's zone, as the server renders them ("2026-12-01 18:30").
  var clock = new Intl.DateTimeFormat("sv-SE", {
    timeZone: box.dataset.tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"
  });
  function local(iso) { return clock.format(new Date(iso)); }
  function set(key, text) {
    var el = box.querySelector('[data-live="' + key + '"]');
    if (el && el.textContent !== text) { el.textContent = text; el.classList.add("text-success"); }
  }
  function refresh() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        set("n_bids", String(s.n_bids));
        set("deadline", local(s.deadline));
        set("standing", s.standing_yuan_per_t ? money(s.standing_yuan_per_t) : "—");
        set("min_next", money(s.min_next_yuan_per_t));
        set("position", labels[s.position] || s.position);
        box.dataset.polls = String(Number(box.dataset.polls || "0") + 1);
        if (s.closed) { window.location.reload(); }
      })
      .catch(function () { /* offline for a moment: try again next tick */ });
  }
  setInterval(refresh, Number(box.dataset.interval || 5000));
})();
