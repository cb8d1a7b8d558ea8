import uPlot from 'uplot';
import type { DashboardFrame } from '../snapshot.js';

/**
 * The 15-minute throughput chart (uPlot): jobs succeeded and failed per
 * second. One chart object for the page's life; each frame replaces its data,
 * and a ResizeObserver keeps it as wide as its card.
 */
export class ThroughputChart {
  private readonly plot: uPlot;

  constructor(container: HTMLElement) {
    const height = container.clientWidth < 500 ? 200 : 240;
    this.plot = new uPlot({
      width: Math.max(200, container.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#5f6b7a', grid: { stroke: '#eef1f6' } },
        { stroke: '#5f6b7a', grid: { stroke: '#eef1f6' }, size: 50 },
      ],
      series: [
        {},
        { label: 'succeeded / s', stroke: '#2d6cdf', fill: 'rgba(45,108,223,0.12)', width: 1.5, points: { show: false } },
        { label: 'failed / s', stroke: '#c23b3b', width: 1.5, points: { show: false } },
      ],
    }, [[], [], []], container);
    new ResizeObserver(() => {
      const width = Math.max(200, container.clientWidth);
      if (width !== this.plot.width) this.plot.setSize({ width, height });
    }).observe(container);
  }

  update(frame: DashboardFrame): void {
    const n = frame.series_succeeded.length;
    const xs = new Array<number>(n);
    for (let i = 0; i < n; i++) xs[i] = frame.series_end - n + 1 + i;
    this.plot.setData([xs, frame.series_succeeded, frame.series_failed]);
  }
}
