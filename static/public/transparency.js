// The transparency page: recent reports as ~200 m squares on the map, and the districts' month as a bar chart.
// Both read the page's data URL; the table above stays the accessible, script-free version of the figures.
(function () {
  "use strict";
  function shade(n, max) {
    var steps = ["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
    var t = Math.min(n / (max || 1), 1);
    return steps[Math.min(Math.floor(t * steps.length), steps.length - 1)];
  }
  function drawMap(node, data) {
    if (typeof L === "undefined") { return; }
    var map = L.map(node, { scrollWheelZoom: false }).setView([23.11, 114.42], 9);
    if (node.dataset.tiles) {
      L.tileLayer(node.dataset.tiles, { maxZoom: 16, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    var outlines = L.geoJSON(data.outlines, {
      interactive: false, style: { color: "#475569", weight: 1.5, fill: true, fillColor: "#ffffff", fillOpacity: 0.5 }
    }).addTo(map);
    // Squares of ~200 m are under a pixel on a whole-city view: there each one is a dot sized by its count, and
    // from street zoom (13) on the squares themselves are drawn.
    var half = parseFloat(node.dataset.cell) / 2;
    var max = Math.max.apply(null, data.cells.map(function (c) { return c.count; }).concat([1]));
    var squares = L.featureGroup();
    var dots = L.featureGroup();
    data.cells.forEach(function (c) {
      var label = c.count + " " + node.dataset.labelReports;
      L.rectangle([[c.lat - half, c.lon - half], [c.lat + half, c.lon + half]], {
        className: "transparency-cell", color: "#7f2704", weight: 1, fillOpacity: 0.7, fillColor: shade(c.count, max)
      }).bindTooltip(label).addTo(squares);
      L.circleMarker([c.lat, c.lon], {
        className: "transparency-dot", radius: 2 + 5 * Math.sqrt(c.count / max), stroke: false,
        fillOpacity: 0.7, fillColor: shade(c.count, max)
      }).bindTooltip(label).addTo(dots);
    });
    function showLayerForZoom() {
      var close = map.getZoom() >= 13;
      if (close) { map.removeLayer(dots); squares.addTo(map); } else { map.removeLayer(squares); dots.addTo(map); }
    }
    map.on("zoomend", showLayerForZoom);
    if (data.cells.length) {
      map.fitBounds(squares.getBounds(), { maxZoom: 13, padding: [10, 10], animate: false });
    } else if (data.outlines.features.length) {
      map.fitBounds(outlines.getBounds(), { animate: false });
    }
    showLayerForZoom();
    node.dataset.cells = String(data.cells.length);
  }
  function drawChart(node, data) {
    if (typeof echarts === "undefined" || !data.districts.length) { return; }
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [node.dataset.labelReceived, node.dataset.labelClosed] },
      grid: { top: 30, left: 40, right: 10, bottom: 60 },
      xAxis: { type: "category", data: data.districts.map(function (d) { return d.name; }), axisLabel: { rotate: 30 } },
      yAxis: { type: "value" },
      series: [
        { name: node.dataset.labelReceived, type: "bar", data: data.districts.map(function (d) { return d.received; }) },
        { name: node.dataset.labelClosed, type: "bar", data: data.districts.map(function (d) { return d.closed; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var mapNode = document.getElementById("transparency-map");
    if (!mapNode) { return; }
    fetch(mapNode.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        drawMap(mapNode, data);
        var chartNode = document.getElementById("district-chart");
        if (chartNode) { drawChart(chartNode, data); }
      })
      .catch(function () { mapNode.dataset.failed = "1"; });
  });
})();
