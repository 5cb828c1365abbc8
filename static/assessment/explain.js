// How a figure is made: the trend of this one indicator for this unit.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined" || !window.cityopsCharts) { return; }
    var node = document.getElementById("trend-chart");
    var c = window.cityopsCharts;
    if (node) { c.trend(node, c.data("trend-data") || [], c.data("trend-names") || {}, false); }
  });
})();
