import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const BAR_COLOURS: Record<string, string> = {
  earned: '#1b6e3a',
  spent: '#0b5cad',
  expired: '#a23b12',
  pending: '#6b4fa3',
};

/**
 * The points histogram as a bar chart, with its data also as a table inside the canvas (the canvas'
 * fallback content, read by screen readers). The table is written from the chart's own data.
 */
export class HistogramChart {
  private chart: Chart<'bar', number[], string> | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly table: HTMLTableElement,
    private readonly caption: HTMLElement,
  ) {}

  show(pointType: string, interval: string, periods: Record<string, number>): void {
    const labels = Object.keys(periods).sort();
    const values = labels.map((period) => periods[period]);
    const label = `${pointType[0].toUpperCase()}${pointType.slice(1)} points per ${interval}`;
    if (!this.chart) {
      this.chart = new Chart(this.canvas, {
        type: 'bar',
        data: { labels, datasets: [{ label, data: values, backgroundColor: BAR_COLOURS[pointType] }] },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, ticks: { color: '#1f2328' } }, x: { ticks: { color: '#1f2328', autoSkip: true, maxRotation: 60 } } },
          plugins: { tooltip: { enabled: true } },
        },
      });
    } else {
      this.chart.data.labels = labels;
      this.chart.data.datasets[0] = { label, data: values, backgroundColor: BAR_COLOURS[pointType] };
      this.chart.update();
    }
    this.writeTable(label);
    const total = values.reduce((sum, value) => sum + Math.round(value * 100), 0) / 100;
    this.caption.textContent = `${label}: ${total} in total over ${labels.length} ${interval === 'day' ? 'days' : `${interval}s`}`;
  }

  clear(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.table.tBodies[0].replaceChildren();
    this.caption.textContent = '';
  }

  private writeTable(label: string): void {
    const chart = this.chart!;
    this.table.caption!.textContent = label;
    const data = chart.data.datasets[0].data;
    this.table.tBodies[0].replaceChildren(
      ...(chart.data.labels ?? []).map((period, i) => {
        const row = document.createElement('tr');
        const head = document.createElement('th');
        head.scope = 'row';
        head.textContent = String(period);
        const cell = document.createElement('td');
        cell.textContent = String(data[i]);
        row.append(head, cell);
        return row;
      }),
    );
  }
}
