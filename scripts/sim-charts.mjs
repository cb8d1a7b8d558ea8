// Runs `packetfs simulate` (from dist/, so `npm run build` first) and writes the
// charts docs/scheduling.md shows: cost per policy against the oracle's lower
// bound, and p99 latency per policy. Usage:
//   node scripts/sim-charts.mjs [--nodes N] [--jobs N] [--seed S] [--scenario NAME]
// Prints the numbers as a Markdown table too, for the doc.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { simulate } from '../dist/src/sim/simulate.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const scenario = flag('scenario', 'planet');
const opts = { nodes: Number(flag('nodes', 10000)), jobs: Number(flag('jobs', 20000)), seed: Number(flag('seed', 1)) };
const report = await simulate(scenario, opts);
const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const title = `${scenario}: ${report.nodes.toLocaleString('en')} nodes, ${report.jobs.toLocaleString('en')} jobs, seed ${report.seed}`;

const bars = report.policies.map((p) => ({ label: p.name + (p.default ? ' (default)' : ''), value: p.cost_usd }));
bars.push({ label: 'oracle (lower bound)', value: report.oracle.cost_usd });
writeFileSync(join(docs, 'scheduling-cost.svg'), barChart(`Cost (USD) — ${title}`, bars, (v) => `$${v.toFixed(4)}`));
writeFileSync(join(docs, 'scheduling-p99.svg'), barChart(`p99 completion (s) — ${title}`, report.policies.map((p) => ({ label: p.name + (p.default ? ' (default)' : ''), value: p.p99_ms / 1000 })), (v) => `${v.toFixed(1)} s`));

console.log(`| policy | cost USD | of it spot boot + idle | ÷ oracle | p50 ms | p99 ms | deadline misses | succeeded | failed |\n|---|---|---|---|---|---|---|---|---|`);
for (const p of report.policies) {
  console.log(`| ${p.name}${p.default ? ' (default)' : ''} | ${p.cost_usd.toFixed(6)} | ${p.overhead_usd.toFixed(6)} | ${report.oracle.cost_usd > 0 ? (p.cost_usd / report.oracle.cost_usd).toFixed(3) : '-'} | ${p.p50_ms.toFixed(0)} | ${p.p99_ms.toFixed(0)} | ${p.deadline_misses} | ${p.jobs_succeeded} | ${p.jobs_failed} |`);
}
console.log(`| oracle | ${report.oracle.cost_usd.toFixed(6)} | | 1 | | | | | |`);
for (const p of report.policies) {
  const where = Object.entries(p.by_class.private?.by_substrate ?? {}).map(([name, s]) => `${name} ${s.jobs} ($${s.cost_usd.toFixed(4)})`).join(', ');
  console.log(`${p.name}: private jobs ran on ${where}; private misses ${p.by_class.private?.misses ?? 0}`);
}
console.log(`\n${title}; whole run ${report.seconds.toFixed(1)} s (oracle ${report.oracle.seconds.toFixed(1)} s)`);

/** a horizontal bar chart, plain SVG, no dependencies */
function barChart(heading, rows, format) {
  const width = 720;
  const rowH = 34;
  const left = 200;
  const right = 110;
  const top = 44;
  const height = top + rows.length * rowH + 16;
  const max = Math.max(...rows.map((r) => r.value), 1e-12);
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="bold">${esc(heading)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, ((width - left - right) * r.value) / max);
    const fill = r.label.startsWith('oracle') ? '#888' : r.label.includes('(default)') ? '#2a7' : '#47c';
    parts.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end">${esc(r.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${fill}"/>`);
    parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 18}">${esc(format(r.value))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
