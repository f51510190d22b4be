// Live alerts: a server-sent-event stream adds each new alert of the station (for the tiers the
// user's level handles) to the top of the list at once. The server ends each stream after a
// while with a retry hint; EventSource reconnects with Last-Event-ID, so no alert is missed.
(function () {
  var box = document.getElementById("alert-live");
  var rows = document.getElementById("alert-rows");
  if (!box || !rows || typeof EventSource === "undefined") { return; }
  var tiers = JSON.parse(box.dataset.tiers);
  var source = new EventSource(box.dataset.url + "?after=" + encodeURIComponent(box.dataset.after));
  source.addEventListener("alert", function (e) {
    var a = JSON.parse(e.data);
    if (document.getElementById("alert-row-" + a.id)) { return; }
    var empty = rows.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    var tr = document.createElement("tr");
    tr.id = "alert-row-" + a.id;
    tr.className = "table-info";
    tr.dataset.live = "true";
    var link = document.createElement("a");
    link.href = a.url;
    link.textContent = String(a.id);
    var cells = [link, tiers[a.tier] || String(a.tier), box.dataset.lNew, a.reason, "", "", ""];
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (typeof c === "string") { td.textContent = c; } else { td.appendChild(c); }
      tr.appendChild(td);
    });
    rows.insertBefore(tr, rows.firstChild);
    box.dataset.received = String(Number(box.dataset.received || "0") + 1);
  });
})();
