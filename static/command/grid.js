/* The unit-grid page: a community's cells numbered on the map, each network's patrol areas coloured over the same
   cells, and cells picked by clicking listed as numbers and ranges (the admin's patrol-area form takes that list). */
(function () {
  "use strict";
  var NETWORK_COLOUR = { city_management: "#d9822b", public_order: "#2b7bd9", patrol: "#7a3fb8", community_service: "#2e9b5b" };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  function ranges(numbers) {
    var sorted = numbers.slice().sort(function (a, b) { return a - b; }), runs = [];
    sorted.forEach(function (n) {
      var last = runs[runs.length - 1];
      if (last && n === last[1] + 1) last[1] = n; else runs.push([n, n]);
    });
    function pad(n) { return ("00" + n).slice(-3); }
    return runs.map(function (r) { return r[0] === r[1] ? pad(r[0]) : pad(r[0]) + "-" + pad(r[1]); }).join(", ");
  }

  function init() {
    var node = document.getElementById("grid-config");
    var mapNode = document.getElementById("ug-map");
    if (!node || !mapNode || typeof L === "undefined") return;
    var config = JSON.parse(node.textContent);
    if (!config.cells) return;
    var map = L.map("ug-map", { minZoom: 10, maxZoom: 19, zoomSnap: 0.25 });
    if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19, attribution: "" }).addTo(map);
    else map.attributionControl.addAttribution(escapeHtml(config.text.noTiles));

    // Which areas (and networks) each cell belongs to: one geometry, several uses.
    var areasOf = {};
    config.areas.forEach(function (area) {
      area.cells.forEach(function (code) { (areasOf[code] = areasOf[code] || []).push(area); });
    });
    var shown = {}, picked = {}, focused = null, layersByCode = {};
    document.querySelectorAll(".ug-toggle").forEach(function (box) { shown[box.value] = box.checked; });

    function styleOf(code) {
      var style = { color: "#8a6d3b", weight: 0.8, fillOpacity: 0, fill: true };
      var areas = (areasOf[code] || []).filter(function (a) { return shown[a.network]; });
      if (focused) areas = areas.filter(function (a) { return a.code === focused; });
      if (areas.length) {
        style.fillColor = NETWORK_COLOUR[areas[areas.length - 1].network] || "#888";
        style.fillOpacity = areas.length > 1 ? 0.55 : 0.35;
      }
      if (picked[code]) { style.color = "#b00020"; style.weight = 2.5; }
      return style;
    }

    var labels = L.layerGroup().addTo(map);
    var cells = L.geoJSON(config.cells, {
      style: function (feature) { return styleOf(feature.properties.code); },
      onEachFeature: function (feature, layer) {
        var code = feature.properties.code;
        layersByCode[code] = layer;
        var names = (areasOf[code] || []).map(function (a) { return escapeHtml(a.name); });
        layer.bindTooltip("<strong>" + code + "</strong>" + (names.length ? "<br>" + names.join("<br>") : ""), { sticky: true });
        layer.on("click", function () {
          if (picked[code]) delete picked[code]; else picked[code] = true;
          layer.setStyle(styleOf(code));
          showPicked();
        });
        var at = feature.properties.label;
        labels.addLayer(L.marker([at[1], at[0]], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "ug-label", html: code.slice(-3), iconSize: [24, 12] })
        }));
      }
    }).addTo(map);
    map.fitBounds(cells.getBounds(), { padding: [10, 10] });
    // Numbers only where they fit: from zoom 16 on.
    function labelsByZoom() { if (map.getZoom() >= 16) labels.addTo(map); else labels.remove(); }
    map.on("zoomend", labelsByZoom); labelsByZoom();
    // "moving" while the map pans or zooms, so a script (or a test) can wait until the cells hold still.
    map.on("movestart", function () { mapNode.dataset.moving = "1"; });
    map.on("moveend", function () { mapNode.dataset.moving = ""; });
    mapNode.dataset.cells = String(config.cells.features.length);

    function restyle() { Object.keys(layersByCode).forEach(function (code) { layersByCode[code].setStyle(styleOf(code)); }); }
    function showPicked() {
      var numbers = Object.keys(picked).map(function (code) { return Number(code.slice(-3)); });
      document.getElementById("ug-picked").textContent = numbers.length ? ranges(numbers) : config.text.none;
    }
    document.querySelectorAll(".ug-toggle").forEach(function (box) {
      box.addEventListener("change", function () { shown[box.value] = box.checked; restyle(); });
    });
    document.querySelectorAll(".ug-show-area").forEach(function (button) {
      button.addEventListener("click", function () {
        focused = focused === button.dataset.area ? null : button.dataset.area;
        document.querySelectorAll(".ug-show-area").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.area === focused)); });
        restyle();
        var area = config.areas.filter(function (a) { return a.code === focused; })[0];
        if (area) map.fitBounds(L.featureGroup(area.cells.map(function (c) { return layersByCode[c]; }).filter(Boolean)).getBounds(), { padding: [20, 20] });
        mapNode.dataset.focused = focused || "";
      });
    });
    document.getElementById("ug-clear").addEventListener("click", function () { picked = {}; restyle(); showPicked(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
