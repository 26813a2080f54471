// Charts by Chart.js: one instance per canvas, updated in place.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController,
  LineElement, PointElement, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController,
  LineElement, PointElement, Tooltip);

const COLORS = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed'];

/** Draws (or redraws) a chart on canvas `id`: `datasets` of {label, data, type?, axis?}. */
export function draw(id, labels, datasets, axes = { y: 'bytes' }) {
  const canvas = document.getElementById(id);
  const data = {
    labels,
    datasets: datasets.map((d, i) => ({
      label: d.label,
      data: d.data,
      type: d.type ?? 'bar',
      yAxisID: d.axis ?? 'y',
      backgroundColor: COLORS[i % COLORS.length],
      borderColor: COLORS[i % COLORS.length],
    })),
  };
  const existing = Chart.getChart(canvas);
  if (existing) {
    existing.data = data;
    existing.update();
    return existing;
  }
  const scales = {};
  for (const [axis, title] of Object.entries(axes)) {
    scales[axis] = {
      beginAtZero: true,
      position: axis === 'y' ? 'left' : 'right',
      title: { display: true, text: title },
      grid: { drawOnChartArea: axis === 'y' },
    };
  }
  return new Chart(canvas, {
    type: 'bar',
    data,
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales },
  });
}

/** Every chart on the page, for tests: canvas id → number of data points drawn. */
export function drawn() {
  const out = {};
  for (const canvas of document.querySelectorAll('canvas')) {
    const c = Chart.getChart(canvas);
    out[canvas.id] = c ? c.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
  }
  return out;
}
