// Two small SVG charts for HQ: violations per week and diverted value by region. Sums of money
// stay in integer fen; only bar lengths use floating point.
import { clear, fenText, h, t, toFen } from "./core.js";

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

function empty(text) {
  return h("p", { class: "empty", "data-empty": "chart" }, text);
}

export function drawWeekly(container, violations) {
  const buckets = perWeek(violations);
  if (!buckets.some((b) => b.count)) {
    clear(container, empty(t("chart.weekly.empty")));
    return;
  }
  const W = 560;
  const H = 220;
  const left = 30;
  const bottom = 30;
  const max = Math.max(...buckets.map((b) => b.count));
  const step = (W - left - 10) / buckets.length;
  const y = (n) => H - bottom - (n / max) * (H - bottom - 20);
  clear(
    container,
    h(
      "svg",
      { class: "chart chart-weekly", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("hq.weekly") },
      h("line", { class: "axis", x1: left, y1: H - bottom, x2: W - 5, y2: H - bottom }),
      buckets.map((b, i) => {
        const x = left + i * step + step * 0.15;
        const label = `${String(b.start.getMonth() + 1).padStart(2, "0")}-${String(b.start.getDate()).padStart(2, "0")}`;
        return h(
          "g",
          { "data-week": label, "data-count": b.count },
          h("rect", { class: "bar", x: x.toFixed(1), y: y(b.count).toFixed(1), width: (step * 0.7).toFixed(1), height: (H - bottom - y(b.count)).toFixed(1) }, h("title", {}, `${label}: ${b.count}`)),
          b.count ? h("text", { class: "bar-label", x: (x + step * 0.35).toFixed(1), y: (y(b.count) - 4).toFixed(1), "text-anchor": "middle" }, b.count) : null,
          i % 2 === buckets.length % 2 ? null : h("text", { x: (x + step * 0.35).toFixed(1), y: H - bottom + 16, "text-anchor": "middle" }, label),
        );
      }),
    ),
  );
}

export function drawValueByRegion(container, violations, names) {
  const rows = valueByRegion(violations, names);
  if (!rows.length) {
    clear(container, empty(t("chart.value.empty")));
    return;
  }
  const W = 560;
  const rowH = 28;
  const left = 110;
  const right = 110;
  const H = rows.length * rowH + 10;
  const max = rows[0].fen > 0n ? rows[0].fen : 1n;
  clear(
    container,
    h(
      "svg",
      { class: "chart chart-value", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("hq.value") },
      rows.map((r, i) => {
        const len = (Number((r.fen * 1000n) / max) / 1000) * (W - left - right);
        const y = 5 + i * rowH;
        return h(
          "g",
          { "data-region": r.code },
          h("text", { x: left - 8, y: y + 17, "text-anchor": "end" }, r.name),
          h("rect", { class: "bar value", x: left, y, width: Math.max(len, 1).toFixed(1), height: rowH - 8 }),
          h("text", { class: "bar-label", x: (left + len + 6).toFixed(1), y: y + 17 }, fenText(r.fen)),
        );
      }),
    ),
  );
}
