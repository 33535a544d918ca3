import uPlot from "uplot";

/** A colour from the stylesheet's custom properties, so charts follow light and dark mode. */
const color = (name: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

function axes(x: Partial<uPlot.Axis> = {}): uPlot.Axis[] {
  const stroke = color("--fg-muted");
  const grid = { stroke: color("--grid"), width: 1 };
  const ticks = { stroke: color("--grid"), width: 1 };
  return [
    { stroke, grid, ticks, ...x },
    { stroke, grid, ticks, size: 56 },
  ];
}

export interface SeriesSpec {
  label: string;
  color: string;
  bars?: boolean;
}

/**
 * One uPlot chart in a container that sets its width: resized with the layout
 * (375 px phones to wide desktops) and rebuilt when the colour scheme changes.
 * The container is `role="img"`; its accessible name is the figures in words,
 * since a canvas says nothing to a screen reader.
 */
export class Chart {
  #plot: uPlot | null = null;
  #data: uPlot.AlignedData = [[]];
  readonly el: HTMLElement;
  readonly series: SeriesSpec[];
  readonly options: {
    time?: boolean;
    categories?: string[];
    height?: number;
    /** Fed by live ticks: show at least the last five minutes, and every point. */
    recent?: boolean;
  };

  constructor(el: HTMLElement, series: SeriesSpec[], options: Chart["options"] = {}) {
    this.el = el;
    this.series = series;
    this.options = options;
    new ResizeObserver(() => this.#resize()).observe(el);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.#build());
  }

  /** New data (x values first, then one array per series) and its description in words. */
  set(data: uPlot.AlignedData, summary: string) {
    this.#data = data;
    this.el.setAttribute("aria-label", summary);
    this.el.dataset.summary = summary;
    if (this.#plot) this.#plot.setData(data);
    else this.#build();
    this.#window();
  }

  /** Tick-fed charts: at least the last five minutes (uPlot spans years around a single point). */
  #window() {
    const xs = this.#data[0];
    const last = xs[xs.length - 1];
    if (!this.options.recent || !this.#plot || last === undefined) return;
    this.#plot.setScale("x", { min: Math.min(xs[0]!, last - 300), max: last + 5 });
  }

  #size() {
    return { width: Math.max(200, this.el.clientWidth), height: this.options.height ?? 180 };
  }

  #resize() {
    if (this.#plot) this.#plot.setSize(this.#size());
    this.#window();
  }

  #build() {
    this.#plot?.destroy();
    const categories = this.options.categories;
    const barWidth = categories ? 0.7 : 0.8;
    const opts: uPlot.Options = {
      ...this.#size(),
      legend: { show: !categories },
      cursor: { show: !categories, points: { show: false } },
      scales: categories
        ? { x: { time: false, range: [-0.5, categories.length - 0.5] } }
        : this.options.recent
          ? {
              x: { time: true },
              y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
            }
          : { x: { time: this.options.time ?? true } },
      axes: axes(
        categories
          ? {
              splits: () => categories.map((_, i) => i),
              values: (_u, splits) => splits.map((i) => categories[i] ?? ""),
              grid: { show: false },
            }
          : {},
      ),
      series: [
        {},
        ...this.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: color(s.color),
            width: 2,
            ...(s.bars
              ? {
                  fill: color(s.color),
                  paths: uPlot.paths.bars!({ size: [barWidth, 64], align: 0 }),
                  points: { show: false },
                }
              : { points: { show: this.options.recent === true, size: 5 } }),
          }),
        ),
      ],
    };
    this.#plot = new uPlot(opts, this.#data, this.el);
  }
}
