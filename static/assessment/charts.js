// The assessment's charts (ECharts, vendored under static/vendor/): trends, bar charts of a ranking or of the
// top categories, and a map of scores per district or street. Every label comes from the page (translated).
(function () {
  "use strict";
  var renderer = window.matchMedia && window.matchMedia("print").matches ? "svg" : "canvas";

  function make(node, option) {
    // Tooltips are drawn by the chart itself (richText, lines split by "\n"): ECharts' HTML tooltips carry style
    // attributes, which the Content-Security-Policy refuses, and would put names from the data into markup.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    // SVG prints sharp on the bulletin; the chart follows the window's size on screen.
    var chart = echarts.init(node, null, { renderer: node.dataset.renderer || renderer });
    chart.setOption(Object.assign({ animation: false }, option));
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
    node.dataset.drawn = "true";
    return chart;
  }

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function trend(node, points, names, withScore) {
    var series = [];
    if (withScore !== false) {
      series.push({ name: node.dataset.scoreLabel, type: "line", data: points.map(function (p) { return p.score; }), connectNulls: true });
    }
    Object.keys(names).forEach(function (key) {
      series.push({ name: names[key], type: "line", data: points.map(function (p) { return p.values[key]; }), connectNulls: true });
    });
    var axis = { type: "value" };
    if (node.dataset.percent !== "false") { axis.min = 0; axis.max = 100; }
    return make(node, {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 30 },
      xAxis: { type: "category", data: points.map(function (p) { return p.label; }) },
      yAxis: axis,
      series: series
    });
  }

  function bars(node, rows, valueKey) {
    return make(node, {
      tooltip: { trigger: "axis" },
      grid: { left: 140, right: 24, top: 10, bottom: 20 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r[valueKey || "count"]; }) }]
    });
  }

  function ranking(node, rows) {
    var d = node.dataset;
    return make(node, {
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var row = rows[items[0].dataIndex];
          return row.name + "\n" + d.scoreLabel + " " + row.score + "\n" + d.boundLabel + " " + row.bound + "\n" + d.nLabel + " " + row.n;
        }
      },
      legend: { top: 0 },
      grid: { left: 140, right: 24, top: 30, bottom: 20 },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.name; }) },
      series: [
        { name: d.scoreLabel, type: "bar", data: rows.map(function (r) { return r.score; }) },
        { name: d.boundLabel, type: "bar", data: rows.map(function (r) { return r.bound; }) }
      ]
    });
  }

  function scoreMap(node) {
    var d = node.dataset;
    return fetch(d.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (geo) {
        var name = "scores-" + d.url;
        echarts.registerMap(name, geo);
        var values = geo.features.map(function (f) {
          return { name: f.properties.name, value: f.properties.score, n: f.properties.sample, grade: f.properties.grade };
        });
        return make(node, {
          tooltip: {
            formatter: function (item) {
              var v = item.data || {};
              var score = v.value === null || v.value === undefined ? d.noneLabel : v.value + " " + (v.grade || "");
              return item.name + "\n" + d.scoreLabel + " " + score + "\n" + d.nLabel + " " + (v.n || 0);
            }
          },
          visualMap: { min: 0, max: 100, left: 0, bottom: 0, calculable: true, inRange: { color: ["#fee2e2", "#fef9c3", "#dcfce7", "#15803d"] } },
          series: [{ type: "map", map: name, roam: false, label: { show: true, fontSize: 10 }, data: values }]
        });
      })
      .catch(function (error) { node.textContent = String(error); });
  }

  window.cityopsCharts = { data: data, trend: trend, bars: bars, ranking: ranking, scoreMap: scoreMap };
})();
