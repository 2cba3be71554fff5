import { outcomes, type Outcome } from './exchange.js';
import { percentile } from './latency.js';

export interface ChartInput {
  readonly title: string;
  readonly subtitle: string;
  /** Sorted latencies per outcome. */
  readonly samples: ReadonlyMap<Outcome, readonly number[]>;
  /** A vertical reference line, e.g. the p99 target. */
  readonly targetMs: number;
}

export const outcomeLabels: Record<Outcome, string> = {
  'first-execution': 'first execution (201)',
  'declined-402': 'declined (402)',
  replay: 'replay',
  'in-use-409': 'key in use (409)',
  'key-reused-422': 'changed body (422)',
  'rate-limited-429': 'rate limited (429)',
  'unavailable-503': 'unavailable (503)',
  other: 'other',
};

/** Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
const colours: Record<Outcome, string> = {
  'first-execution': '#0072B2',
  'declined-402': '#E69F00',
  replay: '#009E73',
  'in-use-409': '#CC79A7',
  'key-reused-422': '#D55E00',
  'rate-limited-429': '#56B4E9',
  'unavailable-503': '#000000',
  other: '#999999',
};

const width = 1100;
const height = 560;
const plot = { left: 80, right: 720, top: 70, bottom: 480 };
/** Points per curve: enough for a smooth CDF, few enough for a small file. */
const curvePoints = 300;

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const formatMs = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;

/**
 * The latency CDF per outcome on a logarithmic time axis, hand-written SVG: one curve per
 * outcome, the fraction of its requests answered within x milliseconds.
 */
export const latencyChart = (input: ChartInput): string => {
  const all = [...input.samples.values()].flat();
  const low = Math.min(...all.filter((ms) => ms > 0), input.targetMs);
  const high = Math.max(...all, input.targetMs);
  const minDecade = Math.floor(Math.log10(Number.isFinite(low) ? low : 1));
  const maxDecade = Math.max(minDecade + 1, Math.ceil(Math.log10(Number.isFinite(high) ? high : 10)));
  const x = (ms: number): number => {
    const clamped = Math.min(Math.max(ms, 10 ** minDecade), 10 ** maxDecade);
    return plot.left + ((Math.log10(clamped) - minDecade) / (maxDecade - minDecade)) * (plot.right - plot.left);
  };
  const y = (fraction: number): number => plot.bottom - fraction * (plot.bottom - plot.top);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="28" font-size="17" font-weight="600">${escapeXml(input.title)}</text>`,
    `<text x="${plot.left}" y="48" fill="#555">${escapeXml(input.subtitle)}</text>`,
  ];

  for (let decade = minDecade; decade <= maxDecade; decade++) {
    for (const step of [1, 2, 5]) {
      const ms = step * 10 ** decade;
      if (ms > 10 ** maxDecade) break;
      const tx = x(ms).toFixed(1);
      parts.push(`<line x1="${tx}" y1="${plot.top}" x2="${tx}" y2="${plot.bottom}" stroke="${step === 1 ? '#d0d0d0' : '#eeeeee'}"/>`);
      parts.push(`<text x="${tx}" y="${plot.bottom + 18}" text-anchor="middle" fill="#333">${escapeXml(formatMs(ms))}</text>`);
    }
  }
  for (let tenth = 0; tenth <= 10; tenth++) {
    const ty = y(tenth / 10).toFixed(1);
    parts.push(`<line x1="${plot.left}" y1="${ty}" x2="${plot.right}" y2="${ty}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${plot.left - 8}" y="${ty}" text-anchor="end" dominant-baseline="middle" fill="#333">${tenth * 10}%</text>`);
  }
  for (const [fraction, label] of [
    [0.95, 'p95'],
    [0.99, 'p99'],
  ] as const) {
    const ty = y(fraction).toFixed(1);
    parts.push(`<line x1="${plot.left}" y1="${ty}" x2="${plot.right}" y2="${ty}" stroke="#888" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${plot.right + 4}" y="${ty}" dominant-baseline="middle" fill="#666">${label}</text>`);
  }
  const targetX = x(input.targetMs).toFixed(1);
  parts.push(
    `<line x1="${targetX}" y1="${plot.top}" x2="${targetX}" y2="${plot.bottom}" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>`,
  );
  parts.push(
    `<text x="${targetX}" y="${plot.top - 6}" text-anchor="middle" fill="#c00">p99 target ${escapeXml(formatMs(input.targetMs))}</text>`,
  );
  parts.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#333"/>`,
  );
  parts.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 42}" text-anchor="middle" fill="#333">latency, from sending the request to the last byte of the answer (log scale)</text>`,
  );
  parts.push(
    `<text x="22" y="${(plot.top + plot.bottom) / 2}" text-anchor="middle" fill="#333" transform="rotate(-90 22 ${(plot.top + plot.bottom) / 2})">requests answered within that time</text>`,
  );

  let legendY = plot.top + 10;
  parts.push(`<text x="${plot.right + 40}" y="${legendY}" font-weight="600">outcome · requests · p99</text>`);
  for (const outcome of outcomes) {
    const sorted = input.samples.get(outcome) ?? [];
    if (sorted.length === 0) continue;
    const points: string[] = [];
    const steps = Math.min(curvePoints, sorted.length);
    for (let step = 0; step <= steps; step++) {
      const fraction = step / steps;
      const value = step === 0 ? (sorted[0] ?? 0) : percentile(sorted, fraction * 100);
      points.push(`${x(value).toFixed(1)},${y(step === 0 ? 0 : fraction).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${colours[outcome]}" stroke-width="2" points="${points.join(' ')}"/>`);
    legendY += 22;
    parts.push(
      `<line x1="${plot.right + 40}" y1="${legendY - 4}" x2="${plot.right + 62}" y2="${legendY - 4}" stroke="${colours[outcome]}" stroke-width="3"/>`,
    );
    parts.push(
      `<text x="${plot.right + 68}" y="${legendY}">${escapeXml(`${outcomeLabels[outcome]} · ${sorted.length.toLocaleString('en-US')} · ${formatMs(percentile(sorted, 99))}`)}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
};
