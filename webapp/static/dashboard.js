/* The dashboard's "Leads and revenue" chart: leads (bars, left axis) and revenue (line,
   right axis) a week, from the page's JSON block. Spend by channel is drawn by reports.js. */
(function () {
  "use strict";

  function money(value) {
    return "$" + Number(value).toLocaleString("en-US", { maximumFractionDigits: 0 });
  }

  function draw(canvas) {
    if (!window.Chart || window.Chart.getChart(canvas)) {
      return;
    }
    var data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    new window.Chart(canvas, {
      data: {
        labels: data.day_labels,
        datasets: [
          { type: "bar", label: "Leads", data: data.leads, yAxisID: "leads",
            backgroundColor: "#93c5fd", borderWidth: 0, order: 2 },
          { type: "line", label: "Revenue", data: data.revenue.map(Number), yAxisID: "revenue",
            borderColor: "#15803d", backgroundColor: "#15803d", tension: 0.25, order: 1 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: {
          leads: { position: "left", beginAtZero: true, ticks: { precision: 0 },
                   title: { display: true, text: "Leads" } },
          revenue: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                     ticks: { callback: money }, title: { display: true, text: "Revenue" } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + (ctx.dataset.yAxisID === "revenue" ? money(ctx.parsed.y) : ctx.parsed.y);
          } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas.dashboard-chart").forEach(draw);
  });
})();
