// The live dashboard: one EventSource; every "stats" message replaces the figures.
(() => {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const labels = JSON.parse(root.dataset.labels);
  const status = document.getElementById("live-status");
  const yuan = (fen) => "¥" + (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const text = (name, value) => root.querySelectorAll(`[data-figure="${name}"]`).forEach((el) => { el.textContent = value; });
  const escape = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const timeOf = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
  let chart = null;

  function draw(stats, segments) {
    if (!window.echarts) return;
    chart = chart || echarts.init(document.getElementById("timeline-chart"));
    const minutes = stats.minutes.map((m) => timeOf(m.minute).slice(0, 5));
    const areas = segments.map((s) => [{ name: s.product, xAxis: timeOf(s.from).slice(0, 5) },
      { xAxis: s.to ? timeOf(s.to).slice(0, 5) : minutes[minutes.length - 1] }]);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [labels.online, labels.comments, labels.gmv] },
      grid: { left: 50, right: 60, top: 40, bottom: 30 },
      xAxis: { type: "category", data: minutes },
      yAxis: [{ type: "value", name: "" }, { type: "value", name: "¥", position: "right" }],
      series: [
        { name: labels.online, type: "line", showSymbol: false, data: stats.minutes.map((m) => m.online),
          markArea: { itemStyle: { color: "rgba(232,69,44,0.08)" }, label: { fontSize: 10 }, data: areas } },
        { name: labels.comments, type: "bar", data: stats.minutes.map((m) => m.comments) },
        { name: labels.gmv, type: "line", yAxisIndex: 1, showSymbol: false, data: stats.minutes.map((m) => m.paid_fen / 100) },
      ],
    });
  }

  function update(snapshot) {
    const { stats, segments, comments } = snapshot;
    const totals = stats.totals;
    const last = stats.minutes[stats.minutes.length - 1];
    text("online_now", last ? last.online : 0);
    text("online_peak", totals.online_peak);
    text("comments", totals.comments);
    text("paid_orders", totals.paid_orders);
    text("paid_gmv", yuan(totals.paid_fen));
    text("enters", totals.enters);
    text("watch", totals.average_watch_seconds === null ? "—" : `${Math.round(totals.average_watch_seconds)}s`);
    text("gpm", totals.gpm_fen === null ? "—" : yuan(totals.gpm_fen));
    text("refunds", yuan(totals.refund_fen));
    document.getElementById("funnel").innerHTML = stats.funnel.map((step) =>
      `<tr><td>${escape(step.label)}</td><td class="num">${step.viewers}</td><td class="num">${step.rate_from_previous === null ? "—" : (step.rate_from_previous * 100).toFixed(1) + "%"}</td></tr>`).join("");
    document.getElementById("product-table").innerHTML = stats.products.map((p) =>
      `<tr><td>${escape(p.product_name || p.references.join(" "))}</td><td class="num">${p.clicks}</td><td class="num">${p.cart_adds}</td><td class="num">${p.orders}</td><td class="num">${p.paid_units}</td><td class="num">${yuan(p.paid_fen)}</td><td class="num">${yuan(p.refund_fen)}</td></tr>`).join("");
    const feed = document.getElementById("comment-feed");
    for (const c of comments) {
      const line = document.createElement("div");
      line.className = "comment";
      line.dataset.commentId = c.id;
      line.innerHTML = `<span class="muted mono">${timeOf(c.occurred_at)}</span> ${escape(c.text)}`;
      feed.appendChild(line);
    }
    while (feed.children.length > 200) feed.removeChild(feed.firstChild);
    if (comments.length) feed.scrollTop = feed.scrollHeight;
    draw(stats, segments);
    root.dataset.updatedAt = String(Date.now());
  }

  const source = new EventSource(root.dataset.stream);
  source.addEventListener("stats", (event) => { status.textContent = status.dataset.live; update(JSON.parse(event.data)); });
  source.onerror = () => { status.textContent = status.dataset.lost; };
})();
