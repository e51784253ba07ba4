// The inspector's phone page: pick a checkpoint or use GPS, scan (keyboard-wedge reader or
// camera photo), see the verdict at once. Scans go through the IndexedDB outbox so that none is
// lost or stored twice when the network comes and goes.
import {
  ApiError,
  FINDINGS,
  NetworkError,
  VERDICTS,
  api,
  clear,
  errorText,
  fetchAll,
  getToken,
  h,
  isoWithOffset,
  requireSession,
  uid,
  verdictBadge,
  when,
} from "./core.js";
import * as outbox from "./queue.js";

const $ = (id) => document.getElementById(id);
const els = {
  net: $("net"),
  sync: $("sync"),
  checkpoint: $("checkpoint"),
  gps: $("gps"),
  gpsStatus: $("gps-status"),
  form: $("scan-form"),
  price: $("price"),
  payload: $("payload"),
  photo: $("photo"),
  formError: $("form-error"),
  verdict: $("verdict"),
  history: $("history"),
  historyEmpty: $("history-empty"),
};

const CHECKPOINTS_KEY = "cg.checkpoints";
const CHECKPOINT_KEY = "cg.checkpoint";
const HISTORY_KEY = "cg.history";
const DEVICE_KEY = "cg.device";
const HISTORY_MAX = 50;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60000;
// Worst first: the verdict a photo of several cartons is summarised by.
const SEVERITY = ["forged", "cloned", "diversion", "voided", "unknown", "unreadable", "in_transit", "in_region"];

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${uid().slice(0, 13)}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

// ---- where the inspector is ------------------------------------------------------------------

let gpsFix = null;
let gpsWatch = null;

async function loadCheckpoints() {
  let items;
  try {
    items = await fetchAll("/checkpoints");
    localStorage.setItem(CHECKPOINTS_KEY, JSON.stringify(items));
  } catch (err) {
    if (!(err instanceof NetworkError)) showFormError(errorText(err));
    items = JSON.parse(localStorage.getItem(CHECKPOINTS_KEY) || "[]");
  }
  const saved = localStorage.getItem(CHECKPOINT_KEY) || "";
  clear(
    els.checkpoint,
    h("option", { value: "" }, "— 不选监督站，按GPS定位 None: use GPS —"),
    items.map((c) => h("option", { value: c.code, selected: c.code === saved }, `${c.name} (${c.code})`)),
  );
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
    showFormError("此设备不支持定位 This device has no GPS");
    return;
  }
  els.gps.setAttribute("aria-pressed", "true");
  els.gpsStatus.hidden = false;
  els.gpsStatus.textContent = "定位中… Locating…";
  gpsWatch = navigator.geolocation.watchPosition(
    (pos) => {
      gpsFix = { lat: pos.coords.latitude, lon: pos.coords.longitude };
      els.gpsStatus.textContent = `GPS ${gpsFix.lat.toFixed(5)}, ${gpsFix.lon.toFixed(5)} (±${Math.round(pos.coords.accuracy)} m)`;
    },
    (err) => {
      els.gpsStatus.textContent = `定位失败 GPS failed: ${err.message}`;
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

// ---- history and verdict display -------------------------------------------------------------

let history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");

function saveHistory() {
  history = history.slice(0, HISTORY_MAX);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
  renderHistory();
}

function addHistory(entry) {
  history.unshift(entry);
  saveHistory();
}

function resultLines(r) {
  const lines = [];
  if (r.serial) lines.push(`序列号 Serial: ${r.serial}`);
  if (r.region_code) lines.push(`扫码区域 Scan region: ${r.region_code}`);
  for (const f of r.findings || []) lines.push(`⚠ ${FINDINGS[f] || f}`);
  if (r.cartons) lines.push(`托盘 ${r.cartons} 箱 Pallet of ${r.cartons} cartons`);
  if (r.violation_id) lines.push(`违规单 Violation #${r.violation_id}`);
  if (r.detail) lines.push(r.detail);
  if (r.error) lines.push(`错误 Error: ${typeof r.error === "string" ? r.error : JSON.stringify(r.error)}`);
  return lines;
}

function renderHistory() {
  els.historyEmpty.hidden = history.length > 0;
  clear(
    els.history,
    history.map((e) => {
      let badge;
      if (e.state === "waiting") badge = h("span", { class: "badge tone-wait" }, "待同步 Waiting");
      else if (e.state === "dead" || (e.result && e.result.error && !e.result.verdict))
        badge = h("span", { class: "badge tone-grey" }, "失败 Failed");
      else badge = verdictBadge(e.result.verdict);
      return h(
        "li",
        { "data-local-id": e.localId, "data-state": e.state },
        badge,
        h("span", { class: "mono payload" }, e.payload),
        h("span", { class: "hint" }, when(e.at)),
        e.result ? h("span", { class: "hint" }, resultLines(e.result).join(" · ")) : null,
      );
    }),
  );
}

function showVerdict(result, note) {
  const tone = result.verdict ? VERDICTS[result.verdict]?.tone || "grey" : "grey";
  const v = VERDICTS[result.verdict];
  els.verdict.className = `verdict tone-${tone}`;
  els.verdict.dataset.verdict = result.verdict || "error";
  const findings = result.findings || [];
  els.verdict.dataset.findings = findings.join(" ");
  clear(
    els.verdict,
    h("div", { class: "verdict-main" }, v ? `${v.zh} ${v.en}` : "错误 Error"),
    findings.length
      ? h("div", { class: "verdict-findings" }, findings.map((f) => h("span", { class: "finding", "data-finding": f }, `⚠ ${FINDINGS[f] || f}`)))
      : null,
    h("div", { class: "verdict-detail" }, resultLines(result).filter((l) => !l.startsWith("⚠")).map((l) => h("div", {}, l)), note ? h("div", {}, note) : null),
  );
}

function showMessage(text, tone = "none") {
  els.verdict.className = `verdict tone-${tone}`;
  els.verdict.dataset.verdict = "";
  clear(els.verdict, h("div", { class: "verdict-main small" }, text));
}

function showFormError(text) {
  els.formError.textContent = text;
  els.formError.hidden = !text;
}

// ---- sending ---------------------------------------------------------------------------------

let syncing = false;
let retryMs = RETRY_MIN_MS;
let retryTimer = null;
let authProblem = false;

async function refreshCounts() {
  const { waiting, dead } = await outbox.counts();
  els.sync.dataset.waiting = String(waiting);
  els.sync.dataset.dead = String(dead);
  let text = `${waiting} 条待同步 ${waiting} waiting to sync`;
  if (dead) text += ` · ${dead} 条被拒 ${dead} refused`;
  if (authProblem) text += " · 请重新登录 Sign in again";
  els.sync.textContent = text;
}

async function send(key, body) {
  let res;
  try {
    res = await fetch("/api/v1/scans", {
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
  if (res.status === 401) authProblem = true;
  const retry = res.status === 401 || res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
  throw { retry, message };
}

function onResults(localIds, results) {
  const byId = new Map(localIds.map((id, i) => [id, results[i] || { error: "no result" }]));
  for (const e of history) {
    if (byId.has(e.localId)) {
      const r = byId.get(e.localId);
      e.result = r;
      e.state = r.dead ? "dead" : "done";
    }
  }
  saveHistory();
  const last = results[results.length - 1];
  if (last) showVerdict(last, localIds.length > 1 ? `已同步 ${localIds.length} 条 Synced ${localIds.length} scans` : "");
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    sync();
  }, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

async function sync() {
  if (syncing) return;
  const { waiting } = await outbox.counts();
  if (!waiting) return;
  if (!navigator.onLine) return; // the `online` event brings us back
  syncing = true;
  let outcome;
  try {
    const run = () => outbox.flush(send, onResults);
    outcome = navigator.locks ? await navigator.locks.request("cg-outbox", run) : await run();
  } catch (err) {
    outcome = { done: false, error: err };
  } finally {
    syncing = false;
  }
  await refreshCounts();
  if (outcome.done) retryMs = RETRY_MIN_MS;
  else scheduleRetry();
}

async function submitScan(payload) {
  showFormError("");
  const loc = where();
  if (!loc) {
    showFormError("请选择监督站或打开GPS Choose a checkpoint or turn on GPS");
    return;
  }
  const price = els.price.value.trim();
  if (price && !/^\d+(\.\d{1,2})?$/.test(price)) {
    showFormError("价格格式应为 3.50 Price must look like 3.50");
    return;
  }
  const scan = { payload, scanned_at: isoWithOffset(), device_id: deviceId(), ...loc };
  if (price) scan.observed_price = price;
  const localId = await outbox.enqueue(scan);
  addHistory({ localId, payload, at: scan.scanned_at, state: "waiting", result: null });
  showMessage(
    navigator.onLine ? "发送中… Sending…" : "已保存，联网后自动同步 Saved offline, will sync when back online",
    navigator.onLine ? "none" : "wait",
  );
  await refreshCounts();
  await sync();
}

// ---- photo -----------------------------------------------------------------------------------

async function submitPhoto(file) {
  showFormError("");
  const loc = where();
  if (!loc) {
    showFormError("请选择监督站或打开GPS Choose a checkpoint or turn on GPS");
    return;
  }
  const form = new FormData();
  form.append("file", file);
  form.append("scanned_at", isoWithOffset());
  for (const [k, v] of Object.entries(loc)) form.append(k, String(v));
  const price = els.price.value.trim();
  if (price) form.append("observed_price", price);
  showMessage("识别中… Decoding the photo…");
  try {
    const { results } = await api("/scans/photo", { method: "POST", form });
    const at = isoWithOffset();
    for (const r of results) addHistory({ localId: uid(), payload: r.payload, at, state: "done", result: r });
    if (!results.length) {
      showMessage("照片中没有找到条码 No barcode found in the photo", "grey");
      return;
    }
    const worst = [...results].sort((a, b) => SEVERITY.indexOf(a.verdict) - SEVERITY.indexOf(b.verdict))[0];
    const tally = {};
    for (const r of results) tally[r.verdict] = (tally[r.verdict] || 0) + 1;
    const summary = Object.entries(tally).map(([v, n]) => `${n}× ${VERDICTS[v]?.zh || v}`).join(" · ");
    showVerdict(worst, `照片中 ${results.length} 个条码 ${results.length} codes in the photo: ${summary}`);
  } catch (err) {
    if (err instanceof NetworkError) showMessage("离线时无法识别照片，请联网后重拍或用扫码枪 Photos need the network: retry online or use the reader", "wait");
    else showMessage(`照片上传失败 Photo upload failed: ${errorText(err)}`, "grey");
  } finally {
    els.photo.value = "";
  }
}

// ---- wiring ----------------------------------------------------------------------------------

function showNet() {
  const online = navigator.onLine;
  els.net.dataset.online = String(online);
  els.net.textContent = online ? "在线 Online" : "离线 Offline";
}

async function main() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  const me = await requireSession(["inspector", "admin"], { offlineOk: true });
  if (!me) return;
  showNet();
  renderHistory();
  await loadCheckpoints();
  els.checkpoint.addEventListener("change", () => localStorage.setItem(CHECKPOINT_KEY, els.checkpoint.value));
  els.gps.addEventListener("click", toggleGps);
  els.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const payload = els.payload.value.replace(/[\r\n]+$/, "");
    els.payload.value = "";
    els.payload.focus();
    if (payload.trim()) submitScan(payload);
  });
  els.photo.addEventListener("change", () => {
    if (els.photo.files && els.photo.files[0]) submitPhoto(els.photo.files[0]);
  });
  window.addEventListener("online", () => {
    showNet();
    retryMs = RETRY_MIN_MS;
    sync();
  });
  window.addEventListener("offline", showNet);
  // The retry timer for networks that fail while the device still believes it is online.
  setInterval(sync, 15000);
  await refreshCounts();
  document.body.dataset.ready = "true";
  sync();
}

main().catch((err) => showFormError(err instanceof ApiError || err instanceof NetworkError ? errorText(err) : String(err)));
