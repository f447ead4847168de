/* Weekly report charts: reads the JSON block a report page embeds and draws each
   <canvas class="report-chart"> with Chart.js (vendored). No data lives in this file. */
(function () {
  "use strict";

  var COLOURS = {
    email: "#2563eb", sms: "#7c3aed", whatsapp: "#16a34a", google_ads: "#ea580c",
    meta_ads: "#0891b2", seo: "#ca8a04", content: "#db2777", referral: "#0d9488",
    events: "#9333ea", other: "#9ca3af"
  };
  var SPARE = ["#475569", "#b45309", "#be123c", "#4d7c0f", "#1d4ed8"];

  function colour(channel, index) {
    return COLOURS[channel] || SPARE[index % SPARE.length];
  }

  function money(value) {
    return "$" + Number(value).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
  }

  function draw(canvas) {
    if (!window.Chart || window.Chart.getChart(canvas)) {
      return;
    }
    var source = document.getElementById(canvas.dataset.source);
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var kind = canvas.dataset.kind;
    var spend = kind === "spend";
    var datasets = (data[kind] || []).map(function (series, i) {
      return {
        label: series.label,
        data: series.values.map(Number),
        backgroundColor: colour(series.channel, i),
        borderWidth: 0
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.day_labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 300 },
        scales: {
          x: { stacked: true },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: spend ? { callback: money } : { precision: 0 }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: spend ? {
            callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + money(ctx.parsed.y); } }
          } : {}
        }
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas.report-chart").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
