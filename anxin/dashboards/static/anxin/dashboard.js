// Dashboard chart: reads the figures the server put in a json_script tag and draws them with ECharts.
(function () {
  "use strict";
  function draw() {
    const el = document.querySelector("[data-chart]");
    const src = el && document.getElementById(el.dataset.chart);
    if (!el || !src || !window.echarts) return;
    const data = JSON.parse(src.textContent);
    const colors = ["#1e88e5", "#2e9d57", "#f59e0b", "#5c6bc0"];
    const chart = window.echarts.init(el);
    const series = data.series.map(function (s, i) {
      return {
        name: s.name, data: s.data, type: "bar", barMaxWidth: 28, barGap: "10%",
        itemStyle: { color: colors[i % colors.length], borderRadius: [2, 2, 0, 0] },
        label: { show: data.categories.length <= 14, position: "top", formatter: function (p) { return p.value || ""; } },
      };
    });
    chart.setOption({
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      // Drawn on the canvas: the HTML tooltip carries style="" attributes the CSP refuses (decision 0034).
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: data.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 36, right: 16, top: data.series.length > 1 ? 32 : 16, bottom: 28 },
      xAxis: { type: "category", data: data.categories, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
