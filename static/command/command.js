/* Command centre (/command/): keyboard tabs, the map (grids + clustered cases), the case panel, live updates.
 * Plain ES2017, no build step. htmx swaps the list and the panel; this file wires what htmx cannot. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("command-config").textContent);
  var form = document.getElementById("filters");
  var queueInput = document.getElementById("f-queue");
  var tablist = document.getElementById("queue-tabs");
  var tabs = Array.prototype.slice.call(tablist.querySelectorAll('[role="tab"]'));
  var listPanel = document.getElementById("case-list-panel");
  var countsLive = document.getElementById("counts-live");
  var mapStatus = document.getElementById("map-status");
  var centre = document.getElementById("command-centre");

  function panel() { return document.getElementById("case-panel"); }
  function openCaseId() { var p = panel(); return p && p.dataset.case ? Number(p.dataset.case) : null; }
  function filterQuery() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) params.delete(k); });
    return params;
  }

  // ---- queue tabs (WAI-ARIA tabs: arrows move, Enter/Space/click select) ----
  function selectTab(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
    });
    if (focus) tab.focus();
    queueInput.value = tab.dataset.queue;
    listPanel.setAttribute("aria-labelledby", tab.id);
    var url = new URL(window.location.href);
    url.searchParams.set("queue", tab.dataset.queue);
    url.searchParams.delete("case");
    window.history.replaceState(null, "", url);
    htmx.trigger(form, "submit");
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function (event) { event.preventDefault(); selectTab(tab, false); });
    tab.addEventListener("keydown", function (event) {
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      else if (event.key === " " || event.key === "Enter") { event.preventDefault(); selectTab(tab, true); return; }
      if (next) { event.preventDefault(); next.focus(); }
    });
  });

  // ---- the list: mark the open case; a row click moves focus into the panel once it has loaded ----
  var focusPanelAfterSwap = false;
  function markCurrent() {
    var id = openCaseId();
    document.querySelectorAll(".case-row").forEach(function (row) {
      if (Number(row.dataset.case) === id) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest(".case-row");
    if (row) focusPanelAfterSwap = true;
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "case-list" || target.classList.contains("more-row")) {
      markCurrent();
      loadCases();
      if (target.id === "case-list" && keepScroll != null) { target.scrollTop = keepScroll; }
      keepScroll = null;
    }
    if (target.id === "case-panel" || (event.detail.elt && event.detail.elt.id === "case-panel")) {
      markCurrent();
      highlightMarker();
      var p = panel();
      flyToCase(p);
      var url = new URL(window.location.href);
      if (p && p.dataset.case) url.searchParams.set("case", p.dataset.case); else url.searchParams.delete("case");
      window.history.replaceState(null, "", url);
      if (focusPanelAfterSwap) {
        var title = document.getElementById("panel-title");
        if (title) title.focus();
      } else {
        var invalid = p && p.querySelector('[aria-invalid="true"]');
        if (invalid) invalid.focus();
        else if (p && p.querySelector(".panel-live .notice")) p.scrollIntoView({ block: "start" });
      }
      focusPanelAfterSwap = false;
    }
  });
  // A file input may hold at most six photos: say so at once (the server checks again).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.dataset.maxFiles) return;
    var tooMany = input.files.length > Number(input.dataset.maxFiles);
    input.setCustomValidity(tooMany ? input.dataset.tooMany : "");
    if (tooMany) { input.reportValidity(); input.value = ""; input.setCustomValidity(""); }
  });
  // After an action: counts, list and markers follow at once.
  document.body.addEventListener("cityops:case-changed", function () {
    refreshCounts();
    refreshList();
  });

  // ---- the list follows the feed: re-fetched (debounced) with as many rows as are shown, scroll kept ----
  var listTimer = null, keepScroll = null, LIST_DEBOUNCE = 800, MAX_ROWS = 200;
  function userIsTyping() {
    var el = document.activeElement;
    if (!el || !/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) return false;
    return el.tagName !== "INPUT" || /^(text|search|number|tel|date)$/.test(el.type);
  }
  function refreshList() {
    var shown = document.querySelectorAll("#case-rows .case-row").length;
    var params = filterQuery();
    params.set("size", String(Math.min(Math.max(shown, 25), MAX_ROWS)));
    keepScroll = document.getElementById("case-list").scrollTop;
    return htmx.ajax("GET", config.listUrl + "?" + params.toString(), { target: "#case-list", swap: "innerHTML" })
      .then(function () { centre.dataset.listRefreshes = String(Number(centre.dataset.listRefreshes || 0) + 1); });
  }
  function scheduleListRefresh() {
    clearTimeout(listTimer);
    listTimer = setTimeout(function () {
      // Never while the user types (a search, a note): the list waits until the field is left.
      if (userIsTyping()) { scheduleListRefresh(); return; }
      refreshList();
    }, LIST_DEBOUNCE);
  }

  // ---- the map ----
  var fittedToCases = false, map = null, clusters = null, cellLayer = null, gridLayers = {}, labelLayers = {}, markersById = {}, loadTimer = null, casesRequest = 0;
  var LIGHT_RANK = { red: 3, yellow: 2, green: 1, "": 0 };

  function markerIcon(light, selected) {
    return L.divIcon({
      className: "", iconSize: [18, 18], iconAnchor: [9, 9],
      html: '<span class="case-marker marker-' + (light || "none") + (selected ? " selected" : "") + '"></span>'
    });
  }
  function clusterIcon(cluster) {
    var worst = "";
    cluster.getAllChildMarkers().forEach(function (m) {
      if (LIGHT_RANK[m.options.light || ""] > LIGHT_RANK[worst]) worst = m.options.light;
    });
    var n = cluster.getChildCount();
    // Sizes are classes in site.css: the Content-Security-Policy refuses style attributes in markup.
    var size = n < 10 ? 32 : n < 100 ? 38 : 46;
    return L.divIcon({
      className: "", iconSize: [size, size],
      html: '<span class="cluster cluster-' + (worst || "none") + " cluster-" + size + '">' + n + "</span>"
    });
  }
  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Opening a case brings the map to it (once per case: a live reload of the same panel leaves the map alone).
  var shownOnMap = null, CASE_ZOOM = 16;
  function flyToCase(p) {
    if (!map || !p || !p.dataset.case || !p.dataset.lat) return;
    if (shownOnMap === p.dataset.case) return;
    shownOnMap = p.dataset.case;
    fittedToCases = true;
    map.flyTo([Number(p.dataset.lat), Number(p.dataset.lon)], Math.max(map.getZoom(), CASE_ZOOM), { duration: 0.6 });
  }
  function openCase(id) {
    focusPanelAfterSwap = true;
    htmx.ajax("GET", config.panelUrl.replace("/0/", "/" + id + "/"), { target: "#case-panel", swap: "outerHTML" });
  }
  function popupHtml(c) {
    var light = c.light ? config.lights[c.light] : "";
    return '<div class="marker-popup"><p><strong class="case-number">' + escapeHtml(c.number) + "</strong> " +
      escapeHtml(c.status) + "</p><p>" + escapeHtml(c.category) + (light ? " · " + escapeHtml(light) : "") +
      "</p><p>" + escapeHtml(c.address || "") + '</p><button type="button" class="btn-small" data-open-case="' + c.id + '">' +
      escapeHtml(config.text.open) + "</button></div>";
  }
  function highlightMarker() {
    var id = openCaseId();
    Object.keys(markersById).forEach(function (key) {
      var m = markersById[key];
      m.setIcon(markerIcon(m.options.light, Number(key) === id));
    });
  }
  function bboxParam() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
  }
  function loadCases() {
    if (!map) return;
    var params = filterQuery();
    params.set("bbox", bboxParam());
    var ticket = ++casesRequest;
    fetch(config.casesUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (ticket !== casesRequest) return;  // a newer request is on its way
        clusters.clearLayers();
        cellLayer.clearLayers();
        markersById = {};
        // More cases in view than the server sends one by one: all of them, counted per area.
        var cells = (data.cells || []).map(function (c) {
          var worst = c.red ? "red" : c.yellow ? "yellow" : c.green ? "green" : "none";
          var size = c.count < 10 ? 32 : c.count < 100 ? 38 : 46;
          var m = L.marker([c.lat, c.lon], {
            keyboard: true, title: String(c.count), alt: String(c.count),
            icon: L.divIcon({
              className: "", iconSize: [size, size],
              html: '<span class="cluster cluster-' + worst + " cluster-" + size + '">' + c.count + "</span>"
            })
          });
          m.on("click", function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, 18)); });
          return m;
        });
        cells.forEach(function (m) { cellLayer.addLayer(m); });
        if (!fittedToCases && cells.length) {
          fittedToCases = true;
          map.fitBounds(L.featureGroup(cells).getBounds(), { padding: [40, 40], maxZoom: 13 });
        }
        document.getElementById("map").dataset.cells = String(cells.length);
        var open = openCaseId();
        var markers = data.cases.map(function (c) {
          var m = L.marker([c.lat, c.lon], {
            icon: markerIcon(c.light, c.id === open), light: c.light, keyboard: true,
            title: c.number + " " + (c.address || ""), alt: c.number
          });
          m.bindPopup(popupHtml(c));
          markersById[c.id] = m;
          return m;
        });
        clusters.addLayers(markers);
        // The first time, show where the work is: zoom to the cases (not closer than a street's view).
        if (!fittedToCases && markers.length) {
          fittedToCases = true;
          map.fitBounds(clusters.getBounds(), { padding: [40, 40], maxZoom: 13 });
        }
        mapStatus.textContent = cells.length ? config.text.cells.replace("%(n)s", String(data.total)) : "";
        document.getElementById("map").dataset.markers = String(markers.length);
      })
      .catch(function () { /* the next move or refresh tries again */ });
  }
  function loadGrids() {
    if (!map) return;
    var zoom = map.getZoom();
    document.querySelectorAll('input[name="grid-level"]').forEach(function (box) {
      var level = box.value;
      var layer = gridLayers[level];
      // Communities are small: only drawn from street-level zoom on, to keep the map readable and light.
      // Unit grids (about 100 m) only at street zoom: the server refuses a box much wider than a few streets.
      var visible = box.checked && !(level === "community" && zoom < 11) && !(level === "street" && zoom < 9) &&
        !(level === "unit" && zoom < UNIT_MIN_ZOOM);
      if (!visible) { layer.clearLayers(); labelLayers[level].clearLayers(); layer.options.loadedKey = ""; return; }
      var key = bboxParam() + "|" + zoom;
      if (layer.options.loadedKey === key) return;
      layer.options.loadedKey = key;
      fetch(config.gridsUrl + "?level=" + level + "&bbox=" + bboxParam(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (geojson) {
          // An answer to an earlier view (the map moved, or the level was hidden, while it was on its way) is
          // dropped: only the latest request of a level draws.
          if (layer.options.loadedKey !== key) return;
          layer.clearLayers(); labelLayers[level].clearLayers(); layer.addData(geojson);
          document.getElementById("map").dataset.labels = String(document.querySelectorAll(".grid-label").length);
        })
        .catch(function () { if (layer.options.loadedKey === key) layer.options.loadedKey = ""; });
    });
  }
  var GRID_STYLE = {
    district: { color: "#10294a", weight: 2.5, fill: true, fillColor: "#ffffff", fillOpacity: 0.55, dashArray: null },
    street: { color: "#2f6db5", weight: 1.5, fill: false, dashArray: "5 4" },
    community: { color: "#6b8fb8", weight: 1, fill: false, dashArray: "2 3" },
    unit: { color: "#8a6d3b", weight: 0.7, fill: false, dashArray: null }
  };
  var UNIT_MIN_ZOOM = 15;
  function initMap() {
    if (typeof L === "undefined") return;
    map = L.map("map", { zoomControl: true, keyboard: true, minZoom: 3, maxZoom: 18, zoomSnap: 0.25 });
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 18, attribution: "" }).addTo(map);
    } else {
      map.attributionControl.addAttribution(escapeHtml(config.text.noTiles));
    }
    ["district", "street", "community", "unit"].forEach(function (level, i) {
      gridLayers[level] = L.geoJSON(null, {
        style: GRID_STYLE[level], interactive: level === "district",
        onEachFeature: function (feature) {
          // Names where they are readable: districts always, streets from zoom 11, communities from zoom 14;
          // written at the server's point inside the polygon, not at its box's centre (which may lie outside).
          var minZoom = { district: 0, street: 11, community: 14, unit: 17 }[level];
          var at = feature.properties.label;
          // A unit grid is labelled with its 3-digit number (the community is written around it).
          var text = level === "unit" ? feature.properties.code.slice(-3) : feature.properties.name;
          if (map.getZoom() >= minZoom && at) {
            labelLayers[level].addLayer(L.tooltip({ permanent: true, direction: "center", interactive: false, className: "grid-label grid-label-" + level })
              .setLatLng([at[1], at[0]]).setContent(escapeHtml(text)));
          }
        }
      }).addTo(map);
      labelLayers[level] = L.layerGroup().addTo(map);
    });
    clusters = L.markerClusterGroup({ iconCreateFunction: clusterIcon, showCoverageOnHover: false, maxClusterRadius: 45, spiderfyOnMaxZoom: true });
    map.addLayer(clusters);
    cellLayer = L.layerGroup().addTo(map);
    if (config.bounds) map.fitBounds([[config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]], { padding: [10, 10] });
    else map.setView(config.center, config.zoom);
    // Where the map looks (centre and zoom), for anyone checking what the screen shows: the browser tests do.
    function noteView() {
      var c = map.getCenter();
      document.getElementById("map").dataset.view = c.lat.toFixed(5) + "," + c.lng.toFixed(5) + "," + map.getZoom();
    }
    noteView();
    map.on("moveend", function () {
      noteView();
      clearTimeout(loadTimer);
      loadTimer = setTimeout(function () { loadGrids(); loadCases(); }, 250);
    });
    map.on("popupopen", function (event) {
      var button = event.popup.getElement().querySelector("[data-open-case]");
      if (button) { button.addEventListener("click", function () { openCase(Number(button.dataset.openCase)); }); button.focus(); }
    });
    document.querySelectorAll('input[name="grid-level"]').forEach(function (box) { box.addEventListener("change", loadGrids); });
    var opened = panel();
    if (opened && opened.dataset.lat) {
      shownOnMap = opened.dataset.case;
      fittedToCases = true;
      map.setView([Number(opened.dataset.lat), Number(opened.dataset.lon)], CASE_ZOOM);
    }
    loadGrids();
    loadCases();
    initPatrols();
  }

  // ---- grid workers on patrol: their last fix, refreshed every minute (who is on duty where) ----
  var PATROL_REFRESH_MS = 60000;
  var patrolLayer = null;
  function loadPatrols() {
    var box = document.getElementById("patrol-layer");
    if (!patrolLayer || !box) return;
    if (!box.checked) { patrolLayer.clearLayers(); document.getElementById("map").dataset.patrols = "0"; return; }
    fetch(config.patrolsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        patrolLayer.clearLayers();
        data.workers.forEach(function (w) {
          var age = w.age_minutes === null ? "" : config.text.minutesAgo.replace("{m}", w.age_minutes);
          var label = escapeHtml(w.name) + " · " + escapeHtml(config.text.onPatrol) + (age ? " · " + escapeHtml(age) : "") +
            (w.stale ? " · " + escapeHtml(config.text.outOfTouch) : "");
          L.circleMarker([w.lat, w.lon], {
            radius: 8, weight: 2, color: "#ffffff", fillColor: w.stale ? "#9ca3af" : "#16a34a", fillOpacity: 0.95,
            className: "patrol-marker"
          }).bindTooltip(label, { direction: "top" }).addTo(patrolLayer);
        });
        document.getElementById("map").dataset.patrols = String(data.workers.length);
      })
      .catch(function () { /* the next refresh tries again */ });
  }
  function initPatrols() {
    if (!config.patrolsUrl) return;
    patrolLayer = L.layerGroup().addTo(map);
    var box = document.getElementById("patrol-layer");
    if (box) box.addEventListener("change", loadPatrols);
    loadPatrols();
    setInterval(loadPatrols, PATROL_REFRESH_MS);
  }

  // ---- live updates: the event stream (static/cityops/feed.js; polling the feed when the stream is not
  // available), else the counts every 15 s ----
  function applyCounts(counts) {
    var changed = [];
    Object.keys(counts).forEach(function (key) {
      var el = tablist.querySelector('[data-count="' + key + '"]');
      if (!el) return;
      if (String(counts[key]) !== el.textContent.trim()) {
        el.textContent = counts[key];
        var tab = el.closest(".qtab");
        tab.classList.remove("changed"); void tab.offsetWidth; tab.classList.add("changed");
        changed.push(tab.querySelector(".qtab-label").textContent + " " + counts[key]);
      }
    });
    // The page was rendered with the counts, so any difference is news worth announcing.
    if (changed.length) countsLive.textContent = config.text.updated + " " + changed.join(", ");
    return changed.length > 0;
  }
  function refreshCounts() {
    return fetch(config.countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { return applyCounts(data.counts); });
  }
  function userIsEditing() {
    var p = panel();
    if (!p) return false;
    if (p.contains(document.activeElement) && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) return true;
    return Array.prototype.some.call(p.querySelectorAll("textarea, input[type=text], input[type=number], input[type=file]"), function (el) {
      return el.type === "file" ? el.files.length > 0 : el.value.trim() !== "";
    });
  }
  function refreshPanel() {
    var p = panel();
    if (!p || !p.dataset.url) return;
    if (userIsEditing()) {
      var live = p.querySelector(".panel-live");
      if (live && !live.querySelector(".notice-conflict")) {
        live.innerHTML = '<div class="notice notice-conflict" role="alert">' + escapeHtml(config.text.changed) +
          ' <button type="button" class="btn-small" data-reload-panel>' + escapeHtml(config.text.reload) + "</button></div>";
      }
      return;
    }
    htmx.ajax("GET", p.dataset.url, { target: "#case-panel", swap: "outerHTML" });
  }
  document.addEventListener("click", function (event) {
    if (event.target.matches && event.target.matches("[data-reload-panel]")) {
      var p = panel();
      htmx.ajax("GET", p.dataset.url, { target: "#case-panel", swap: "outerHTML" });
    }
  });
  function panelIsBehind(events) {
    var p = panel();
    if (!p || !p.dataset.case) return false;
    var id = Number(p.dataset.case), seen = Number(p.dataset.lastEvent || 0);
    return events.some(function (e) { return e.case && e.case.id === id && e.id > seen; });
  }
  // The stream carries the counts with its messages (read once for all the screens over the same grids), so a
  // screen on the stream never asks for them. While it polls the feed instead, it reads them itself, at most once
  // every few seconds however many events arrive (a second of jitter spreads the screens of a busy centre).
  var COUNTS_EVERY_MS = 3000;
  var countsPushed = false;
  var refreshCountsSoon = CityopsFeed.throttle(function () {
    setTimeout(function () { refreshCounts().catch(function () {}); }, Math.random() * 1000);
  }, COUNTS_EVERY_MS);
  function onCounts(counts) {
    countsPushed = true;
    applyCounts(counts);
  }
  function onEvents(events) {
    if (!events.length) return;
    if (!countsPushed) refreshCountsSoon();
    if (panelIsBehind(events)) refreshPanel();
    if (events.some(function (e) { return e.case; })) scheduleListRefresh();
    else loadCases();
  }
  function pollCounts() {
    refreshCounts().then(function (changed) {
      if (changed) { scheduleListRefresh(); if (openCaseId()) refreshPanel(); }
    }).catch(function () {}).then(function () { setTimeout(pollCounts, config.pollSeconds * 1000); });
  }
  function followFeed() {
    CityopsFeed.follow({
      streamUrl: config.streamUrl,
      pollUrl: config.feedUrl,
      cursor: config.feedCursor,
      pollSeconds: config.pollSeconds,
      onEvents: onEvents,
      onCounts: onCounts,
      // How far this page has followed the feed: every event up to this id has been applied (counts, list,
      // panel). Anyone checking that a screen is live can read it here, and the browser tests wait on it.
      onCursor: function (cursor) { centre.dataset.feedCursor = String(cursor); },
      onMode: function (mode) {
        centre.dataset.feedMode = mode;
        // Polling the feed: the counts no longer come with it.
        if (mode === "polling") countsPushed = false;
      }
    });
  }

  function start() {
    markCurrent();
    initMap();
    if (config.feedUrl) followFeed();
    else setTimeout(pollCounts, config.pollSeconds * 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
