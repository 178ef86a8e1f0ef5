// Every HTMX request carries the session's CSRF token (read from the <body> data attribute).
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrf;
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

// Render every <div data-chart='{"option": …}'> with ECharts, and keep it sized to its box.
function renderCharts(root) {
  if (!window.echarts) return;
  root.querySelectorAll("[data-chart]").forEach((element) => {
    const chart = echarts.getInstanceByDom(element) || echarts.init(element);
    chart.setOption(JSON.parse(element.dataset.chart));
    new ResizeObserver(() => chart.resize()).observe(element);
  });
}
document.addEventListener("DOMContentLoaded", () => renderCharts(document));
document.addEventListener("htmx:afterSwap", (event) => renderCharts(event.target));
