// A department's or region's page: the trend of its score and main rates, and its children's ranking.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined" || !window.cityopsCharts) { return; }
    var c = window.cityopsCharts;
    var trend = document.getElementById("trend-chart");
    if (trend) { c.trend(trend, c.data("trend-data") || [], c.data("trend-names") || {}); }
    var ranking = document.getElementById("ranking-chart");
    if (ranking) { c.ranking(ranking, c.data("ranking-data") || []); }
    var map = document.getElementById("score-map");
    if (map) { c.scoreMap(map); }
  });
})();
