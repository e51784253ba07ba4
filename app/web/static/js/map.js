// The diversion map, drawn by Apache ECharts (vendored, canvas) from the regions' GeoJSON
// boundaries: no tiles, so it works in an office with no internet. Arrows run from the diverting
// distributor's region to the invaded one, as wide as the value; hand-offs across regions are a
// second layer, and public verifications (consumers' sightings) a third. Where a region has no boundary of its own, a Shandong city falls back to the
// vendored city outline (static/geo/shandong.json).
import { clear, fenText, h, t, table, toFen } from "./core.js";
import * as echarts from "../vendor/echarts.js";
import { escapeHtml } from "./charts.js";

const MAP_NAME = "cg-regions";
const RED = "#b91c1c";
const BLUE = "#2563eb";

function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  return a / 2;
}

/** Area-weighted centroid of the outer rings, in lon/lat. */
export function centroid(geometry) {
  let cx = 0;
  let cy = 0;
  let total = 0;
  for (const poly of polygons(geometry)) {
    const ring = poly[0];
    const a = ringArea(ring);
    if (!a) continue;
    let x = 0;
    let y = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      x += (ring[j][0] + ring[i][0]) * f;
      y += (ring[j][1] + ring[i][1]) * f;
    }
    cx += x / 6;
    cy += y / 6;
    total += a;
  }
  return total ? [cx / total, cy / total] : null;
}

let cityOutlines = null;
/** The vendored outlines of Shandong's cities, by GB/T 2260 code (fetched once, same origin). */
async function outlines() {
  if (!cityOutlines) {
    try {
      const res = await fetch("/static/geo/shandong.json");
      const fc = await res.json();
      cityOutlines = new Map(fc.features.map((f) => [String(f.properties.adcode), f.geometry]));
    } catch {
      cityOutlines = new Map();
    }
  }
  return cityOutlines;
}

/** Each region's boundary: its own, else the vendored outline for its code. */
export async function boundaries(regions) {
  const fallback = await outlines();
  const out = new Map();
  for (const r of regions) {
    const g = polygons(r.boundary).length ? r.boundary : fallback.get(r.code);
    if (g) out.set(r.code, g);
  }
  return out;
}

/** Where each region sits: its own boundary's centroid, else the middle of its children's. */
function anchors(regions, shapes) {
  const byParent = new Map();
  for (const r of regions) {
    if (!byParent.has(r.parent_code)) byParent.set(r.parent_code, []);
    byParent.get(r.parent_code).push(r);
  }
  const out = new Map();
  const find = (r, depth = 0) => {
    if (out.has(r.code)) return out.get(r.code);
    let c = shapes.has(r.code) ? centroid(shapes.get(r.code)) : null;
    if (!c && depth < 8) {
      const kids = (byParent.get(r.code) || []).map((k) => find(k, depth + 1)).filter(Boolean);
      if (kids.length) c = [kids.reduce((s, p) => s + p[0], 0) / kids.length, kids.reduce((s, p) => s + p[1], 0) / kids.length];
    }
    out.set(r.code, c);
    return c;
  };
  for (const r of regions) find(r);
  return out;
}

const asFlow = (f) => ({ from: f.from_region_code, to: f.to_region_code, count: f.count, cartons: f.cartons, fen: toFen(f.value) ?? 0n });

/** Draw the map into `container`; `flowMap` is GET /reports/diversion-flows. Returns the chart. */
export async function drawDiversionMap(container, { regions, flowMap }) {
  const shapes = await boundaries(regions);
  if (!shapes.size) {
    clear(container, h("p", { class: "empty" }, h("strong", {}, t("map.noboundary.h")), t("map.noboundary")));
    return null;
  }
  const names = new Map(regions.map((r) => [r.code, r.name]));
  const where = anchors(regions, shapes);
  const diversions = (flowMap.diversions || []).map(asFlow);
  const handOffs = (flowMap.hand_offs || []).map(asFlow);
  const invaded = new Set(diversions.map((f) => f.to));
  const maxFen = diversions.reduce((m, f) => (f.fen > m ? f.fen : m), 1n);
  const maxHand = Math.max(1, ...handOffs.map((f) => f.count));

  echarts.registerMap(MAP_NAME, {
    type: "FeatureCollection",
    features: [...shapes].map(([code, geometry]) => ({ type: "Feature", properties: { name: code }, geometry })),
  });
  const line = (f, width, colour) => {
    const a = where.get(f.from);
    const b = where.get(f.to);
    if (!a || !b) return null;
    return { coords: [a, b], flow: f, lineStyle: { width, color: colour } };
  };
  const flowLines = diversions
    .map((f) => line(f, 1.5 + 7 * Math.sqrt(Number((f.fen * 1000n) / maxFen) / 1000), RED))
    .filter(Boolean);
  const handLines = handOffs.map((f) => line(f, 1 + 4 * Math.sqrt(f.count / maxHand), BLUE)).filter(Boolean);
  const sightings = (flowMap.sightings || [])
    .map((s) => ({ s, at: where.get(s.region_code) }))
    .filter((x) => x.at)
    .map(({ s, at }) => ({ value: [...at, s.verifications], sighting: s }));
  const maxSeen = Math.max(1, ...sightings.map((x) => x.sighting.verifications));
  const flowLabel = (f) => `${names.get(f.from) || f.from} → ${names.get(f.to) || f.to}`;

  const canvas = h("div", { class: "map-canvas", role: "img", "aria-label": t("hq.map") });
  const summary = diversions.length
    ? table(
        [t("map.from"), t("map.into"), h("span", { class: "num" }, t("map.count.h")), h("span", { class: "num" }, t("col.value"))],
        diversions.slice(0, 10).map((f) =>
          h(
            "tr",
            { "data-flow": `${f.from}>${f.to}`, "data-count": f.count },
            h("td", {}, names.get(f.from) || f.from),
            h("td", {}, names.get(f.to) || f.to),
            h("td", { class: "num" }, f.cartons),
            h("td", { class: "num" }, fenText(f.fen)),
          ),
        ),
      )
    : h("p", { class: "empty", "data-empty": "flows" }, t("map.noflows"));
  clear(container, canvas, summary);

  const chart = echarts.init(canvas, null, { renderer: "canvas", locale: "ZH" });
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        if (p.seriesId === "sightings") {
          const x = p.data.sighting;
          return `${escapeHtml(names.get(x.region_code) || x.region_code)}<br>${escapeHtml(t("map.sightings.n", { n: x.verifications, s: x.signals }))}`;
        }
        if (p.seriesType === "lines") {
          const f = p.data.flow;
          const tail = p.seriesId === "flows" ? `${t("map.cartons", { n: f.cartons })} · ${fenText(f.fen)}` : t("map.handoffs.n", { n: f.count });
          return `${escapeHtml(flowLabel(f))}<br>${escapeHtml(tail)}`;
        }
        return escapeHtml(names.get(p.name) || p.name);
      },
    },
    legend: {
      bottom: 4,
      left: "center",
      data: [t("map.layer.flows"), t("map.layer.handoffs"), t("map.layer.sightings")],
      textStyle: { fontSize: 12 },
    },
    geo: {
      map: MAP_NAME,
      roam: true,
      top: 12,
      bottom: 36,
      left: 8,
      right: 8,
      label: { show: true, fontSize: 11, color: "#1e293b", formatter: (p) => names.get(p.name) || p.name },
      itemStyle: { areaColor: "#dbe4ee", borderColor: "#7b8aa0", borderWidth: 1 },
      emphasis: { itemStyle: { areaColor: "#c7d7ea" }, label: { color: "#0f172a" } },
      regions: [...invaded].map((code) => ({ name: code, itemStyle: { areaColor: "#fcd5d5" } })),
    },
    series: [
      {
        id: "flows",
        name: t("map.layer.flows"),
        type: "lines",
        coordinateSystem: "geo",
        zlevel: 2,
        symbol: ["none", "arrow"],
        symbolSize: 11,
        lineStyle: { curveness: 0.22, opacity: 0.85, color: RED },
        itemStyle: { color: RED },
        data: flowLines,
      },
      {
        id: "handoffs",
        name: t("map.layer.handoffs"),
        type: "lines",
        coordinateSystem: "geo",
        zlevel: 1,
        symbol: ["circle", "arrow"],
        symbolSize: [4, 8],
        lineStyle: { curveness: -0.18, opacity: 0.7, type: "dashed", color: BLUE },
        itemStyle: { color: BLUE },
        data: handLines,
      },
      {
        id: "sightings",
        name: t("map.layer.sightings"),
        type: "scatter",
        coordinateSystem: "geo",
        zlevel: 3,
        symbolSize: (v) => 8 + 16 * Math.sqrt(v[2] / maxSeen),
        itemStyle: { color: "#d97706", opacity: 0.75, borderColor: "#fff", borderWidth: 1 },
        data: sightings,
      },
    ],
  });
  new ResizeObserver(() => chart.resize()).observe(canvas);
  // What the canvas shows, for people with screen readers and for tests.
  container.dataset.regions = [...shapes.keys()].sort().join(",");
  container.dataset.flows = flowLines.map((l) => `${l.flow.from}>${l.flow.to}`).join(",");
  container.dataset.sightings = sightings.map((x) => `${x.sighting.region_code}:${x.sighting.verifications}`).join(",");
  container.dataset.handoffs = handLines.map((l) => `${l.flow.from}>${l.flow.to}`).join(",");
  return chart;
}
