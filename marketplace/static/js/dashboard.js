/* Dashboard pages (cluster and my organisation): everything on the page comes from the APIs
   (indicators, trend, flows, anomalies) and every chart opens the records behind it.
   No inline script: the page passes its URLs and translated words in data attributes. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) { return; }
  var T = JSON.parse(root.dataset.text || "{}");
  var scope = root.dataset.scope;
  var org = root.dataset.org || new URLSearchParams(location.search).get("org") || "";
  var from = document.getElementById("from").value;
  var to = document.getElementById("to").value;
  var charts = [];
  var MARKET = /clearance|price|closed_loop|escrow|dispute/;
  var LOGISTICS = /empty|load_factor|consolidation|lead_time|on_time|logistics|pickup/;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function query(extra) {
    var q = new URLSearchParams({ from: from, to: to });
    if (family) { q.set("family", family); }
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] !== "" && extra[k] !== null && extra[k] !== undefined) { q.set(k, extra[k]); } });
    return q.toString();
  }
  function scoped(extra) {
    var q = new URLSearchParams({ from: from, to: to });
    if (scope === "organization") { q.set("scope", "org"); q.set("id", org); } else { q.set("scope", "cluster"); }
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  var made = {};
  function chart(id) {  /* one instance per box; a redraw starts from a clean chart */
    var box = document.getElementById(id);
    if (!box) { return null; }
    if (!made[id]) { made[id] = echarts.init(box); charts.push(made[id]); }
    made[id].clear();
    made[id].off("click");
    return made[id];
  }
  var family = "";
  var lastFlows = null, wasNarrow = null;
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
    var narrowNow = window.innerWidth < 576;  /* labels and axes are laid out for the width */
    if (lastFlows && wasNarrow !== null && narrowNow !== wasNarrow) { flows(lastFlows); }
    wasNarrow = narrowNow;
  });
  function fmt(v) {
    if (v === null || v === undefined || v === "") { return ""; }
    var n = Number(v);
    if (isNaN(n)) { return String(v); }
    return n.toLocaleString(undefined, { maximumFractionDigits: Math.abs(n) >= 100 ? 1 : 3 });
  }
  function exportUrl(url, format) {
    var parts = url.split("?");
    if (/\/records$/.test(parts[0])) { return parts[0] + "." + format + (parts[1] ? "?" + parts[1] : ""); }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "format=" + format;
  }

  /* ---- drill-down: a table of the records behind a figure, with CSV and XLSX links ---- */
  var drill = document.getElementById("drill");
  document.getElementById("drill-close").addEventListener("click", function () { drill.classList.add("d-none"); });
  function showRecords(title, rows, columns, csv, xlsx, note) {
    var table = document.getElementById("drill-table");
    table.textContent = "";
    document.getElementById("drill-title").textContent = title;
    document.getElementById("drill-csv").href = csv;
    document.getElementById("drill-xlsx").href = xlsx;
    if (!columns) {
      columns = rows.length ? Object.keys(rows[0]).filter(function (k) { return typeof rows[0][k] !== "object" || rows[0][k] === null; })
        .map(function (k) { return { key: k, label: k }; }) : [];
    }
    var head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", {}, c.label)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    rows.slice(0, 200).forEach(function (r) {
      var tr = el("tr", { "data-testid": "drill-row" });
      columns.forEach(function (c) { tr.appendChild(el("td", {}, r[c.key] === null ? "" : r[c.key])); });
      body.appendChild(tr);
    });
    if (!rows.length) { body.appendChild(el("tr")).appendChild(el("td", { colspan: columns.length || 1, "class": "text-muted" }, T.no_data)); }
    document.getElementById("drill-note").textContent = (note || "") + (rows.length > 200 ? " " + T.more_rows : "");
    drill.classList.remove("d-none");
    drill.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }
  function drillIndicator(ind) {
    var url = ind.drilldown_url || ("/api/v1/dashboard/indicators/" + encodeURIComponent(ind.key) + "/records?" + scoped());
    getJSON(url).then(function (data) {
      var rows = data.records || data.rows || data.items || [];
      var columns = data.columns && data.columns.length && typeof data.columns[0] === "object" ? data.columns : null;
      showRecords(ind.label + " · " + T.records, rows, columns, exportUrl(url, "csv"), exportUrl(url, "xlsx"), ind.basis || "");
    }).catch(function () { showRecords(ind.label, [], null, "#", "#", T.failed); });
  }
  var flowRecords = null;
  var FLOW_COLUMNS = ["record", "source_kind", "from_name", "to_name", "family", "kg", "basis"];
  function drillFlows(title, keep, orgId) {
    var q = query({ org: scope === "cluster" ? (orgId || "") : "" });
    var url = root.dataset.flowsUrl + "/records?" + q;
    var load = flowRecords && !orgId ? Promise.resolve(flowRecords) : getJSON(url).then(function (d) { if (!orgId) { flowRecords = d; } return d; });
    load.then(function (data) {
      var rows = data.records.filter(keep || function () { return true; });
      var labels = FLOW_COLUMNS.map(function (k) { return { key: k, label: T["col_" + k] || k }; });
      showRecords(title, rows, labels, url + "&format=csv", url + "&format=xlsx");
    }).catch(function () { showRecords(title, [], null, "#", "#", T.failed); });
  }

  /* ---- headline tiles --------------------------------------------------------------- */
  function tile(ind) {
    var button = el("button", { type: "button", "class": "dash-tile", "data-testid": "tile-" + ind.key, "data-key": ind.key });
    button.appendChild(el("div", { "class": "dash-tile-label" }, ind.label));
    var value = el("div", { "class": "dash-tile-value" });
    if (ind.no_data || ind.value === null || ind.value === undefined) {
      value.appendChild(el("span", { "class": "dash-nodata", "data-testid": "tile-value" }, T.no_data));
    } else {
      value.appendChild(el("span", { "data-testid": "tile-value" }, fmt(ind.value)));
      value.appendChild(el("span", { "class": "dash-tile-unit" }, ind.unit || ""));
    }
    button.appendChild(value);
    if (ind.change_pct !== null && ind.change_pct !== undefined && !ind.no_data) {
      var up = Number(ind.change_pct) >= 0;
      button.appendChild(el("div", { "class": "dash-tile-change " + (up ? "dash-up" : "dash-down"), "data-testid": "tile-change" },
        T.change + " " + (up ? "▲ +" : "▼ ") + fmt(ind.change_pct) + "% · " + T.previous + " " + fmt(ind.previous_value)));
    }
    var extra = ind.extra || {};
    if (extra.against_index_pct !== undefined && extra.against_index_pct !== null && !ind.no_data) {
      button.appendChild(el("div", { "class": "dash-tile-change", "data-testid": "tile-index" },
        T.against_index + " " + fmt(extra.against_index_pct) + "%"));
    }
    var hover = [];
    var used = ind.factors && ind.factors.length ? ind.factors : ind.factor && ind.factor.key ? [ind.factor] : [];
    if (used.length) {
      button.classList.add("dash-co2");
      used.forEach(function (f) {
        hover.push(T.factor + ": " + f.key + " = " + f.value + " · " + T.version + " " + f.version + " · " + T.source + " " + f.source);
      });
      button.setAttribute("data-factor", used[0].key + " " + used[0].version);
    } else if (ind.factor === null && /co2/i.test(ind.key)) {
      hover.push(T.missing_factor);
    }
    if (ind.basis) { hover.push(T.basis + ": " + ind.basis); }
    if (hover.length) { button.title = hover.join("\n"); }
    button.addEventListener("click", function () { drillIndicator(ind); });
    return button;
  }
  function tiles(data) {
    var main = document.getElementById("tiles");
    var market = document.getElementById("tiles-market");
    var logistics = document.getElementById("tiles-logistics");
    main.textContent = "";
    (data.indicators || []).forEach(function (ind) {
      var box = market && MARKET.test(ind.key) ? market : logistics && LOGISTICS.test(ind.key) ? logistics : main;
      box.appendChild(tile(ind));
    });
    var prev = data.previous_period;
    if (prev) { document.querySelector("[data-testid=period-previous]").textContent = T.previous_period + " " + (prev.from || prev[0]) + " ~ " + (prev.to || prev[1]); }
    trendKeys(data.indicators || []);
  }

  /* ---- trend ------------------------------------------------------------------------ */
  var trend = chart("trend");
  var indicatorsByKey = {};
  function trendKeys(list) {
    var select = document.getElementById("trend-key");
    list.forEach(function (ind) { indicatorsByKey[ind.key] = ind; });
    var withData = list.filter(function (ind) { return !ind.no_data; });
    withData.forEach(function (ind) { select.appendChild(el("option", { value: ind.key }, ind.label)); });
    var first = withData.filter(function (ind) { return Number(ind.value) !== 0; })[0];
    if (first) { select.value = first.key; }
    select.addEventListener("change", function () { drawTrend(select.value); });
    if (select.value) { drawTrend(select.value); } else { trend.setOption({ title: { text: T.no_data, left: "center", top: "middle", textStyle: { color: "#adb5bd" } } }); }
  }
  function drawTrend(key) {
    var days = (new Date(to) - new Date(from)) / 86400000;
    var bucket = days <= 92 ? "week" : "month";
    getJSON(root.dataset.trendUrl + "?" + scoped({ key: key, bucket: bucket })).then(function (data) {
      var points = data.points || data.series || data.buckets || [];
      var ind = indicatorsByKey[key] || {};
      trend.clear();
      trend.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 50, right: 16, top: 30, bottom: 30 },
        xAxis: { type: "category", data: points.map(function (p) { return p.from || p.period || p.start || p.date; }) },
        yAxis: { type: "value", name: data.unit || ind.unit || "" },
        series: [{ type: "line", name: ind.label || key, smooth: false, areaStyle: { opacity: 0.15 }, color: "#198754",
          data: points.map(function (p) { return p.value === undefined ? null : p.value; }) }]
      });
      trend.off("click");
      trend.on("click", function () { drillIndicator(ind.key ? ind : { key: key, label: key }); });
    }).catch(function () { trend.setOption({ title: { text: T.failed, left: "center", top: "middle" } }); });
  }

  /* ---- flows: Sankey, map, network -------------------------------------------------- */
  function flows(data) {
    lastFlows = data;
    wasNarrow = window.innerWidth < 576;
    var names = {};
    data.sankey.nodes.forEach(function (n) { names[n.name] = n; });
    var sankey = chart("sankey");
    var narrow = document.getElementById("sankey").clientWidth < 420;
    var lastDepth = Math.max.apply(null, [0].concat(data.sankey.nodes.map(function (n) { return n.depth; })));
    if (!data.sankey.links.length) {
      sankey.setOption({ title: { text: T.no_flows, left: "center", top: "middle", textStyle: { color: "#adb5bd", fontSize: 14 } } });
    } else {
      sankey.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          if (p.dataType === "edge") {
            var d = p.data;
            return names[d.source].label + " → " + names[d.target].label + "<br>" + fmt(d.value) + " " + T.tonnes +
              (d.declared_t ? " (" + T.of_which_declared + " " + fmt(d.declared_t) + ")" : "");
          }
          return names[p.name].label + " · " + T[names[p.name].layer];
        } },
        series: [{ type: "sankey", layoutIterations: 32, nodeAlign: "justify", emphasis: { focus: "adjacency" },
          data: data.sankey.nodes.map(function (n) { return { name: n.name, depth: n.depth, label: n.depth === lastDepth ? { position: "left" } : undefined }; }),
          links: data.sankey.links,
          label: { fontSize: narrow ? 9 : 12, formatter: function (p) { var l = names[p.name].label; var n = narrow ? 5 : 12; return l.length > n ? l.slice(0, n) + "…" : l; } },
          lineStyle: { color: "gradient", curveness: 0.5 } }]
      });
      sankey.on("click", function (p) {
        if (p.dataType === "edge") {
          var s = names[p.data.source], t = names[p.data.target];
          drillFlows(s.label + " → " + t.label, function (r) { return r.from_id === s.org_id && r.to_id === t.org_id; });
        } else if (names[p.name]) {
          var n = names[p.name];
          drillFlows(n.label, function (r) { return r.from_id === n.org_id || r.to_id === n.org_id; });
        }
      });
    }
    document.getElementById("sankey-basis").textContent = T.weighed + " " + fmt(data.sankey.weighed_t) + " " + T.tonnes + " · " + T.declared + " " + fmt(data.sankey.declared_t) + " " + T.tonnes;
    document.querySelectorAll("[data-export]").forEach(function (a) {
      a.href = root.dataset.flowsUrl + "/records?" + query({ format: a.dataset.export });
    });
    document.querySelectorAll("[data-network-export]").forEach(function (a) {
      a.href = root.dataset.flowsUrl + "?" + query({ format: a.dataset.networkExport });
    });
    drawMap(data.map);
    drawNetwork(data.network);
  }
  var KIND_COLOR = { producer: "#fd7e14", station: "#0d6efd", recycler: "#198754" };
  function drawMap(map) {
    var c = chart("map");
    if (!c) { return; }
    var kinds = ["producer", "station", "recycler"];
    var narrowMap = document.getElementById("map").clientWidth < 420;
    c.setOption({
      tooltip: { trigger: "item", formatter: function (p) { return p.seriesType === "lines" ? fmt(p.data.value_t) + " " + T.tonnes : p.data.name; } },
      legend: { data: kinds.map(function (k) { return T[k]; }), bottom: 0 },
      grid: { left: 50, right: 16, top: 16, bottom: 50 },
      xAxis: { type: "value", scale: true, name: "E", splitNumber: narrowMap ? 3 : 6, axisLabel: { formatter: "{value}°", hideOverlap: true } },
      yAxis: { type: "value", scale: true, name: "N", axisLabel: { formatter: "{value}°" } },
      series: kinds.map(function (k) {
        return { type: "scatter", name: T[k], color: KIND_COLOR[k], symbolSize: 11,
          data: map.points.filter(function (p) { return p.kind === k; }).map(function (p) { return { name: p.name, value: p.value, id: p.id }; }) };
      }).concat([{ type: "lines", coordinateSystem: "cartesian2d", silent: false, z: 1,
        lineStyle: { color: "#6c757d", opacity: 0.45, curveness: 0.15 },
        data: map.lines.map(function (l) { return { coords: l.coords, value_t: l.value_t, lineStyle: { width: Math.min(8, 1 + Math.sqrt(l.value_t)) } }; }) }])
    });
    c.on("click", function (p) {
      if (p.seriesType === "scatter") { drillFlows(p.data.name, function (r) { return r.from_id === p.data.id || r.to_id === p.data.id; }); }
    });
  }
  function drawNetwork(net) {
    var c = chart("network");
    if (!c) { return; }
    var max = Math.max.apply(null, [1].concat(net.nodes.map(function (n) { return n.weighted_degree_t; })));
    c.setOption({
      tooltip: { formatter: function (p) {
        if (p.dataType === "edge") { return fmt(p.data.value_t) + " " + T.tonnes; }
        var n = p.data.raw;
        return n.name + "<br>" + T.col_degree + " " + n.degree + " · " + fmt(n.weighted_degree_t) + " " + T.tonnes + "<br>" + T.col_betweenness + " " + n.betweenness + (n.bridge ? "<br>" + T.bridge : "");
      } },
      series: [{ type: "graph", layout: "force", roam: true, draggable: true, force: { repulsion: 160, edgeLength: [40, 140] },
        label: { show: net.nodes.length <= 40, fontSize: 10, formatter: function (p) { return p.data.raw.name.slice(0, 8); } },
        data: net.nodes.map(function (n) {
          return { id: String(n.id), name: String(n.id), raw: n, symbolSize: 8 + 30 * Math.sqrt(n.weighted_degree_t / max),
            itemStyle: { color: n.bridge ? "#dc3545" : KIND_COLOR[n.kind] || "#6c757d" } };
        }),
        links: net.edges.map(function (e) { return { source: String(e.source), target: String(e.target), value_t: e.value_t, lineStyle: { width: Math.min(6, 0.6 + Math.sqrt(e.value_t) / 2), opacity: 0.5 } }; })
      }]
    });
    c.on("click", function (p) {
      if (p.dataType === "node") { var n = p.data.raw; drillFlows(n.name, function (r) { return r.from_id === n.id || r.to_id === n.id; }); }
    });
    var body = document.getElementById("bridges");
    body.textContent = "";
    net.bridge_enterprises.forEach(function (n) {
      var tr = el("tr", { "data-testid": "bridge-row" });
      tr.appendChild(el("td", {}, n.name));
      [n.degree, fmt(n.weighted_degree_t), n.betweenness, fmt(n.stranded_t), n.parts].forEach(function (v) { tr.appendChild(el("td", { "class": "text-end" }, v)); });
      body.appendChild(tr);
    });
    if (!net.bridge_enterprises.length) { body.appendChild(el("tr")).appendChild(el("td", { colspan: 6, "class": "text-muted" }, T.none)); }
  }

  /* ---- station anomalies (cluster only) --------------------------------------------- */
  function link(href, text) { var a = el("a", { href: href }, text); return a; }
  function anomalies(data) {
    var body = document.getElementById("anomaly-stations");
    body.textContent = "";
    data.stations.forEach(function (s) {
      var tr = el("tr", { "data-testid": "anomaly-station" });
      tr.appendChild(el("td", {}, s.station));
      [s.weighings, s.anomalies, s.rate_pct === null ? "" : s.rate_pct + "%", s.open_alerts].forEach(function (v) { tr.appendChild(el("td", { "class": "text-end" }, v)); });
      tr.appendChild(el("td")).appendChild(link(s.records_url, T.process));
      body.appendChild(tr);
    });
    if (!data.stations.length) { body.appendChild(el("tr")).appendChild(el("td", { colspan: 6, "class": "text-muted" }, T.no_data)); }
    var recent = document.getElementById("anomaly-recent");
    recent.textContent = "";
    data.recent.forEach(function (r) {
      var tr = el("tr", { "data-testid": "anomaly-row" });
      tr.appendChild(el("td")).appendChild(link(r.records_url, r.at.slice(0, 16).replace("T", " ")));
      [r.station, r.stage, r.factory].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      [r.net_kg, r.deviation_kg].forEach(function (v) { tr.appendChild(el("td", { "class": "text-end" }, v)); });
      var cell = tr.appendChild(el("td"));
      if (r.passport_url) { cell.appendChild(link(r.passport_url, r.label)); } else { cell.textContent = r.label; }
      recent.appendChild(tr);
    });
    document.querySelectorAll("[data-anomaly-export]").forEach(function (a) {
      a.href = root.dataset.anomaliesUrl + "?" + query({ format: a.dataset.anomalyExport });
    });
  }

  /* ---- market prices: the weekly index of the most traded grades in the period -------- */
  function prices(points) {
    var c = chart("prices");
    var box = document.getElementById("prices");
    var inPeriod = points.filter(function (p) { return p.week >= from && p.week <= to; });
    var volume = {};
    inPeriod.forEach(function (p) { volume[p.grade] = (volume[p.grade] || 0) + Number(p.volume_t); });
    var grades = Object.keys(volume).sort(function (a, b) { return volume[b] - volume[a]; }).slice(0, 5);
    var weeks = Array.from(new Set(inPeriod.map(function (p) { return p.week; }))).sort();
    if (!grades.length) {
      c.setOption({ title: { text: T.no_data, left: "center", top: "middle", textStyle: { color: "#adb5bd", fontSize: 14 } } });
      return;
    }
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 56, right: 12, top: 16, bottom: 48 },
      xAxis: { type: "category", data: weeks },
      yAxis: { type: "value", scale: true },
      series: grades.map(function (g) {
        var byWeek = {};
        inPeriod.filter(function (p) { return p.grade === g; }).forEach(function (p) { byWeek[p.week] = Number(p.price_yuan_per_t); });
        return { type: "line", name: g, connectNulls: true, data: weeks.map(function (w) { return byWeek[w] === undefined ? null : byWeek[w]; }) };
      })
    });
    c.on("click", function (p) { location.href = box.dataset.page + "?grade=" + encodeURIComponent(p.seriesName); });
  }
  var priceBox = document.getElementById("prices");
  if (priceBox) { getJSON(priceBox.dataset.url).then(prices).catch(function () { chart("prices"); }); }

  getJSON(root.dataset.indicatorsUrl + "?" + scoped()).then(tiles).catch(function () {
    document.getElementById("tiles").textContent = T.no_data;
    trendKeys([]);
  });
  function loadFlows() {
    flowRecords = null;
    getJSON(root.dataset.flowsUrl + "?" + query({})).then(flows).catch(function () {
      document.getElementById("sankey-basis").textContent = T.failed;
    });
  }
  document.getElementById("flows-records").addEventListener("click", function () { drillFlows(T.records); });
  var familySelect = document.getElementById("flow-family");
  if (familySelect) {
    familySelect.addEventListener("change", function () { family = familySelect.value; loadFlows(); });
  }
  loadFlows();
  if (root.dataset.anomaliesUrl) { getJSON(root.dataset.anomaliesUrl + "?" + query({})).then(anomalies); }
})();
