// Live alerts on every station page: a server-sent-event stream brings each new alert of the
// station (for the tiers the user's level handles) at once. The 预警 tab counts them; the
// alerts list gets a row on top, other pages a notice linking to the alert. The server ends
// each stream after a while with a retry hint; EventSource reconnects with Last-Event-ID, so no
// alert is missed.
(function () {
  var box = document.getElementById("alert-live");
  if (!box || typeof EventSource === "undefined") { return; }
  var rows = document.getElementById("alert-rows");
  var badge = document.getElementById("alert-badge");
  var tiers = JSON.parse(box.dataset.tiers);
  var seen = {};
  function cell(tr, content) {
    var td = document.createElement("td");
    if (typeof content === "string") { td.textContent = content; } else { td.appendChild(content); }
    tr.appendChild(td);
  }
  function link(a) {
    var el = document.createElement("a");
    el.href = a.url;
    el.textContent = "#" + a.id;
    return el;
  }
  function addRow(a) {
    var empty = rows.querySelector("[data-empty]");
    if (empty) { empty.remove(); }
    var tr = document.createElement("tr");
    tr.id = "alert-row-" + a.id;
    tr.className = "table-info";
    tr.dataset.live = "true";
    [link(a), tiers[a.tier] || String(a.tier), box.dataset.lNew, a.reason, "", "", ""].forEach(function (c) { cell(tr, c); });
    rows.insertBefore(tr, rows.firstChild);
  }
  function addNotice(a) {
    var div = document.createElement("div");
    div.className = "alert alert-warning py-2 small";
    div.dataset.live = "true";
    div.appendChild(document.createTextNode(box.dataset.lNew + " "));
    div.appendChild(link(a));
    div.appendChild(document.createTextNode(" · " + (tiers[a.tier] || a.tier) + " · " + a.reason));
    box.appendChild(div);
  }
  var source = new EventSource(box.dataset.url + "?after=" + encodeURIComponent(box.dataset.after));
  source.addEventListener("alert", function (e) {
    var a = JSON.parse(e.data);
    if (seen[a.id]) { return; }
    seen[a.id] = true;
    if (rows) { addRow(a); } else { addNotice(a); }
    var n = Number(box.dataset.received || "0") + 1;
    box.dataset.received = String(n);
    if (badge) { badge.textContent = String(n); badge.hidden = false; }
  });
})();
