// The host comparison page: scaled figures per host (bars) and GMV gross / net / verified.
(() => {
  const root = document.getElementById("compare-charts");
  if (!root || !window.echarts) return;
  const data = JSON.parse(root.dataset.chart);
  const labels = JSON.parse(root.dataset.labels);
  const scores = echarts.init(document.getElementById("score-chart"));
  scores.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: data.hosts },
    grid: { left: 40, right: 20, top: 40, bottom: 90 },
    xAxis: { type: "category", data: data.metrics, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: data.hosts.map((host, index) => ({ name: host, type: "bar", data: data.scores[index] })),
  });
  const gmv = echarts.init(document.getElementById("gmv-chart"));
  gmv.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [labels.gmv, labels.net_gmv, labels.verified_net_gmv] },
    grid: { left: 70, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.hosts },
    yAxis: { type: "value", name: "¥" },
    series: [
      { name: labels.gmv, type: "bar", data: data.gmv },
      { name: labels.net_gmv, type: "bar", data: data.net_gmv },
      { name: labels.verified_net_gmv, type: "bar", data: data.verified_net_gmv },
    ],
  });
  root.dataset.drawn = "true";
  window.addEventListener("resize", () => { scores.resize(); gmv.resize(); });
})();
