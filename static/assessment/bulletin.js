// The bulletin: a print button, and its charts (the ranking of regions and departments, the map of scores)
// drawn in SVG so that they print sharp.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    if (typeof echarts === "undefined" || !window.cityopsCharts) { return; }
    var c = window.cityopsCharts;
    ["region-ranking-chart", "department-ranking-chart"].forEach(function (id) {
      var node = document.getElementById(id);
      if (node) { c.ranking(node, c.data(node.dataset.chartData) || []); }
    });
    var map = document.getElementById("score-map");
    if (map) { c.scoreMap(map); }
  });
})();
