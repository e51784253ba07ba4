// Names instead of codes: the region tree and the parties the caller may see, fetched once and
// kept in localStorage so that an offline phone still says 济南市 rather than 370100.
import { NetworkError, fetchAll } from "./core.js";

const REGIONS_KEY = "cg.regions";
const PARTIES_KEY = "cg.parties";
const CHECKPOINT_NAMES_KEY = "cg.checkpoint-names";

function cached(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

async function refresh(key, load) {
  try {
    const items = await load();
    localStorage.setItem(key, JSON.stringify(items));
    return items;
  } catch (err) {
    const old = cached(key);
    if (old) return old;
    if (err instanceof NetworkError) return [];
    return []; // a role that may not list these: codes it is
  }
}

let regions = cached(REGIONS_KEY) || [];
let parties = cached(PARTIES_KEY) || [];
let checkpointNames = cached(CHECKPOINT_NAMES_KEY) || [];

/** Fetch regions (and distributors, sub-customers, salespeople where the role may) and cache them. */
export async function loadNames({ parties: withParties = true } = {}) {
  const jobs = [
    refresh(REGIONS_KEY, () => fetchAll("/regions")),
    refresh(CHECKPOINT_NAMES_KEY, async () => (await fetchAll("/checkpoints")).map((c) => ({ code: c.code, name: c.name }))),
  ];
  if (withParties)
    jobs.push(
      refresh(PARTIES_KEY, async () => {
        const kinds = ["distributor", "salesperson", "sub_customer"];
        const lists = await Promise.all(
          ["/distributors", "/salespeople", "/sub-customers"].map((p) => fetchAll(p).catch(() => [])),
        );
        return lists.flatMap((list, i) => list.map((x) => ({ code: x.code, name: x.name, kind: kinds[i] })));
      }),
    );
  const [r, c, p] = await Promise.all(jobs);
  regions = r;
  checkpointNames = c;
  if (p) parties = p;
  return { regions };
}

export const allRegions = () => regions;

export function regionName(code) {
  if (!code) return "—";
  const r = regions.find((x) => x.code === code);
  return r ? r.name : code;
}

/** Parties goods can be handed to: distributors and sub-customers the caller may see. */
export const receivers = () => parties.filter((p) => p.kind === "distributor" || p.kind === "sub_customer");

export function partyName(code) {
  if (!code) return "—";
  const p = parties.find((x) => x.code === code);
  return p ? p.name : code;
}

export function checkpointName(code) {
  const c = checkpointNames.find((x) => x.code === code);
  return c ? c.name : code;
}

/** The region and its ancestors, nearest first (codes). */
export function regionPath(code) {
  const byCode = new Map(regions.map((r) => [r.code, r]));
  const out = [];
  let cur = byCode.get(code);
  while (cur && out.length < 64) {
    out.push(cur.code);
    cur = cur.parent_code ? byCode.get(cur.parent_code) : null;
  }
  if (!out.length && code) out.push(code);
  return out;
}
