// Plain SVG line charts in stacked panels sharing one time axis: no browser, no dependency.
// Series are reduced to at most MAX_POINTS columns (the largest value per column, so peaks stay
// visible) to keep files small.

export interface Series {
  name: string;
  /** Seconds since the run began. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  length: number;
  color: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  /** Y axis label, e.g. `messages/s`. */
  unit: string;
  series: Series[];
  /** A horizontal reference line, e.g. the SLA. */
  reference?: { value: number; label: string };
}

export interface ChartOptions {
  title: string;
  /** Seconds covered by the x axis. */
  duration: number;
  width?: number;
  panelHeight?: number;
}

const MAX_POINTS = 800;
const LEFT = 70;
const RIGHT = 20;
const TOP = 58;
const GAP = 44;
const BOTTOM = 40;
/** Swatch, gap, ~7 px per character at the chart's font size, and space before the next entry. */
const legendWidth = (s: { name: string }): number => 22 + s.name.length * 7 + 18;

export function svgChart(panels: Panel[], o: ChartOptions): string {
  const width = o.width ?? 960;
  const ph = o.panelHeight ?? 150;
  const height = TOP + panels.length * (ph + GAP) - GAP + BOTTOM;
  const plotW = width - LEFT - RIGHT;
  const duration = o.duration > 0 ? o.duration : 1;
  const minutes = duration > 600;
  const xUnit = minutes ? 60 : 1;
  const xs = (t: number) => LEFT + (t / duration) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  const xTicks = niceTicks(duration / xUnit);
  panels.forEach((panel, i) => {
    const top = TOP + i * (ph + GAP);
    const bottom = top + ph;
    let yMax = panel.reference ? panel.reference.value : 0;
    for (const s of panel.series) for (let k = 0; k < s.length; k++) if (s.y[k]! > yMax) yMax = s.y[k]!;
    const yTicks = niceTicks(yMax > 0 ? yMax : 1);
    const yTop = yTicks[yTicks.length - 1]!;
    const ys = (v: number) => bottom - (v / yTop) * ph;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-size="12" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<text transform="translate(14 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(panel.unit)}</text>`);
    for (const v of yTicks) {
      const y = ys(v).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(v)}</text>`);
    }
    for (const v of xTicks) {
      const x = xs(v * xUnit).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="#f0f0f0"/>`);
      out.push(`<text x="${x}" y="${bottom + 14}" text-anchor="middle">${label(v)}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${ph}" fill="none" stroke="#888"/>`);
    if (panel.reference) {
      const y = ys(panel.reference.value).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${LEFT + plotW - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#c00">${esc(panel.reference.label)}</text>`);
    }
    panel.series.forEach((s, j) => {
      const pts = reduce(s, duration, plotW).map(([t, v]) => `${xs(t).toFixed(1)},${ys(v).toFixed(1)}`);
      if (pts.length > 0) {
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.2"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.join(' ')}"/>`);
      }
      if (panel.series.length > 1) {
        // Legend on the panel's title line, right-aligned, never over the title; each entry as wide as its name.
        const widths = panel.series.map(legendWidth);
        const total = widths.reduce((a, b) => a + b, 0);
        const legendStart = Math.max(LEFT + panel.title.length * 7 + 24, LEFT + plotW - total);
        const lx = legendStart + widths.slice(0, j).reduce((a, b) => a + b, 0);
        out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${top - 12}" y2="${top - 12}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
        out.push(`<text x="${lx + 22}" y="${top - 12}" dominant-baseline="middle">${esc(s.name)}</text>`);
      }
    });
  });
  const axisY = TOP + panels.length * (ph + GAP) - GAP + 30;
  out.push(`<text x="${LEFT + plotW / 2}" y="${axisY}" text-anchor="middle">time (${minutes ? 'minutes' : 'seconds'} since the start)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** At most MAX_POINTS (time, max value) pairs, one per column of the plot. */
function reduce(s: Series, duration: number, plotW: number): Array<[number, number]> {
  const columns = Math.max(1, Math.min(MAX_POINTS, Math.floor(plotW)));
  if (s.length <= columns) {
    const pts: Array<[number, number]> = [];
    for (let k = 0; k < s.length; k++) pts.push([s.x[k]!, s.y[k]!]);
    return pts;
  }
  const colMax = new Float64Array(columns).fill(-Infinity);
  for (let k = 0; k < s.length; k++) {
    const c = Math.min(columns - 1, Math.max(0, Math.floor((s.x[k]! / duration) * columns)));
    if (s.y[k]! > colMax[c]!) colMax[c] = s.y[k]!;
  }
  const pts: Array<[number, number]> = [];
  for (let c = 0; c < columns; c++) if (colMax[c]! > -Infinity) pts.push([((c + 0.5) / columns) * duration, colMax[c]!]);
  return pts;
}

/** 0 and round steps up to at least `max` (1, 2 or 5 × 10^k). */
export function niceTicks(max: number): number[] {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}

function label(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
