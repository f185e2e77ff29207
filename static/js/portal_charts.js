// Patient portal: nodule count at each visit (Chart.js 4 with its date-fns adapter), with the
// count at the start and the 70% line. Data comes from the json_script block
// "portal-chart-data"; no inline script. A time axis: each count sits on the day of its visit.
// The words come with the data (data.labels) and the dates are written by the browser in the
// page's language (<html lang>), so the chart reads like the page around it.
(function () {
  const source = document.getElementById("portal-chart-data");
  const canvas = document.getElementById("portal-nodule-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const words = Object.assign(
    { nodules: "Your nodules", baseline: "At the start", line70: "70% fewer" },
    data.labels || {},
  );
  const language = document.documentElement.lang || undefined;
  const dayMonth = new Intl.DateTimeFormat(language, { day: "numeric", month: "short" });
  const fullDay = new Intl.DateTimeFormat(language, {
    day: "numeric", month: "short", year: "numeric" });
  const days = data.nodules.map((p) => p.x);
  const level = (label, y, color, dash) => ({ label,
    data: [{ x: days[0], y }, { x: days[days.length - 1], y }],
    borderColor: color, borderDash: dash, pointRadius: 0 });
  new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        { label: words.nodules, data: data.nodules, borderColor: "#0b5563",
          backgroundColor: "#0b5563", tension: 0, pointRadius: 5 },
        level(words.baseline, data.baseline, "#6c757d", [6, 4]),
        level(words.line70, data.line70, "#198754", [2, 3]),
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: {
          title: (items) => (items.length ? fullDay.format(new Date(items[0].parsed.x)) : ""),
        } },
      },
      scales: {
        x: { type: "time", time: { unit: "week" },
          ticks: { callback: (value) => dayMonth.format(new Date(value)) } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  });
})();
