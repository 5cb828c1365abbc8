// Dashboard charts: trend of the score and main rates, top problem categories, the departments' ranking and the
// map of scores per district or street.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined" || !window.cityopsCharts) { return; }
    var c = window.cityopsCharts;
    var trend = document.getElementById("trend-chart");
    if (trend) { c.trend(trend, c.data("trend-data") || [], c.data("trend-names") || {}); }
    var categories = document.getElementById("category-chart");
    if (categories) { c.bars(categories, c.data("category-data") || [], "count"); }
    var ranking = document.getElementById("ranking-chart");
    if (ranking) { c.ranking(ranking, c.data("ranking-data") || []); }
    var map = document.getElementById("score-map");
    if (map) { c.scoreMap(map); }
  });
})();
