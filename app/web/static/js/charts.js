// HQ's charts, drawn by Apache ECharts (vendored): violations per week and diverted value by
// region. Sums of money stay in integer fen; only bar lengths use floating point.
import { clear, fenText, h, t, toFen } from "./core.js";
import * as echarts from "../vendor/echarts.js";

/** Monday 00:00 (local time) of the week holding `d`. */
export function weekStart(d) {
  const x = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  x.setDate(x.getDate() - ((x.getDay() + 6) % 7));
  return x;
}

export function perWeek(violations, { weeks = 12, now = new Date() } = {}) {
  const last = weekStart(now);
  const buckets = [];
  for (let i = weeks - 1; i >= 0; i--) {
    const start = new Date(last);
    start.setDate(start.getDate() - 7 * i);
    buckets.push({ start, count: 0 });
  }
  for (const v of violations) {
    const week = weekStart(new Date(v.detected_at)).getTime();
    const b = buckets.find((x) => x.start.getTime() === week);
    if (b) b.count += 1;
  }
  return buckets;
}

export function valueByRegion(violations, names, { top = 10 } = {}) {
  const sums = new Map();
  for (const v of violations) {
    if (v.status === "dismissed" || v.status === "reversed") continue;
    sums.set(v.region_code, (sums.get(v.region_code) || 0n) + (toFen(v.value) ?? 0n));
  }
  return [...sums.entries()]
    .map(([code, fen]) => ({ code, name: names.get(code) || code, fen }))
    .sort((a, b) => (b.fen > a.fen ? 1 : b.fen < a.fen ? -1 : 0))
    .slice(0, top);
}

/** ECharts tooltips are HTML: names from the API go in escaped. */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function empty(text) {
  return h("p", { class: "empty", "data-empty": "chart" }, text);
}

function mount(container, height) {
  const el = h("div", { class: "chart-canvas" });
  clear(container, el);
  const chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH", height });
  new ResizeObserver(() => chart.resize()).observe(el);
  return chart;
}

const label = (d) => `${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

export function drawWeekly(container, violations) {
  const buckets = perWeek(violations);
  if (!buckets.some((b) => b.count)) {
    clear(container, empty(t("chart.weekly.empty")));
    return;
  }
  const chart = mount(container, 240);
  chart.setOption({
    animation: false,
    grid: { left: 36, right: 12, top: 24, bottom: 28 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: buckets.map((b) => label(b.start)), axisLabel: { fontSize: 11 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      {
        type: "bar",
        name: t("hq.weekly"),
        data: buckets.map((b) => b.count),
        itemStyle: { color: "#0f5fa8" },
        label: { show: true, position: "top", formatter: (p) => (p.value ? p.value : "") },
      },
    ],
  });
  container.dataset.weeks = JSON.stringify(buckets.map((b) => b.count));
}

export function drawValueByRegion(container, violations, names) {
  const rows = valueByRegion(violations, names);
  if (!rows.length) {
    clear(container, empty(t("chart.value.empty")));
    return;
  }
  const chart = mount(container, Math.max(160, rows.length * 30 + 40));
  const ordered = [...rows].reverse(); // ECharts draws the first category at the bottom
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 96, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "item", formatter: (p) => `${escapeHtml(p.name)}: ${fenText(ordered[p.dataIndex].fen)}` },
    xAxis: { type: "value", show: false },
    yAxis: { type: "category", data: ordered.map((r) => r.name), axisLabel: { fontSize: 12 } },
    series: [
      {
        type: "bar",
        data: ordered.map((r) => Number(r.fen) / 100),
        itemStyle: { color: "#b91c1c" },
        label: { show: true, position: "right", formatter: (p) => fenText(ordered[p.dataIndex].fen) },
      },
    ],
  });
  container.dataset.regions = rows.map((r) => r.code).join(",");
  container.dataset.values = rows.map((r) => fenText(r.fen)).join(",");
}
