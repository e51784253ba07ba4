// The diversion map, drawn as SVG from the regions' GeoJSON boundaries (no tiles: the office
// may have no internet). Arrows run from the diverting distributor's region to the invaded one.
import { clear, fenText, h, t, table, toFen } from "./core.js";

const WIDTH = 900;
const PAD = 30;
const COLOURS = { low: "#f59e0b", mid: "#ea580c", high: "#b91c1c" };

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
function centroid(geometry) {
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

function bboxOf(geometries) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const g of geometries)
    for (const poly of polygons(g))
      for (const ring of poly)
        for (const [lon, lat] of ring) {
          b[0] = Math.min(b[0], lon);
          b[1] = Math.min(b[1], lat);
          b[2] = Math.max(b[2], lon);
          b[3] = Math.max(b[3], lat);
        }
  return b[0] === Infinity ? null : b;
}

/** Equirectangular, shrunk east-west by cos(latitude): true enough at province scale. */
function projector([minLon, minLat, maxLon, maxLat]) {
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = (WIDTH - 2 * PAD) / Math.max((maxLon - minLon) * k, 1e-6);
  const height = Math.max((maxLat - minLat) * scale, 200) + 2 * PAD;
  return { height, at: ([lon, lat]) => [PAD + (lon - minLon) * k * scale, PAD + (maxLat - lat) * scale] };
}

function pathData(geometry, at) {
  const parts = [];
  for (const poly of polygons(geometry))
    for (const ring of poly)
      parts.push(`M${ring.map((pt) => at(pt).map((v) => v.toFixed(1)).join(",")).join("L")}Z`);
  return parts.join("");
}

/** Where each region sits: its own boundary, else the middle of its children's. */
function anchors(regions) {
  const byParent = new Map();
  for (const r of regions) {
    if (!byParent.has(r.parent_code)) byParent.set(r.parent_code, []);
    byParent.get(r.parent_code).push(r);
  }
  const out = new Map();
  const find = (r, depth = 0) => {
    if (out.has(r.code)) return out.get(r.code);
    let c = r.boundary ? centroid(r.boundary) : null;
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

/** Flows (from region → to region) with counts and value in fen, from the violations. */
export function flows(violations, distributors) {
  const home = new Map(distributors.map((d) => [d.code, (d.region_codes || [])[0]]));
  const agg = new Map();
  for (const v of violations) {
    if (v.status === "dismissed" || v.status === "reversed") continue;
    const from = home.get(v.diverting_distributor_code);
    const to = v.region_code;
    if (!from || !to || from === to) continue;
    const key = `${from}>${to}`;
    const f = agg.get(key) || { from, to, count: 0, fen: 0n };
    f.count += 1;
    f.fen += toFen(v.value) ?? 0n;
    agg.set(key, f);
  }
  return [...agg.values()].sort((a, b) => (b.fen > a.fen ? 1 : b.fen < a.fen ? -1 : b.count - a.count));
}

/** The point `dist` pixels from `from` in the direction of `to`. */
function toward(from, to, dist) {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  return [from[0] + (dx / len) * dist, from[1] + (dy / len) * dist];
}

function tone(count, max) {
  if (count * 3 <= max) return "low";
  if (count * 3 <= max * 2) return "mid";
  return "high";
}

export function drawDiversionMap(container, { regions, distributors, violations }) {
  const drawn = regions.filter((r) => polygons(r.boundary).length);
  const box = bboxOf(drawn.map((r) => r.boundary));
  if (!box) {
    clear(
      container,
      h("p", { class: "empty" }, h("strong", {}, t("map.noboundary.h")), t("map.noboundary")),
    );
    return;
  }
  const { height, at } = projector(box);
  const where = anchors(regions);
  const names = new Map(regions.map((r) => [r.code, r.name]));
  const list = flows(violations, distributors);
  const invaded = new Set(list.map((f) => f.to));
  const maxCount = Math.max(1, ...list.map((f) => f.count));
  const maxFen = list.reduce((m, f) => (f.fen > m ? f.fen : m), 1n);

  const svg = h(
    "svg",
    { class: "map", viewBox: `0 0 ${WIDTH} ${height.toFixed(0)}`, role: "img", "aria-label": t("hq.map") },
    h(
      "defs",
      {},
      Object.entries(COLOURS).map(([name, colour]) =>
        h(
          "marker",
          { id: `arrow-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 12, markerHeight: 12, markerUnits: "userSpaceOnUse", orient: "auto" },
          h("path", { d: "M0,0L10,5L0,10Z", fill: colour }),
        ),
      ),
    ),
    h(
      "g",
      { class: "regions" },
      drawn.map((r) =>
        h(
          "path",
          { class: `region${invaded.has(r.code) ? " invaded" : ""}`, d: pathData(r.boundary, at), "data-code": r.code, "fill-rule": "evenodd" },
          h("title", {}, `${r.name} ${r.code}`),
        ),
      ),
    ),
    h(
      "g",
      { class: "flows" },
      list.map((f) => {
        const a = where.get(f.from);
        const b = where.get(f.to);
        if (!a || !b) return null;
        const [x1, y1] = at(a);
        const [x2, y2] = at(b);
        // Bend each arrow to its left so that A→B and B→A stay apart.
        const dx = x2 - x1;
        const dy = y2 - y1;
        const cx = (x1 + x2) / 2 - dy * 0.2;
        const cy = (y1 + y2) / 2 + dx * 0.2;
        const level = tone(f.count, maxCount);
        const width = 1.5 + 4.5 * Math.sqrt(Number((f.fen * 1000n) / maxFen) / 1000);
        // Stop short of the centres so that arrowheads and names stay readable.
        const [sx, sy] = toward([x1, y1], [cx, cy], 10);
        const [ex, ey] = toward([x2, y2], [cx, cy], 16);
        return h(
          "path",
          {
            class: `flow flow-${level}`,
            d: `M${sx.toFixed(1)},${sy.toFixed(1)}Q${cx.toFixed(1)},${cy.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`,
            stroke: COLOURS[level],
            "stroke-width": width.toFixed(1),
            "marker-end": `url(#arrow-${level})`,
            "data-from": f.from,
            "data-to": f.to,
            "data-count": f.count,
          },
          h("title", {}, `${names.get(f.from) || f.from} → ${names.get(f.to) || f.to}: ${t("map.count", { n: f.count })}, ${fenText(f.fen)}`),
        );
      }),
    ),
    h(
      "g",
      { class: "labels" },
      drawn.map((r) => {
        const c = where.get(r.code);
        if (!c) return null;
        const [x, y] = at(c);
        return h("text", { class: "region-label", x: x.toFixed(1), y: (y + 4).toFixed(1) }, r.name);
      }),
    ),
  );
  const legend = h(
    "div",
    { class: "legend" },
    h("span", {}, h("span", { class: "swatch low" }), t("map.few")),
    h("span", {}, h("span", { class: "swatch mid" }), t("map.some")),
    h("span", {}, h("span", { class: "swatch high" }), t("map.many", { n: maxCount })),
  );
  const summary = list.length
    ? table(
        [t("map.from"), t("map.into"), h("span", { class: "num" }, t("map.count.h")), h("span", { class: "num" }, t("col.value"))],
        list.slice(0, 10).map((f) =>
          h(
            "tr",
            { "data-flow": `${f.from}>${f.to}` },
            h("td", {}, names.get(f.from) || f.from),
            h("td", {}, names.get(f.to) || f.to),
            h("td", { class: "num" }, f.count),
            h("td", { class: "num" }, fenText(f.fen)),
          ),
        ),
      )
    : h("p", { class: "empty", "data-empty": "flows" }, t("map.noflows"));
  clear(container, svg, legend, summary);
}
