// The outcomes report's charts (Chart.js 4). The figures come from a JSON block the server
// renders with json_script; each chart has a table of the same figures beside it.
(function () {
  const source = document.getElementById("outcomes-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const draw = (id, bars, color, horizontal) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels: bars.labels, datasets: [{ label: "Courses", data: bars.counts,
        backgroundColor: color }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { [horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 },
          title: { display: true, text: "Courses" } },
          ...(id === "fall-chart" ? { x: { title: { display: true, text: "Whole weeks after the start" } } } : {}) } },
    });
  };
  draw("status-chart", data.statuses, "#0b5563", true);
  draw("fall-chart", data.weeks_to_fall, "#198754", false);
  draw("dose-chart", data.doses, "#6f42c1", false);
  draw("effects-chart", data.side_effects, "#b35c00", true);
})();
