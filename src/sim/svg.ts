// Small dependency-free SVG charts for simulator and bench figures: a bar chart (histograms) and a
// line chart (figures against N, optionally on a log x axis). Plain strings, no DOM: they run in Node
// and the output is a pure function of the data, so charts diff cleanly between runs.

export interface Bar {
  label: string;
  value: number;
}

export interface BarChart {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: Bar[];
}

export interface Series {
  name: string;
  points: [number, number][];
  /** Drawn dashed without markers: a reference curve rather than a measurement. */
  reference?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 64, right: 24, top: 40, bottom: 56 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const COLOURS = ['#2f6db5', '#d9822b', '#3a9a5b', '#b53a3a', '#7b5cb5'];

export function barChartSvg(chart: BarChart): string {
  const yMax = niceCeiling(Math.max(1, ...chart.bars.map((b) => b.value)));
  const slot = PLOT_W / Math.max(1, chart.bars.length);
  const y = (v: number) => MARGIN.top + PLOT_H - (v / yMax) * PLOT_H;
  const bars = chart.bars.map((bar, i) => {
    const x = MARGIN.left + i * slot;
    const top = y(bar.value);
    return (
      `<rect class="bar" x="${fmt(x + slot * 0.1)}" y="${fmt(top)}" width="${fmt(slot * 0.8)}" height="${fmt(MARGIN.top + PLOT_H - top)}" fill="${COLOURS[0]}">` +
      `<title>${escapeXml(`${bar.label}: ${bar.value}`)}</title></rect>` +
      text(x + slot / 2, MARGIN.top + PLOT_H + 16, bar.label, 'middle')
    );
  });
  return frame(chart.title, chart.xLabel, chart.yLabel, [...yAxis(yMax, y), ...bars]);
}

export function lineChartSvg(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => (chart.logX ? Math.log10(x) : x));
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  // Keep end markers and their labels off the plot's edges.
  const pad = (xMax - xMin) * 0.05;
  [xMin, xMax] = [xMin - pad, xMax + pad];
  const yMax = niceCeiling(Math.max(1, ...all.map(([, v]) => v)));
  const x = (v: number) => MARGIN.left + (((chart.logX ? Math.log10(v) : v) - xMin) / (xMax - xMin)) * PLOT_W;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / yMax) * PLOT_H;
  const ticks = [...new Set(all.map(([px]) => px))].sort((a, b) => a - b);
  const parts = [...yAxis(yMax, y), ...ticks.map((t) => text(x(t), MARGIN.top + PLOT_H + 16, formatTick(t), 'middle'))];
  chart.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const path = series.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${fmt(x(px))},${fmt(y(py))}`).join(' ');
    const dash = series.reference ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path class="series" d="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    if (!series.reference) {
      for (const [px, py] of series.points) {
        parts.push(
          `<circle cx="${fmt(x(px))}" cy="${fmt(y(py))}" r="4" fill="${colour}"><title>${escapeXml(`${series.name}: ${formatTick(px)} -> ${py}`)}</title></circle>`,
        );
      }
    }
    // Legend, top-left inside the plot.
    const ly = MARGIN.top + 14 + i * 18;
    parts.push(`<line x1="${MARGIN.left + 10}" y1="${ly - 4}" x2="${MARGIN.left + 34}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${dash}/>`);
    parts.push(text(MARGIN.left + 40, ly, series.name, 'start'));
  });
  return frame(chart.title, chart.xLabel, chart.yLabel, parts);
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  const axisY = MARGIN.top + PLOT_H;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${axisY}" x2="${MARGIN.left + PLOT_W}" y2="${axisY}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${axisY}" stroke="#333"/>`,
    ...body,
    text(MARGIN.left + PLOT_W / 2, HEIGHT - 14, xLabel, 'middle'),
    `<text x="16" y="${MARGIN.top + PLOT_H / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + PLOT_H / 2})">${escapeXml(yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function yAxis(yMax: number, y: (v: number) => number): string[] {
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${MARGIN.left}" y1="${fmt(y(v))}" x2="${MARGIN.left + PLOT_W}" y2="${fmt(y(v))}" stroke="#ddd"/>`);
    parts.push(text(MARGIN.left - 6, y(v) + 4, formatTick(v), 'end'));
  }
  return parts;
}

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end'): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" text-anchor="${anchor}">${escapeXml(content)}</text>`;
}

/** 1, 2 or 5 times a power of ten, at least `v`: axis maxima people can read. */
function niceCeiling(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}

function formatTick(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return String(Math.round(v * 100) / 100);
}

function fmt(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
