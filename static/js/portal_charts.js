// Patient portal: nodule count at each visit (Chart.js 4), with the count at the start and the
// 70% line. Data comes from the json_script block "portal-chart-data"; no inline script.
(function () {
  const source = document.getElementById("portal-chart-data");
  const canvas = document.getElementById("portal-nodule-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const flat = (value) => data.labels.map(() => value);
  const labels = data.labels.map((iso) =>
    new Date(iso + "T12:00:00").toLocaleDateString(undefined, { day: "numeric", month: "short" })
  );
  new Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        { label: "Your nodules", data: data.nodules, borderColor: "#0b5563",
          backgroundColor: "#0b5563", tension: 0.2, pointRadius: 5 },
        { label: "At the start", data: flat(data.baseline), borderColor: "#6c757d",
          borderDash: [6, 4], pointRadius: 0 },
        { label: "70% fewer", data: flat(data.line70), borderColor: "#198754",
          borderDash: [2, 3], pointRadius: 0 },
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
