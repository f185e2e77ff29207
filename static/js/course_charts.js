// Course page charts (Chart.js 4). Data comes from a JSON block the server renders with
// json_script; this file holds all code, so the CSP needs no inline script.
(function () {
  const source = document.getElementById("course-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const flat = (value) => data.labels.map(() => value);
  const common = { responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: "bottom" } } };

  const nodules = document.getElementById("nodule-chart");
  if (nodules) {
    new Chart(nodules, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Total nodule count", data: data.nodules, borderColor: "#0b5563",
            backgroundColor: "#0b5563", tension: 0.2 },
          { label: "Baseline", data: flat(data.baseline), borderColor: "#6c757d",
            borderDash: [6, 4], pointRadius: 0 },
          { label: "70% fewer than baseline", data: flat(data.line70), borderColor: "#198754",
            borderDash: [2, 3], pointRadius: 0 },
        ],
      },
      options: { ...common, scales: { y: { beginAtZero: true, title: { display: true, text: "Nodules" } } } },
    });
  }
  const weight = document.getElementById("weight-chart");
  if (weight) {
    new Chart(weight, {
      type: "line",
      data: { labels: data.labels, datasets: [
        { label: "Weight (kg)", data: data.weights, borderColor: "#6f42c1", backgroundColor: "#6f42c1" },
      ] },
      options: { ...common, scales: { y: { title: { display: true, text: "kg" } } } },
    });
  }
})();
