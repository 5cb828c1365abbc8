// Dashboard charts: the trend of the score and main rates, and the top problem categories (ECharts, vendored).
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function trendChart(node, points, names) {
    var series = [{ name: node.dataset.scoreLabel || "score", type: "line", data: points.map(function (p) { return p.score; }), connectNulls: true }];
    Object.keys(names).forEach(function (key) {
      series.push({ name: names[key], type: "line", data: points.map(function (p) { return p.values[key]; }), connectNulls: true });
    });
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 30 },
      xAxis: { type: "category", data: points.map(function (p) { return p.label; }) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function categoryChart(node, rows) {
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 110, right: 16, top: 10, bottom: 20 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r.count; }) }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  window.cityopsTrendChart = trendChart;
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined") { return; }
    var trend = document.getElementById("trend-chart");
    if (trend) { trendChart(trend, data("trend-data") || [], data("trend-names") || {}); }
    var categories = document.getElementById("category-chart");
    if (categories) { categoryChart(categories, data("category-data") || []); }
  });
})();
