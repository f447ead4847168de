/* An analytics report's charts, one a dimension, from the page's JSON block: a line for the
   days of the period, bars for the other dimensions. The tables below show the same figures. */
(function () {
  "use strict";

  function draw(canvas, charts) {
    if (!window.Chart || window.Chart.getChart(canvas)) {
      return;
    }
    var chart = charts.filter(function (c) { return c.id === canvas.id; })[0];
    if (!chart) {
      return;
    }
    var colour = chart.line ? "#15803d" : "#93c5fd";
    new window.Chart(canvas, {
      type: chart.line ? "line" : "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: chart.title, data: chart.values.map(function (v) { return v === null ? 0 : v; }),
                     borderColor: colour, backgroundColor: colour, tension: 0.25, borderWidth: chart.line ? 2 : 0 }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 300 },
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { display: false } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("analytics-chart-data");
    if (!source) {
      return;
    }
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas.analytics-chart").forEach(function (canvas) { draw(canvas, charts); });
  });
})();
