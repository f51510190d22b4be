// Live alerts on every station page: a server-sent-event stream brings each new alert of the
// station (for the tiers the user's level handles) at once. The 预警 tab counts them; the
// alerts list gets a row on top, other pages a notice linking to the alert. A change to an
// alert (acknowledged, filed, resolved, escalated) comes as `alert-changed`: the list updates
// the row's tier and state, the alert's own page its tier, state and escalations (with a hint
// to reload for the handling steps now allowed), other pages note an escalation. The server
// ends each stream after a while with a retry hint; EventSource reconnects with Last-Event-ID
// (the cursor of alerts and changes seen), so nothing is missed.
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
    tr.children[1].dataset.tier = "";
    tr.children[2].dataset.state = "";
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
  var TIER_CLASS = { 2: "table-warning", 3: "table-danger" };
  function setText(root, selector, value) {
    var el = root && root.querySelector(selector);
    if (el) { el.textContent = value; }
  }
  function changed(a) {
    var tr = document.getElementById("alert-row-" + a.id);
    if (tr) {
      setText(tr, "[data-tier]", tiers[a.tier] || String(a.tier));
      setText(tr, "[data-state]", a.state_name);
      tr.className = TIER_CLASS[a.tier] || "";
      tr.dataset.changed = "true";
    }
    var page = document.getElementById("alert-page");
    if (page && page.dataset.alertId === String(a.id)) {
      setText(document, "[data-testid=alert-tier]", tiers[a.tier] || String(a.tier));
      setText(document, "[data-testid=alert-state]", a.state_name);
      setText(document, "[data-testid=alert-escalations]", String(a.escalations));
      if (!document.getElementById("alert-reload")) {
        var note = document.createElement("div");
        note.id = "alert-reload";
        note.className = "alert alert-info py-2 small";
        var reload = document.createElement("a");
        reload.href = window.location.pathname;
        reload.textContent = box.dataset.lReload;
        note.appendChild(document.createTextNode(box.dataset.lChanged + " · "));
        note.appendChild(reload);
        box.appendChild(note);
      }
    } else if (!tr && a.state === "escalated") {
      var div = document.createElement("div");
      div.className = "alert alert-warning py-2 small";
      div.dataset.live = "true";
      div.appendChild(document.createTextNode(box.dataset.lChanged + " "));
      div.appendChild(link(a));
      div.appendChild(document.createTextNode(" · " + (tiers[a.tier] || a.tier) + " · " + a.state_name));
      box.appendChild(div);
    }
  }
  source.addEventListener("alert-changed", function (e) { changed(JSON.parse(e.data)); });
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
