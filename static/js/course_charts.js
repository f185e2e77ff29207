// Course page charts (Chart.js 4 with its date-fns adapter). Data comes from a JSON block the
// server renders with json_script; this file holds all code, so the CSP needs no inline script.
// Every chart has a time axis: a point sits on the day it was measured, however far apart the
// visits were. Lines are straight between points (no smoothing that could dip below the data).
(function () {
  const source = document.getElementById("course-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const common = { responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: "bottom" } } };
  const timeAxis = { type: "time", time: { unit: "week", tooltipFormat: "d MMM yyyy",
    displayFormats: { week: "d MMM" } } };
  const series = (label, points, color) => ({ label, data: points, borderColor: color,
    backgroundColor: color, tension: 0 });
  // A level drawn across the course's days (the nodule chart's) and the lab days.
  const days = (points) => points.map((p) => p.x).sort();
  const level = (label, y, span, color, dash) => ({ label,
    data: [{ x: span[0], y }, { x: span[span.length - 1], y }],
    borderColor: color, borderDash: dash, pointRadius: 0, borderWidth: 1.5 });
  const draw = (id, datasets, yTitle, beginAtZero) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, { type: "line", data: { datasets },
      options: { ...common, scales: { x: timeAxis,
        y: { beginAtZero, title: { display: true, text: yTitle } } } } });
  };

  const span = days(data.nodules);
  draw("nodule-chart", [
    series("Total nodule count", data.nodules, "#0b5563"),
    level("Baseline", data.baseline, span, "#6c757d", [6, 4]),
    level("70% fewer than baseline", data.line70, span, "#198754", [2, 3]),
  ], "Nodules", true);
  draw("weight-chart", [series("Weight (kg)", data.weights, "#6f42c1")], "kg", false);

  const lineColors = ["#6c757d", "#b35c00", "#b02a37", "#6c757d", "#b35c00"];
  const lipids = [...data.labs.triglycerides, ...data.labs.total_cholesterol];
  if (lipids.length) {
    const lipidSpan = days([...data.nodules, ...lipids]);
    draw("lipid-chart", [
      series("Triglycerides", data.labs.triglycerides, "#0b5563"),
      series("Total cholesterol", data.labs.total_cholesterol, "#6f42c1"),
      ...data.lab_lines.lipids.map((line, i) =>
        level(line.label, line.y, lipidSpan, lineColors[i], [4, 4])),
    ], "mg/dL", true);
  }
  const liver = [...data.labs.alt, ...data.labs.ast];
  if (liver.length) {
    const liverSpan = days([...data.nodules, ...liver]);
    draw("liver-chart", [
      series("ALT", data.labs.alt, "#0b5563"),
      series("AST", data.labs.ast, "#6f42c1"),
      ...data.lab_lines.liver.map((line, i) =>
        level(line.label, line.y, liverSpan, lineColors[i + 1], [4, 4])),
    ], "U/L", true);
  }
})();
