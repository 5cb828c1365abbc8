// Hot-spot map: the grids under a region shaded by the cases filed in the period, and points of repeated
// complaints. Works without a base map: with LEAFLET_TILE_URL empty the grids alone are drawn.
(function () {
  "use strict";
  function colour(n, max) {
    if (!n) { return "#f1f5f9"; }
    var t = Math.min(n / (max || 1), 1);
    var steps = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    return steps[Math.min(Math.floor(t * steps.length), steps.length - 1)];
  }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("hotspot-map");
    var status = document.getElementById("map-status");
    if (!node || typeof L === "undefined") { return; }
    var map = L.map(node, { preferCanvas: true }).setView([23.11, 114.42], 9);
    if (node.dataset.tiles) {
      L.tileLayer(node.dataset.tiles, { maxZoom: 18, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    fetch(node.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        var grids = data.features.filter(function (f) { return f.geometry.type !== "Point"; });
        var points = data.features.filter(function (f) { return f.geometry.type === "Point"; });
        var max = Math.max.apply(null, grids.map(function (f) { return f.properties.count; }).concat([1]));
        var layer = L.geoJSON(grids, {
          style: function (f) { return { color: "#475569", weight: 1, fillOpacity: 0.75, fillColor: colour(f.properties.count, max) }; },
          onEachFeature: function (f, l) {
            l.bindTooltip(f.properties.name + ": " + f.properties.count + " " + node.dataset.labelCases, { sticky: true });
            if (f.properties.level !== "community") {
              l.on("click", function () {
                window.location = node.dataset.page + "?period=" + encodeURIComponent(node.dataset.period) + "&region=" + f.properties.code;
              });
            }
          }
        }).addTo(map);
        L.geoJSON(points, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 4 + Math.min(f.properties.repeats, 8), color: "#1d4ed8", weight: 1, fillOpacity: 0.6 });
          },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.number + " · " + f.properties.repeats + " " + node.dataset.labelRepeats); }
        }).addTo(map);
        if (grids.length) { map.fitBounds(layer.getBounds()); }
      })
      .catch(function (error) { if (status) { status.textContent = String(error); } });
  });
})();
