// The posts' ranking: a bar chart of the ranked people's scores beside their lower confidence bound.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined" || !window.cityopsCharts) { return; }
    var node = document.getElementById("ranking-chart");
    if (node) { window.cityopsCharts.ranking(node, window.cityopsCharts.data("ranking-data") || []); }
  });
})();
