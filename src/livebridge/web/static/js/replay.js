// The replay report: the timeline chart (explanations shaded, drop-offs marked) and the print button.
(() => {
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
  const root = document.getElementById("replay-chart");
  if (!root || !window.echarts) return;
  const data = JSON.parse(root.dataset.chart);
  const labels = JSON.parse(root.dataset.labels);
  const hhmm = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }).slice(0, 5);
  const minutes = data.minutes.map((m) => hhmm(m.minute));
  const chart = echarts.init(root, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [labels.online, labels.comments, labels.orders] },
    grid: { left: 50, right: 50, top: 40, bottom: 30 },
    xAxis: { type: "category", data: minutes },
    yAxis: [{ type: "value" }, { type: "value", position: "right" }],
    series: [
      { name: labels.online, type: "line", showSymbol: false, data: data.minutes.map((m) => m.online),
        markArea: { itemStyle: { color: "rgba(232,69,44,0.08)" }, label: { fontSize: 10 },
          data: data.segments.map((s) => [{ name: s.product, xAxis: hhmm(s.from) }, { xAxis: hhmm(s.to) }]) },
        markLine: { symbol: "none", lineStyle: { color: "#c0392b", type: "dashed" }, label: { formatter: labels.drop },
          data: data.drop_offs.map((iso) => ({ xAxis: hhmm(iso) })) } },
      { name: labels.comments, type: "bar", data: data.minutes.map((m) => m.comments) },
      { name: labels.orders, type: "line", yAxisIndex: 1, showSymbol: false, data: data.minutes.map((m) => m.paid_orders) },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
