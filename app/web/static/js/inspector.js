// The inspector's phone page: pick a checkpoint or use GPS, scan (the camera decoding
// continuously, a keyboard-wedge reader, or a photo), see the verdict at once. Scans go through the
// IndexedDB outbox so that none is lost or stored twice when the network comes and goes; without
// a network the page judges provisionally from what the code says and what it cached, and shows
// what changed once the server has judged. Distributors and sub-customers use the same page to
// scan goods out (出库) and in (入库).
import { mountInbox } from "./inbox.js";
import {
  ApiError,
  NetworkError,
  VERDICTS,
  api,
  cachedMe,
  clear,
  endSession,
  errorText,
  fetchAll,
  findingLabel,
  fmt,
  getToken,
  onSendBeforeSignOut,
  requireSameSession,
  h,
  isoWithOffset,
  requireSession,
  t,
  uid,
  verdictBadge,
  when,
} from "./core.js";
import { parseCarton } from "./gs1.js";
import { lang } from "./i18n.js";
import { loadNames, partyName, receivers, regionName, regionPath } from "./names.js";
import * as outbox from "./queue.js";
import { explain } from "./reasons.js";
import { mountScratchedForm } from "./scratched.js";

const $ = (id) => document.getElementById(id);
const els = {
  net: $("net"),
  sync: $("sync"),
  modes: $("modes"),
  where: $("where"),
  handoff: $("handoff"),
  handoffHint: $("handoff-hint"),
  toPartyRow: $("to-party-row"),
  toParty: $("to-party"),
  checkpoint: $("checkpoint"),
  gps: $("gps"),
  gpsStatus: $("gps-status"),
  form: $("scan-form"),
  priceRow: $("price-row"),
  price: $("price"),
  payload: $("payload"),
  photo: $("photo"),
  formError: $("form-error"),
  verdict: $("verdict"),
  changes: $("changes"),
  changesList: $("changes-list"),
  history: $("history"),
  historyEmpty: $("history-empty"),
  cameraBox: $("camera-box"),
  camera: $("camera"),
  cameraToggle: $("camera-toggle"),
  cameraStatus: $("camera-status"),
};

const CHECKPOINTS_KEY = "cg.checkpoints";
const CHECKPOINT_KEY = "cg.checkpoint";
const HISTORY_KEY = "cg.history";
const DEVICE_KEY = "cg.device";
const WAYBILLS_KEY = "cg.waybills";
const MODE_KEY = "cg.mode";
const HISTORY_MAX = 50;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60000;
const DEDUP_MS = 4000; // the same code in front of the camera counts once per this long
const DECODE_EVERY_MS = 150;
const RECENT_VERDICT_MS = 24 * 3600 * 1000;
// Worst first: the verdict a photo of several cartons is summarised by.
const SEVERITY = ["forged", "cloned", "diversion", "voided", "unknown", "unreadable", "in_transit", "in_region"];
const MODES = { inspect: "scans", ship: "custody/ship", receive: "custody/receive" };

let me = null;
let mode = "inspect";

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${uid().slice(0, 13)}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

const readJson = (key, fallback) => {
  try {
    return JSON.parse(localStorage.getItem(key) || "null") ?? fallback;
  } catch {
    return fallback;
  }
};

// ---- where the inspector is ------------------------------------------------------------------

let gpsFix = null;
let gpsWatch = null;
let checkpoints = readJson(CHECKPOINTS_KEY, []);

async function loadCheckpoints() {
  try {
    checkpoints = await fetchAll("/checkpoints");
    localStorage.setItem(CHECKPOINTS_KEY, JSON.stringify(checkpoints));
  } catch (err) {
    if (!(err instanceof NetworkError)) showFormError(errorText(err));
  }
  const saved = localStorage.getItem(CHECKPOINT_KEY) || "";
  clear(
    els.checkpoint,
    h("option", { value: "" }, t("insp.checkpoint.none")),
    checkpoints.map((c) =>
      h("option", { value: c.code, selected: c.code === saved }, `${c.name} · ${regionName(c.region_code)}`),
    ),
  );
}

/** Active waybills whose route passes the checkpoint's region, with their cartons: kept so
 * that an offline phone can tell goods in transit from diverted goods. */
async function cacheWaybills() {
  const cp = checkpoints.find((c) => c.code === els.checkpoint.value);
  if (!cp) return;
  try {
    const here = new Set(regionPath(cp.region_code));
    const active = (await fetchAll("/waybills?status=active", { cap: 500 })).filter((w) =>
      w.route_region_codes.some((r) => here.has(r) || regionPath(r).includes(cp.region_code)),
    );
    const full = await Promise.all(active.slice(0, 30).map((w) => api(`/waybills/${encodeURIComponent(w.number)}`)));
    localStorage.setItem(
      WAYBILLS_KEY,
      JSON.stringify(
        full.map((w) => ({
          number: w.number,
          route: w.route_region_codes,
          from: w.dispatched_at,
          until: w.expected_arrival,
          serials: w.carton_serials || [],
        })),
      ),
    );
  } catch {
    // keep what was cached before
  }
}

function toggleGps() {
  if (gpsWatch !== null) {
    navigator.geolocation.clearWatch(gpsWatch);
    gpsWatch = null;
    gpsFix = null;
    els.gps.setAttribute("aria-pressed", "false");
    els.gpsStatus.hidden = true;
    return;
  }
  if (!navigator.geolocation) {
    showFormError(t("gps.none"));
    return;
  }
  els.gps.setAttribute("aria-pressed", "true");
  els.gpsStatus.hidden = false;
  els.gpsStatus.textContent = t("gps.locating");
  gpsWatch = navigator.geolocation.watchPosition(
    (pos) => {
      gpsFix = { lat: pos.coords.latitude, lon: pos.coords.longitude };
      els.gpsStatus.textContent = `GPS ${gpsFix.lat.toFixed(5)}, ${gpsFix.lon.toFixed(5)} (±${Math.round(pos.coords.accuracy)} m)`;
    },
    (err) => {
      els.gpsStatus.textContent = t("gps.failed", { message: err.message });
    },
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
  );
}

/** checkpoint_code and/or lat+lon for a scan, or null when neither is known. */
function where() {
  const out = {};
  if (els.checkpoint.value) out.checkpoint_code = els.checkpoint.value;
  if (gpsFix) Object.assign(out, gpsFix);
  return out.checkpoint_code || gpsFix ? out : null;
}

// ---- provisional verdicts (no network) -------------------------------------------------------

/**
 * What the phone can say alone: the code's own region (AI 91) against the checkpoint's region
 * path, the cached waybills on this road, and what the server said about this carton here
 * lately. Only the server checks the signature and the history, so this is marked provisional.
 */
function provisional(payload, loc) {
  const code = parseCarton(payload);
  if (!code) return { verdict: "unreadable", provisional: true, note: t("prov.unreadable") };
  const cp = checkpoints.find((c) => c.code === loc.checkpoint_code);
  const base = { serial: code.serial, provisional: true, carton_region: code.region };
  if (!cp) return { ...base, verdict: null, note: t("prov.noplace", { carton: regionName(code.region) }) };
  const path = regionPath(cp.region_code);
  const facts = { carton: regionName(code.region), scan: regionName(cp.region_code) };
  const recent = history.find(
    (e) =>
      e.result &&
      !e.result.provisional &&
      e.result.serial === code.serial &&
      e.result.region_code === cp.region_code &&
      Date.now() - new Date(e.at).getTime() < RECENT_VERDICT_MS,
  );
  if (recent && recent.result.verdict)
    return { ...base, region_code: cp.region_code, verdict: recent.result.verdict, note: t("prov.recent", { ago: fmt.since(recent.at), ...facts }) };
  if (path.includes(code.region)) return { ...base, region_code: cp.region_code, verdict: "in_region", note: t("prov.in_region", facts) };
  const now = Date.now();
  const waybill = readJson(WAYBILLS_KEY, []).find(
    (w) =>
      w.serials.includes(code.serial) &&
      w.route.some((r) => path.includes(r)) &&
      new Date(w.from).getTime() <= now &&
      now <= new Date(w.until).getTime() + 6 * 3600 * 1000,
  );
  if (waybill)
    return { ...base, region_code: cp.region_code, verdict: "in_transit", note: t("prov.in_transit", { waybill: waybill.number, ...facts }) };
  return { ...base, region_code: cp.region_code, verdict: "diversion", note: t("prov.diversion", facts) };
}

const provisionalLabel = (verdict) => (verdict ? t(`prov.verdict.${verdict}`) : t("prov.verdict.unknown"));

// ---- history and verdict display -------------------------------------------------------------

// Each user's own list on a shared phone; read once the page knows who is signed in.
const legacyOwner = (cachedMe() || {}).username;
let history = [];
let historyKey = null;

function loadHistory(username) {
  historyKey = `${HISTORY_KEY}:${username}`;
  const legacy = localStorage.getItem(HISTORY_KEY);
  if (legacy !== null) {
    // Kept before lists were per user: it goes to the user this phone still had signed in,
    // else it is dropped rather than shown to someone else.
    localStorage.removeItem(HISTORY_KEY);
    if (localStorage.getItem(historyKey) === null && legacyOwner === username) localStorage.setItem(historyKey, legacy);
  }
  history = readJson(historyKey, []);
}

function saveHistory() {
  history = history.slice(0, HISTORY_MAX);
  if (historyKey) localStorage.setItem(historyKey, JSON.stringify(history));
  renderHistory();
}

function addHistory(entry) {
  history.unshift(entry);
  saveHistory();
}

function errorLine(error) {
  return t("result.error", { error: typeof error === "string" ? error : JSON.stringify(error) });
}

function resultLines(r) {
  const lines = [];
  const sentence = r.provisional ? r.note : explain(r);
  if (sentence) lines.push(sentence);
  else if (r.region_code) lines.push(t("result.region", { region: regionName(r.region_code) }));
  if (r.serial) lines.push(t("result.serial", { serial: r.serial }));
  if (r.cartons) lines.push(t("result.pallet", { n: r.cartons }));
  if (r.violation_id) lines.push(t("result.violation", { id: r.violation_id }));
  if (r.outcome) lines.push(t(`custody.${r.outcome}`) + (r.reason ? ` · ${r.reason}` : ""));
  if (r.error) lines.push(errorLine(r.error));
  return lines;
}

function badgeFor(e) {
  if (e.result && e.result.provisional)
    return h("span", { class: `badge tone-${VERDICTS[e.result.verdict]?.tone || "grey"} provisional`, "data-verdict": e.result.verdict || "", "data-provisional": "true" }, provisionalLabel(e.result.verdict));
  if (e.state === "waiting") return h("span", { class: "badge tone-wait" }, t("state.waiting"));
  if (e.state === "dead" || (e.result && e.result.error && !e.result.verdict && !e.result.outcome))
    return h("span", { class: "badge tone-grey" }, t("state.failed"));
  if (e.result && e.result.outcome)
    return h("span", { class: `badge outcome-${e.result.outcome}`, "data-outcome": e.result.outcome }, t(`custody.${e.result.outcome}`));
  return verdictBadge(e.result.verdict);
}

function renderHistory() {
  els.historyEmpty.hidden = history.length > 0;
  clear(
    els.history,
    history.map((e) =>
      h(
        "li",
        { "data-local-id": e.localId, "data-state": e.state, "data-kind": e.kind || "scan" },
        badgeFor(e),
        e.kind && e.kind !== "scan" ? h("span", { class: "badge tone-none" }, t(`mode.${e.kind}`)) : null,
        h("span", { class: "mono payload" }, e.photo ? t("photo.item", { name: e.payload }) : e.payload),
        h("span", { class: "hint" }, when(e.at)),
        e.result ? h("span", { class: "hint line" }, resultLines(e.result).join(" · ")) : null,
      ),
    ),
  );
}

function showVerdict(result, note) {
  const v = VERDICTS[result.verdict];
  els.verdict.className = `verdict tone-${v ? v.tone : result.outcome ? `outcome-${result.outcome}` : "grey"}`;
  els.verdict.dataset.verdict = result.verdict || (result.outcome ? "" : "error");
  els.verdict.dataset.provisional = String(Boolean(result.provisional));
  els.verdict.dataset.outcome = result.outcome || "";
  const findings = result.findings || [];
  els.verdict.dataset.findings = findings.join(" ");
  let main;
  if (result.provisional) main = provisionalLabel(result.verdict);
  else if (v) main = v.label;
  else if (result.outcome) main = t(`custody.${result.outcome}`);
  else main = t("result.failed");
  clear(
    els.verdict,
    h("div", { class: "verdict-main" }, main),
    result.provisional ? h("div", { class: "provisional-note" }, t("prov.banner")) : null,
    findings.length
      ? h("div", { class: "verdict-findings" }, findings.map((f) => h("span", { class: "finding", "data-finding": f }, `⚠ ${findingLabel(f)}`)))
      : null,
    h("div", { class: "verdict-detail" }, resultLines(result).map((l, i) => h("div", { class: i === 0 ? "sentence" : "" }, l)), note ? h("div", {}, note) : null),
  );
}

function showMessage(text, tone = "none") {
  els.verdict.className = `verdict tone-${tone}`;
  els.verdict.dataset.verdict = "";
  els.verdict.dataset.provisional = "false";
  clear(els.verdict, h("div", { class: "verdict-main small" }, text));
}

function showFormError(text) {
  els.formError.textContent = text;
  els.formError.hidden = !text;
}

/** After a sync: which provisional verdicts the server confirmed and which it changed. */
function showChanges(changes) {
  if (!changes.length) return;
  els.changes.hidden = false;
  const items = changes.map(({ entry, before, after }) => {
    const changed = before.verdict !== after.verdict;
    const name = after.serial || before.serial || entry.payload;
    const label = VERDICTS[after.verdict]?.label || (after.outcome ? t(`custody.${after.outcome}`) : t("result.failed"));
    return h(
      "li",
      { "data-changed": String(changed), "data-local-id": entry.localId, "data-verdict": after.verdict || "" },
      changed
        ? t("changes.changed", { code: name, before: provisionalLabel(before.verdict), after: label })
        : t("changes.same", { code: name, after: label }),
      explain(after) ? h("div", { class: "hint" }, explain(after)) : null,
    );
  });
  els.changesList.prepend(...items);
}

// ---- sending ---------------------------------------------------------------------------------

let syncing = false;
let retryMs = RETRY_MIN_MS;
let retryTimer = null;
let authProblem = false;

async function refreshCounts() {
  const { waiting, dead } = await outbox.counts();
  // Other users' work left on this shared phone: kept for them, never sent under this user.
  const held = await outbox.heldForOthers();
  els.sync.dataset.held = String(held.reduce((n, x) => n + x.n, 0));
  els.sync.dataset.waiting = String(waiting);
  els.sync.dataset.dead = String(dead);
  // Scratched-carton records (scratched.js) wait in the same outbox, listed under their form.
  const scratched = (await outbox.scratchedWaiting()).filter((x) => !x.dead).length;
  els.sync.dataset.scratched = String(scratched);
  let text = t("sync.waiting", { n: waiting });
  if (scratched) text += ` · ${t("sync.scratched", { n: scratched })}`;
  if (dead) text += ` · ${t("sync.dead", { n: dead })}`;
  if (authProblem) text += ` · ${t("sync.signin")}`;
  for (const x of held) text += ` · ${x.owner ? t("sync.held", { name: x.owner, n: x.n }) : t("sync.held.unknown", { n: x.n })}`;
  els.sync.textContent = text;
}

/** How a fetch turned out, in the outbox's terms: the data, or {retry, message}. */
async function answer(res) {
  let data = null;
  try {
    data = await res.json();
  } catch {
    // A cut-off body: the server may have stored the scans; the same key makes a retry safe.
    if (res.ok) throw { retry: true, message: "incomplete response" };
  }
  if (res.ok) {
    authProblem = false;
    return data;
  }
  const message = `${res.status}: ${data && data.detail ? JSON.stringify(data.detail) : res.statusText}`;
  // Keep the scans for a new token, a busy server, or a key still being processed elsewhere.
  if (res.status === 401) {
    authProblem = true;
    // The session expired or HQ revoked it: back to sign-in, which says so; the outbox stays.
    endSession(data && data.detail);
  }
  const retry = res.status === 401 || res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
  throw { retry, message };
}

async function send(key, body, path) {
  requireSameSession();
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${getToken()}`,
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": key,
      },
      body,
      cache: "no-store",
    });
  } catch (err) {
    throw { retry: true, message: err.message };
  }
  return answer(res);
}

async function sendPhoto(item) {
  requireSameSession();
  const form = new FormData();
  form.append("file", item.blob, item.name || "photo.jpg");
  for (const [k, v] of Object.entries(item.fields)) form.append(k, String(v));
  let res;
  try {
    res = await fetch("/api/v1/scans/photo", {
      method: "POST",
      headers: { Authorization: `Bearer ${getToken()}`, Accept: "application/json", "Idempotency-Key": item.key },
      body: form,
      cache: "no-store",
    });
  } catch (err) {
    throw { retry: true, message: err.message };
  }
  return answer(res);
}

let pendingChanges = [];

function onResults(localIds, results) {
  const byId = new Map(localIds.map((id, i) => [id, results[i] || { error: "no result" }]));
  for (const e of history) {
    if (byId.has(e.localId)) {
      const r = byId.get(e.localId);
      if (e.result && e.result.provisional && e.result.shown) pendingChanges.push({ entry: e, before: e.result, after: r });
      e.result = r;
      e.state = r.dead ? "dead" : "done";
    }
  }
  saveHistory();
  const last = results[results.length - 1];
  if (last) showVerdict(last, localIds.length > 1 ? t("sync.synced", { n: localIds.length }) : "");
}

function onPhotoResults(localId, results) {
  const entry = history.find((e) => e.localId === localId);
  if (!entry) return;
  const before = entry.result;
  entry.state = results.some((r) => r.dead) ? "dead" : "done";
  entry.result = photoSummary(results);
  entry.results = results;
  for (const r of results) {
    const earlier = (before && before.codes ? before.codes : []).find((c) => c.serial && c.serial === r.serial);
    if (earlier) pendingChanges.push({ entry, before: earlier, after: r });
    else if (before && before.provisional) pendingChanges.push({ entry, before, after: r });
  }
  saveHistory();
  showVerdict(entry.result, t("photo.summary", { n: results.length, tally: tally(results) }));
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    sync();
  }, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

let syncRun = null;

/** Send what waits now; resolves when this run (or the one already going) ends. */
function sync() {
  if (!syncRun) syncRun = runSync().finally(() => (syncRun = null));
  return syncRun;
}

async function runSync() {
  if (syncing) return;
  const { waiting } = await outbox.counts();
  if (!waiting) return;
  if (!navigator.onLine) return; // the `online` event brings us back
  syncing = true;
  let outcome;
  try {
    const run = async () => {
      const scans = await outbox.flush(send, onResults);
      if (!scans.done) return scans;
      return outbox.flushPhotos(sendPhoto, onPhotoResults);
    };
    outcome = navigator.locks ? await navigator.locks.request("cg-outbox", run) : await run();
  } catch (err) {
    outcome = { done: false, error: err };
  } finally {
    syncing = false;
  }
  await refreshCounts();
  if (pendingChanges.length) {
    showChanges(pendingChanges);
    pendingChanges = [];
  }
  if (outcome.done) retryMs = RETRY_MIN_MS;
  else {
    scheduleRetry();
    showWaitingVerdict();
  }
}

/** The network failed while the phone believed it was online: show the provisional verdict. */
function showWaitingVerdict() {
  const e = history[0];
  if (e && e.state === "waiting" && e.result && e.result.provisional) {
    e.result.shown = true;
    saveHistory();
    showVerdict(e.result);
  }
}

function priceText() {
  const price = els.price.value.trim();
  if (price && !/^\d+(\.\d{1,2})?$/.test(price)) {
    showFormError(t("err.price"));
    return false;
  }
  return price;
}

/**
 * When and where a scan or photo is taken, with the price typed for it: `{ fields, loc }`, or
 * null once the form says what is missing. The price belongs to that carton only: it is cleared
 * so that it never carries over to the next.
 */
function sighting() {
  const loc = where();
  if (!loc) {
    showFormError(t("err.where"));
    return null;
  }
  const price = priceText();
  if (price === false) return null;
  els.price.value = "";
  const fields = { scanned_at: isoWithOffset(), ...loc };
  if (price) fields.observed_price = price;
  return { fields, loc };
}

async function submitScan(payload) {
  showFormError("");
  // A printed waybill's QR is not a carton: it opens the truck check instead of a scan.
  if (isWaybillQr(payload)) {
    if (mode === "inspect") openWaybill(payload);
    else showFormError(t("insp.wb.not_here"));
    return;
  }
  if (mode !== "inspect") return submitHandoff(payload);
  const seen = sighting();
  if (!seen) return;
  const { loc } = seen;
  const scan = { payload, ...seen.fields, device_id: deviceId() };
  const localId = await outbox.enqueue(scan, "scans");
  const guess = provisional(payload, loc);
  // Only a provisional verdict the inspector saw needs a "what changed" line later.
  guess.shown = !navigator.onLine;
  addHistory({ localId, payload, at: scan.scanned_at, state: "waiting", kind: "scan", result: guess });
  if (navigator.onLine) showMessage(t("sync.sending"));
  else showVerdict(guess);
  await refreshCounts();
  await sync();
}

async function submitHandoff(payload) {
  const item = { payload, at: isoWithOffset() };
  if (mode === "ship") {
    const to = els.toParty.value.trim();
    if (!to) {
      showFormError(t("err.to"));
      return;
    }
    item.to_party_code = to;
  }
  const localId = await outbox.enqueue(item, MODES[mode]);
  addHistory({ localId, payload, at: item.at, state: "waiting", kind: mode, result: null });
  showMessage(navigator.onLine ? t("sync.sending") : t("sync.saved"), navigator.onLine ? "none" : "wait");
  await refreshCounts();
  await sync();
}

// ---- printed waybills (控制运货单) ------------------------------------------------------------

let waybillQr = null;

/** The signed link on a printed waybill: …/waybills/{number}/inspect?t=…, any host, a reader's
 * symbology prefix forgiven (the server parses it the same way and checks the signature). */
function isWaybillQr(payload) {
  const text = payload.trim().replace(/^\]Q\d/, "");
  return /\/waybills\/[^/?#\s]+\/inspect\?(?:[^#\s]*&)?t=[^&#\s]+/.test(text);
}

function waybillNumberOf(qr) {
  const m = qr.match(/\/waybills\/([^/?#\s]+)\/inspect\?/);
  try {
    return m ? decodeURIComponent(m[1]) : "";
  } catch {
    return m ? m[1] : "";
  }
}

function openWaybill(qr) {
  waybillQr = qr.trim();
  const card = $("waybill");
  card.hidden = false;
  $("wb-hint").textContent = t("insp.wb.hint", { number: waybillNumberOf(waybillQr) });
  $("wb-plate").value = "";
  $("wb-error").hidden = true;
  $("wb-result").hidden = true;
  showMessage(t("insp.wb.waiting"));
  card.scrollIntoView({ block: "start" });
  $("wb-plate").focus();
}

function closeWaybill() {
  waybillQr = null;
  $("waybill").hidden = true;
  els.payload.focus();
}

/** "12月2日 08:00 – 18:00": the window the truck may be on the road, in the reader's language. */
function windowText(from, until) {
  const opts = { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false };
  try {
    return new Intl.DateTimeFormat(lang(), opts).formatRange(new Date(from), new Date(until));
  } catch {
    return `${when(from)} – ${when(until)}`;
  }
}

function renderWaybill(r) {
  const ok = r.findings.length === 0;
  const reasons = r.findings.map((f) =>
    t(`insp.wb.finding.${f}`, { seen: r.seen_plate, plate: r.vehicle_plate, status: t(`insp.wb.status.${r.status}`) }),
  );
  const route = r.route.map((s) => s.name || regionName(s.code)).join(" → ");
  const checks = [
    t(r.plate_matches ? "insp.wb.check.plate.yes" : "insp.wb.check.plate.no"),
    t(r.on_route === null ? "insp.wb.check.route.unknown" : r.on_route ? "insp.wb.check.route.yes" : "insp.wb.check.route.no"),
    t(r.within_window ? "insp.wb.check.window.yes" : "insp.wb.check.window.no"),
  ];
  const banner = $("wb-banner");
  banner.dataset.ok = String(ok);
  banner.dataset.verdict = r.verdict;
  clear(
    banner,
    h("div", { class: "wb-banner-main" }, t(ok ? "insp.wb.ok" : "insp.wb.bad", { number: r.number })),
    ok ? h("div", {}, checks.join(" · ")) : h("ul", {}, reasons.map((x) => h("li", {}, x))),
  );
  const facts = [
    ["insp.wb.f.number", r.number],
    ["insp.wb.f.route", route],
    ["insp.wb.f.window", windowText(r.dispatched_at, r.expected_arrival)],
    ["insp.wb.f.cartons", t("insp.wb.cartons", { n: r.cartons })],
    ["insp.wb.f.plate", r.vehicle_registered ? r.vehicle_plate : t("insp.wb.unregistered", { plate: r.vehicle_plate })],
    ["insp.wb.f.driver", r.driver || "—"],
    ["insp.wb.f.destination", r.destination_distributor_name],
  ];
  clear($("wb-facts"), facts.flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]));
  $("wb-result").hidden = false;
  // The big banner at the top says it too, for an inspector who looks up from the truck.
  els.verdict.className = `verdict ${ok ? "tone-green" : "tone-red"}`;
  els.verdict.dataset.verdict = `waybill-${r.verdict}`;
  els.verdict.dataset.provisional = "false";
  clear(els.verdict, h("div", { class: "verdict-main" }, t(ok ? "insp.wb.verdict.ok" : "insp.wb.verdict.bad")), h("div", { class: "verdict-detail" }, ok ? route : reasons.join("；")));
}

async function checkWaybill(ev) {
  ev.preventDefault();
  const plate = $("wb-plate").value.trim();
  const error = $("wb-error");
  error.hidden = true;
  if (!waybillQr) return;
  if (!plate) {
    error.textContent = t("insp.wb.err.plate");
    error.hidden = false;
    return;
  }
  const body = { qr: waybillQr, vehicle_plate: plate };
  if (els.checkpoint.value) body.checkpoint_code = els.checkpoint.value;
  try {
    renderWaybill(await api("/waybill-inspections", { method: "POST", json: body }));
  } catch (err) {
    $("wb-result").hidden = true;
    error.textContent = err instanceof NetworkError ? t("insp.wb.err.offline") : errorText(err);
    error.hidden = false;
  }
}

// ---- photos ----------------------------------------------------------------------------------

function tally(results) {
  const count = {};
  for (const r of results) {
    const label = VERDICTS[r.verdict]?.label || r.verdict || t("state.failed");
    count[label] = (count[label] || 0) + 1;
  }
  return Object.entries(count)
    .map(([label, n]) => `${n}× ${label}`)
    .join(" · ");
}

function photoSummary(results) {
  if (!results.length) return { verdict: null, error: t("photo.none") };
  return [...results].sort((a, b) => SEVERITY.indexOf(a.verdict) - SEVERITY.indexOf(b.verdict))[0];
}

async function submitPhoto(file) {
  showFormError("");
  const seen = sighting();
  if (!seen) return;
  const { fields, loc } = seen;
  // Every photo waits in the outbox first: evidence taken without a network is kept and sent
  // once, with its own Idempotency-Key, when the network returns.
  const localId = await outbox.enqueuePhoto(file, file.name || "photo.jpg", fields);
  const entry = { localId, payload: file.name || "photo", photo: true, at: fields.scanned_at, state: "waiting", kind: "scan", result: null };
  addHistory(entry);
  els.photo.value = "";
  if (navigator.onLine) showMessage(t("photo.decoding"));
  else {
    // Offline: read the codes on the phone for a provisional verdict; the photo itself waits.
    const codes = await decodeFile(file).catch(() => []);
    const guesses = codes.map((c) => provisional(c, loc));
    entry.result = guesses.length
      ? { ...photoSummary(guesses), provisional: true, codes: guesses }
      : { provisional: true, verdict: null, note: t("photo.queued") };
    saveHistory();
    showVerdict(entry.result, t("photo.queued"));
  }
  await refreshCounts();
  await sync();
}

// ---- the camera ------------------------------------------------------------------------------

let zxing = null;
let stream = null;
let loopTimer = null;
let decoding = false;
let audio = null;
const lastSeen = new Map();
const READ_OPTIONS = { formats: ["QRCode", "DataMatrix", "Code128"], tryHarder: true, maxNumberOfSymbols: 4 };

async function reader() {
  if (!zxing) zxing = await import("/static/vendor/zxing-reader.js");
  return zxing;
}

/** What a reader would send: GS1 symbols keep their symbology identifier so the server reads AIs. */
function payloadOf(symbol) {
  const id = symbol.symbologyIdentifier || "";
  return ["]C1", "]d2", "]Q3", "]e0"].includes(id) ? id + symbol.text : symbol.text;
}

async function decodeFile(file) {
  const { readBarcodes } = await reader();
  const found = await readBarcodes(file, READ_OPTIONS);
  return found.filter((s) => s.isValid).map(payloadOf);
}

function beep() {
  try {
    if (navigator.vibrate) navigator.vibrate(80);
    if (!audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 1760;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.09);
  } catch {
    // sound is a courtesy
  }
}

const canvas = document.createElement("canvas");
const ctx2d = canvas.getContext("2d", { willReadFrequently: true });

async function decodeFrame() {
  const video = els.camera;
  if (decoding || !stream || video.readyState < 2 || !video.videoWidth) return;
  decoding = true;
  try {
    // Full HD at most: enough for a GS1-128 of a whole carton code (~700 modules) across the view.
    const scale = Math.min(1, 1920 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    ctx2d.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { readBarcodes } = await reader();
    const started = performance.now();
    const found = await readBarcodes(ctx2d.getImageData(0, 0, canvas.width, canvas.height), READ_OPTIONS);
    // How long a frame takes to read, for anyone tuning the loop on a real phone.
    document.body.dataset.decodeMs = String(Math.round(performance.now() - started));
    document.body.dataset.frame = `${canvas.width}x${canvas.height}`;
    const now = Date.now();
    for (const symbol of found) {
      if (!symbol.isValid || !symbol.text) continue;
      const payload = payloadOf(symbol);
      // One carton, one scan: its QR and its DataMatrix name the same serial.
      const key = parseCarton(payload)?.serial || payload;
      const seen = lastSeen.get(key);
      lastSeen.set(key, now);
      if (seen && now - seen < DEDUP_MS) continue;
      beep();
      els.cameraStatus.textContent = t("camera.read", { format: symbol.format });
      await submitScan(payload);
    }
    for (const [k, at] of lastSeen) if (now - at > DEDUP_MS * 4) lastSeen.delete(k);
  } catch (err) {
    els.cameraStatus.textContent = t("camera.error", { message: err.message || String(err) });
  } finally {
    decoding = false;
  }
}

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showFormError(t("camera.none"));
    return;
  }
  els.cameraStatus.hidden = false;
  els.cameraStatus.textContent = t("camera.starting");
  try {
    if (!audio && window.AudioContext) audio = new AudioContext(); // created in the tap: allowed to sound
    await reader();
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
      audio: false,
    });
  } catch (err) {
    els.cameraStatus.textContent = t("camera.error", { message: err.message || String(err) });
    stream = null;
    return;
  }
  els.camera.srcObject = stream;
  await els.camera.play().catch(() => {});
  els.cameraBox.hidden = false;
  els.cameraToggle.setAttribute("aria-pressed", "true");
  els.cameraToggle.textContent = t("camera.stop");
  els.cameraStatus.textContent = t("camera.on");
  document.body.dataset.camera = "on";
  loopTimer = setInterval(decodeFrame, DECODE_EVERY_MS);
}

function stopCamera() {
  clearInterval(loopTimer);
  loopTimer = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  els.camera.srcObject = null;
  els.cameraBox.hidden = true;
  els.cameraToggle.setAttribute("aria-pressed", "false");
  els.cameraToggle.textContent = t("camera.start");
  els.cameraStatus.hidden = true;
  document.body.dataset.camera = "off";
}

// ---- modes -----------------------------------------------------------------------------------

function allowedModes(role) {
  if (role === "inspector") return ["inspect"];
  if (role === "distributor" || role === "sub_customer") return ["ship", "receive"];
  return ["inspect", "ship", "receive"];
}

function setMode(next) {
  const allowed = allowedModes(me.role);
  mode = allowed.includes(next) ? next : allowed[0];
  localStorage.setItem(MODE_KEY, mode);
  document.body.dataset.mode = mode;
  for (const b of els.modes.querySelectorAll("button[data-mode]")) {
    b.hidden = !allowed.includes(b.dataset.mode);
    b.setAttribute("aria-selected", String(b.dataset.mode === mode));
  }
  els.modes.hidden = allowed.length < 2;
  els.where.hidden = mode !== "inspect";
  els.priceRow.hidden = mode !== "inspect";
  els.photo.disabled = mode !== "inspect";
  document.querySelector("label[for=photo]").hidden = mode !== "inspect";
  els.handoff.hidden = mode === "inspect";
  els.toPartyRow.hidden = mode !== "ship";
  const party = me.distributor_code || me.sub_customer_code || "";
  clear(
    $("party-list"),
    receivers()
      .filter((p) => p.code !== party)
      .map((p) => h("option", { value: p.code, label: p.name }, p.name)),
  );
  els.handoffHint.textContent = t(`handoff.hint.${mode}`, { party: partyName(party) });
}

// ---- wiring ----------------------------------------------------------------------------------

function showNet() {
  const online = navigator.onLine;
  els.net.dataset.online = String(online);
  els.net.textContent = online ? t("net.online") : t("net.offline");
}

async function main() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  me = await requireSession(["inspector", "admin", "distributor", "sub_customer"], { offlineOk: true });
  if (!me) return;
  // Only this user's queued work is listed and sent from here on.
  outbox.setOwner(me.username);
  loadHistory(me.username);
  showNet();
  renderHistory();
  await loadNames({ parties: me.role !== "inspector" }).catch(() => {});
  await loadCheckpoints();
  const wanted = new URLSearchParams(location.search).get("mode") || localStorage.getItem(MODE_KEY) || "inspect";
  setMode(wanted);
  for (const b of els.modes.querySelectorAll("button[data-mode]")) b.addEventListener("click", () => setMode(b.dataset.mode));
  els.checkpoint.addEventListener("change", () => {
    localStorage.setItem(CHECKPOINT_KEY, els.checkpoint.value);
    cacheWaybills();
  });
  els.gps.addEventListener("click", toggleGps);
  els.cameraToggle.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
  $("changes-close").addEventListener("click", () => {
    els.changes.hidden = true;
    clear(els.changesList);
  });
  els.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const payload = els.payload.value.replace(/[\r\n]+$/, "");
    els.payload.value = "";
    els.payload.focus();
    if (payload.trim()) submitScan(payload);
  });
  $("wb-form").addEventListener("submit", checkWaybill);
  $("wb-close").addEventListener("click", closeWaybill);
  els.photo.addEventListener("change", () => {
    if (els.photo.files && els.photo.files[0]) submitPhoto(els.photo.files[0]);
  });
  window.addEventListener("online", () => {
    showNet();
    retryMs = RETRY_MIN_MS;
    sync();
  });
  window.addEventListener("offline", showNet);
  window.addEventListener("cg-scratched-changed", () => refreshCounts());
  // The retry timer for networks that fail while the device still believes it is online.
  setInterval(sync, 15000);
  await refreshCounts();
  // Offline the inbox waits: the scan page must start without it.
  mountInbox().catch(() => {});
  let scratchedForm = null;
  if (me.role === "inspector" || me.role === "admin") {
    mountScratchedForm({ where })
      .then((form) => (scratchedForm = form))
      .catch(() => {});
  }
  // "退出" with work waiting offers to send it first: scans, photos, then scratched cartons.
  onSendBeforeSignOut(async () => {
    await sync();
    if (scratchedForm) await scratchedForm.flush();
  });
  document.body.dataset.ready = "true";
  cacheWaybills();
  sync();
}

main().catch((err) => showFormError(err instanceof ApiError || err instanceof NetworkError ? errorText(err) : String(err)));
