// Patient portal: nodule count at each visit (Chart.js 4 with its date-fns adapter), with the
// count at the start and the 70% line. Data comes from the json_script block
// "portal-chart-data"; no inline script. A time axis: each count sits on the day of its visit.
(function () {
  const source = document.getElementById("portal-chart-data");
  const canvas = document.getElementById("portal-nodule-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const days = data.nodules.map((p) => p.x);
  const level = (label, y, color, dash) => ({ label,
    data: [{ x: days[0], y }, { x: days[days.length - 1], y }],
    borderColor: color, borderDash: dash, pointRadius: 0 });
  new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        { label: "Your nodules", data: data.nodules, borderColor: "#0b5563",
          backgroundColor: "#0b5563", tension: 0, pointRadius: 5 },
        level("At the start", data.baseline, "#6c757d", [6, 4]),
        level("70% fewer", data.line70, "#198754", [2, 3]),
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { type: "time", time: { unit: "week", tooltipFormat: "d MMM yyyy",
          displayFormats: { week: "d MMM" } } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  });
})();
