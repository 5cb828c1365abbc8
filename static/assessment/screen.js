/* The big screen (/screen/): fills its panels from the figures (screen-data) and the community polygons
 * (screen-grid), follows the live feed (static/cityops/feed.js: the stream, polling when it is down) for the ticker,
 * and asks for the figures again when cases change (at most every refreshMinSeconds) and every refreshSeconds.
 * #screen carries data-loads (figures drawn so far), data-drawn-for (the viewport height the charts are sized
 * for), data-feed-mode and data-feed-cursor for whoever checks it. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("screen-config").textContent);
  var text = config.text;
  var LIGHT_COLOURS = { red: "#ef4444", yellow: "#facc15", green: "#22c55e", none: "#64748b" };
  var MAP_STEPS = ["#1e40af", "#2563eb", "#7c3aed", "#db2777", "#f97316", "#facc15"];
  var TICKER_ROWS = 9;
  var screen, charts = {}, map = null, gridLayer = null, figures = null, seen = {}, loads = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content != null) node.textContent = content;
    return node;
  }
  function vh(n) { return Math.max(8, Math.round(window.innerHeight * n / 100)); }
  function hhmm(iso) {
    var d = new Date(iso);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  // ---- charts ----
  // No animations: the figures are drawn again every few seconds on a wall, and a redraw should not flicker.
  function axisStyle() {
    return { axisLabel: { color: "#94a3b8", fontSize: vh(1.3) }, axisLine: { lineStyle: { color: "#334155" } },
      splitLine: { lineStyle: { color: "#1e293b" } } };
  }
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    return charts[id];
  }
  function drawIntake(rows) {
    var shown = rows.filter(function (r) { return r.count > 0; });
    if (!shown.length) shown = rows.slice(0, 4);
    shown = shown.slice().reverse();
    var total = rows.reduce(function (sum, r) { return sum + r.count; }, 0);
    $("intake-total").textContent = String(total);
    chart("chart-intake").setOption({
      animation: false,
      grid: { left: 8, right: vh(4), top: 4, bottom: 4, containLabel: true },
      xAxis: Object.assign({ type: "value", minInterval: 1 }, axisStyle()),
      yAxis: Object.assign({ type: "category", data: shown.map(function (r) { return r.label; }) }, axisStyle()),
      series: [{ type: "bar", data: shown.map(function (r) { return r.count; }), barMaxWidth: vh(2.2),
        itemStyle: { color: "#38bdf8", borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: "right", color: "#f8fafc", fontSize: vh(1.4) } }]
    }, true);
  }
  function drawLights(lights) {
    $("lights-total").textContent = String(lights.total);
    ["red", "yellow", "green", "none"].forEach(function (key) {
      var node = document.querySelector('[data-light="' + key + '"]');
      if (node) node.textContent = String(lights[key]);
    });
    chart("chart-lights").setOption({
      animation: false,
      series: [{ type: "pie", radius: ["48%", "78%"], label: { show: false },
        data: ["red", "yellow", "green", "none"].map(function (key) {
          return { name: config.lights[key], value: lights[key], itemStyle: { color: LIGHT_COLOURS[key] } };
        }) }]
    }, true);
  }
  function drawTrend(trend) {
    var days = trend.days.map(function (d) { return d.slice(5); });
    chart("chart-trend").setOption({
      animation: false,
      grid: { left: 8, right: 12, top: vh(3.2), bottom: 4, containLabel: true },
      legend: { top: 0, right: 0, textStyle: { color: "#cbd5e1", fontSize: vh(1.3) }, itemHeight: vh(1) },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: days, boundaryGap: false }, axisStyle()),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, axisStyle()),
      series: [
        { name: text.received, type: "line", smooth: true, symbol: "none", data: trend.received,
          lineStyle: { color: "#38bdf8", width: 2 }, itemStyle: { color: "#38bdf8" },
          areaStyle: { color: "rgba(56, 189, 248, 0.15)" } },
        { name: text.closed, type: "line", smooth: true, symbol: "none", data: trend.closed,
          lineStyle: { color: "#22c55e", width: 2 }, itemStyle: { color: "#22c55e" } }
      ]
    }, true);
  }

  // ---- lists ----
  function fill(list, rows, make) {
    list.textContent = "";
    if (!rows.length) { list.appendChild(el("li", "empty", text.noRows)); return; }
    rows.forEach(function (row) { list.appendChild(make(row)); });
  }
  function drawOverdue(rows) {
    fill($("overdue-rows"), rows, function (r) {
      var li = el("li");
      var link = el("a", "l-number", r.number);
      link.href = r.url;
      li.appendChild(link);
      li.appendChild(el("span", "l-region", r.region));
      li.appendChild(el("span", "l-late", r.overdue_hours != null ? r.overdue_hours + " " + text.hours : text.stopped));
      li.appendChild(el("span", "l-what", r.category + (r.department ? " · " + r.department : "") + " · " + r.status));
      return li;
    });
  }
  function drawRanking(rows) {
    fill($("ranking-rows"), rows, function (r, i) {
      var li = el("li");
      li.appendChild(el("span", "r-pos", r.rank != null ? String(r.rank) : "–"));
      li.appendChild(el("span", "r-name", r.name));
      var bar = el("span", "r-bar"), fillBar = el("span");
      fillBar.style.width = Math.max(0, Math.min(100, r.rate)) + "%";
      bar.appendChild(fillBar);
      li.appendChild(bar);
      li.appendChild(el("span", "r-rate", r.rate.toFixed(1) + "%"));
      return li;
    });
  }
  function tickerLine(event, fresh) {
    var li = el("li", fresh ? "is-new" : "");
    li.dataset.event = String(event.id);
    li.appendChild(el("span", "e-at", hhmm(event.at)));
    li.appendChild(el("span", "e-case", event.case.number));
    li.appendChild(el("span", "e-what", event.label || config.actions[event.action] || event.action));
    return li;
  }
  function addEvents(events, fresh) {
    var list = $("ticker-rows");
    var empty = list.querySelector(".empty");
    events.forEach(function (event) {
      if (seen[event.id]) return;
      seen[event.id] = true;
      if (empty) { empty.remove(); empty = null; }
      list.insertBefore(tickerLine(event, fresh), list.firstChild);
    });
    while (list.children.length > TICKER_ROWS) list.removeChild(list.lastChild);
    if (!list.children.length) list.appendChild(el("li", "empty", text.noRows));
  }

  // ---- the map ----
  // A log scale: a few communities with a crowd of cases would otherwise leave every other one dark.
  function mapColour(n, max) {
    if (!n) return "#0f1f3a";
    var t = max > 1 ? Math.log(n) / Math.log(max) : 1;
    return MAP_STEPS[Math.min(Math.floor(t * MAP_STEPS.length), MAP_STEPS.length - 1)];
  }
  function maxCount() {
    var counts = figures ? figures.communities : {}, max = 1;
    Object.keys(counts).forEach(function (k) { if (counts[k] > max) max = counts[k]; });
    return max;
  }
  function styleGrid() {
    if (!gridLayer || !figures) return;
    var counts = figures.communities, max = maxCount();
    gridLayer.eachLayer(function (layer) {
      var n = counts[layer.feature.properties.code] || 0;
      layer.setStyle({ fillColor: mapColour(n, max), fillOpacity: n ? 0.9 : 0.5 });
      layer.setTooltipContent(layer.feature.properties.name + ": " + n + " " + text.open);
    });
    var legend = $("map-legend");
    legend.textContent = "";
    legend.appendChild(el("span", "", "0"));
    MAP_STEPS.forEach(function (c) { var i = el("i"); i.style.background = c; legend.appendChild(i); });
    legend.appendChild(el("span", "", String(max)));
  }
  function initMap() {
    map = L.map("screen-map", { zoomControl: false, attributionControl: false, preferCanvas: true,
      zoomSnap: 0.25 }).setView([23.11, 114.42], 9);
    fetch(config.gridUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        gridLayer = L.geoJSON(data, {
          style: function () { return { color: "#1e3a8a", weight: 0.6, fillColor: "#0f1f3a", fillOpacity: 0.5 }; },
          onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
        }).addTo(map);
        if (data.features.length) map.fitBounds(gridLayer.getBounds(), { padding: [8, 8] });
        $("screen-map").dataset.polygons = String(data.features.length);
        styleGrid();
      })
      .catch(function () { $("screen-map").dataset.polygons = "0"; });
  }

  // ---- the figures ----
  function drawCharts(data) {
    drawIntake(data.intake);
    drawLights(data.lights);
    drawTrend(data.trend);
    screen.dataset.drawnFor = String(window.innerHeight);  // the viewport height the charts' text is sized for
  }
  function draw(data) {
    figures = data;
    $("scr-scope").textContent = data.scope.name;
    drawCharts(data);
    drawOverdue(data.overdue);
    drawRanking(data.ranking);
    addEvents(data.events, false);
    styleGrid();
    loads += 1;
    screen.dataset.loads = String(loads);
    screen.classList.remove("is-stale");
  }
  function load() {
    return fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(draw)
      .catch(function () { screen.classList.add("is-stale"); $("scr-mode").textContent = text.offline; });
  }

  function setMode(mode) {
    screen.dataset.feedMode = mode;
    var badge = $("scr-mode");
    badge.className = "scr-mode is-" + mode;
    badge.textContent = mode === "live" ? text.live : text.polling;
  }
  function tick() {
    var now = new Date();
    $("scr-clock").textContent = now.toLocaleDateString() + " " + now.toLocaleTimeString();
  }

  function start() {
    screen = $("screen");
    tick();
    setInterval(tick, 1000);
    initMap();
    load();
    var refresh = CityopsFeed.throttle(load, config.refreshMinSeconds * 1000);
    setInterval(load, config.refreshSeconds * 1000);
    if (config.feedUrl) {
      CityopsFeed.follow({
        streamUrl: config.streamUrl,
        pollUrl: config.feedUrl,
        cursor: config.feedCursor,
        pollSeconds: config.pollSeconds,
        onEvents: function (events) { addEvents(events, true); refresh(); },
        onCursor: function (cursor) { screen.dataset.feedCursor = String(cursor); },
        onMode: setMode
      });
    }
    // A new size (another wall, a window moved to it): the charts' text is sized from the viewport, so they are
    // drawn again, and the map is fitted to the grid again.
    window.addEventListener("resize", CityopsFeed.throttle(function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
      if (figures) drawCharts(figures);
      if (map) {
        map.invalidateSize();
        if (gridLayer && gridLayer.getLayers().length) map.fitBounds(gridLayer.getBounds(), { padding: [8, 8] });
      }
    }, 200));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
