import { escapeHtml } from '../shared/html.js';

export interface ChartSeries {
  name: string;
  /** A CSS colour, e.g. `var(--c1)`: the stylesheet gives light and dark values. */
  colour: string;
  values: readonly number[];
  /** Drawn dashed, so a line lying on another stays visible. */
  dashed?: boolean;
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

/**
 * A line chart as SVG text, drawn on the server: one line per series over `labels` (days), the
 * y axis from 0 to a round maximum, the first, middle and last label under the x axis. `title`
 * is the accessible name; the page shows the same numbers in a table beside it.
 */
export function lineChart(title: string, labels: readonly string[], series: readonly ChartSeries[]): string {
  // At least 2, so the middle line of the axis is a whole number.
  const max = Math.max(2, niceMax(Math.max(0, ...series.flatMap((s) => s.values))));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (labels.length <= 1 ? innerW / 2 : (i * innerW) / (labels.length - 1));
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      return `<polyline fill="none" stroke="${escapeHtml(s.colour)}" stroke-width="2"${dash} points="${points}"><title>${escapeHtml(s.name)}</title></polyline>`;
    })
    .join('');
  const ticks = labels.length > 0 ? [...new Set([0, Math.floor((labels.length - 1) / 2), labels.length - 1])] : [];
  const xLabels = ticks
    .map(
      (i) =>
        `<text x="${x(i).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="${i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle'}">${escapeHtml(labels[i] ?? '')}</text>`,
    )
    .join('');
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<line class="axis" x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}"/>` +
    `<line class="axis" x1="${PAD.left}" y1="${y(max / 2)}" x2="${WIDTH - PAD.right}" y2="${y(max / 2)}" stroke-dasharray="4 4"/>` +
    `<line class="axis" x1="${PAD.left}" y1="${y(max)}" x2="${WIDTH - PAD.right}" y2="${y(max)}" stroke-dasharray="4 4"/>` +
    `<text x="${PAD.left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text>` +
    `<text x="${PAD.left - 6}" y="${y(max / 2) + 4}" text-anchor="end">${max / 2}</text>` +
    `<text x="${PAD.left - 6}" y="${y(0) + 4}" text-anchor="end">0</text>` +
    lines +
    xLabels +
    `</svg>`
  );
}
