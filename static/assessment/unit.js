// A department's or region's page: the trend chart of its score and main rates (ECharts, vendored).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("trend-chart");
    if (!node || typeof echarts === "undefined") { return; }
    var points = JSON.parse(document.getElementById("trend-data").textContent);
    var names = JSON.parse(document.getElementById("trend-names").textContent);
    var series = [{ name: "score", type: "line", data: points.map(function (p) { return p.score; }), connectNulls: true }];
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
  });
})();
