// Shared by every page: the token, API calls, safe DOM building, labels and formatting.
// API data is only ever put into the page as text (never innerHTML): a token sits in localStorage.
import { fmt, t, translatePage } from "./i18n.js";
import { uid } from "./ids.js";
import { pendingFor } from "./queue.js";

export { fmt, t, uid };

// Every page imports this module: its fixed texts are in the catalog, filled in here.
translatePage();

const TOKEN_KEY = "cg.token";
const ME_KEY = "cg.me";

export const getToken = () => localStorage.getItem(TOKEN_KEY);

// The token this page was opened with. Another tab may sign out, or sign someone else in, while
// this page is open: its queued work must then not go out with the new user's token.
const PAGE_TOKEN = getToken();

/** Whether the phone is still signed in as it was when this page opened. */
export function sameSession() {
  return PAGE_TOKEN !== null && getToken() === PAGE_TOKEN;
}

/**
 * Before queued work goes out: if another tab signed out or signed someone else in, nothing of
 * this page's user may go out with that token. The page reloads as whoever is signed in now;
 * throws in the outbox's terms ({retry, message}) so the item stays queued for its owner.
 */
export function requireSameSession() {
  if (sameSession()) return;
  setTimeout(() => location.reload(), 0);
  throw { retry: true, message: "signed in as someone else" };
}

export function setSession(token, me) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(ME_KEY, JSON.stringify(me));
}

// Why the last session ended, for the sign-in page to say: {reason}. Kept in
// sessionStorage: it only has to survive the one navigation to "/".
const ENDED_KEY = "cg.ended";
// Tokens signed out while the server could not be told; sent again when the network returns.
// A session dies on its own at its expiry anyway, so the worst case is a session that lives until
// then, as it did before sign-out reached the server.
const PENDING_SIGN_OUTS_KEY = "cg.signout.pending";
const SIGN_OUT_TIMEOUT_MS = 4000;

function forgetLocally() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ME_KEY);
}

function pendingSignOuts() {
  try {
    const list = JSON.parse(localStorage.getItem(PENDING_SIGN_OUTS_KEY) || "[]");
    return Array.isArray(list) ? list.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

function setPendingSignOuts(list) {
  if (list.length) localStorage.setItem(PENDING_SIGN_OUTS_KEY, JSON.stringify(list));
  else localStorage.removeItem(PENDING_SIGN_OUTS_KEY);
}

/** Tell the server a token is signed out. True once it has answered for good: ended (200),
 * already ended (401) or an API token it will not end (409); false to try again later. */
async function sendSignOut(token) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), SIGN_OUT_TIMEOUT_MS);
  try {
    const res = await fetch("/api/v1/sign-in/sign-out", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store",
      signal: abort.signal,
    });
    return res.ok || res.status === 401 || res.status === 409;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

let retrying = null;

/** Send the sign-outs that could not reach the server before; resolves to true when none is
 * left waiting. One run at a time: the page's own call and the `online` event share it. */
export function retrySignOuts() {
  if (!retrying) {
    retrying = (async () => {
      if (navigator.onLine) {
        for (const token of pendingSignOuts()) {
          if (await sendSignOut(token)) setPendingSignOuts(pendingSignOuts().filter((x) => x !== token));
        }
      }
      return pendingSignOuts().length === 0;
    })().finally(() => {
      retrying = null;
    });
  }
  return retrying;
}

// The page's way to send its queued work now (the inspector page's sync); null elsewhere.
let sendQueuedNow = null;

/** The inspector page offers its sync to the sign-out warning ("先发送"). */
export function onSendBeforeSignOut(fn) {
  sendQueuedNow = fn;
}

/**
 * Work of the signed-in user still waiting on this phone: ask before signing out. Resolves to
 * true to sign out (nothing waiting, sent now, or kept for this user's next sign-in on this
 * phone: never sent under anyone else's name), false to stay.
 */
async function confirmSignOut() {
  const me = cachedMe();
  let n = 0;
  try {
    n = me ? await pendingFor(me.username) : 0;
  } catch {
    n = 0; // no IndexedDB on this browser: nothing can be waiting
  }
  if (!n) return true;
  return new Promise((resolve) => {
    const status = h("p", { class: "hint", id: "signout-status", role: "status" });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const send = h("button", { type: "button", id: "signout-send" }, sendQueuedNow ? t("signout.send") : t("signout.go_send"));
    const dialog = h(
      "dialog",
      { id: "signout-dialog", class: "signout-dialog", "data-pending": n, "aria-labelledby": "signout-h" },
      h("h2", { id: "signout-h" }, t("signout.pending.h", { n })),
      h("p", {}, t("signout.pending.body", { name: me.display_name || me.username })),
      status,
      h(
        "div",
        { class: "actions" },
        send,
        h("button", { type: "button", class: "secondary", id: "signout-keep", onclick: () => done(true) }, t("signout.keep")),
        h("button", { type: "button", class: "link", id: "signout-cancel", onclick: () => done(false) }, t("signout.cancel")),
      ),
    );
    send.addEventListener("click", async () => {
      if (!sendQueuedNow) {
        // Only the scan page sends the outbox: go there; the user signs out once it is empty.
        done(false);
        location.assign("/inspector");
        return;
      }
      send.disabled = true;
      status.textContent = t("signout.sending");
      try {
        await sendQueuedNow();
      } catch {
        // what is left is counted below
      }
      const left = await pendingFor(me.username).catch(() => n);
      dialog.dataset.pending = String(left);
      send.disabled = false;
      if (!left) {
        done(true);
        return;
      }
      dialog.querySelector("h2").textContent = t("signout.pending.h", { n: left });
      status.textContent = navigator.onLine ? t("signout.not_all") : t("signout.offline");
    });
    dialog.addEventListener("cancel", (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * "退出": the phone forgets its session at once and leaves for the sign-in page, which asks the
 * server to end the session (the token waits in localStorage until the server has answered) and
 * says whether it did. Offline, any page of this site sends it when the network returns. Work
 * still queued is asked about first (`confirmSignOut`) and stays its owner's.
 */
export async function signOut() {
  if (!(await confirmSignOut())) return;
  const token = getToken();
  forgetLocally();
  if (token) setPendingSignOuts([...pendingSignOuts().filter((x) => x !== token), token]);
  sessionStorage.setItem(ENDED_KEY, JSON.stringify({ reason: "signed_out" }));
  location.assign("/");
}

/** Why the server refused a token (a 401's detail), in the sign-in page's terms. */
export function endedReason(detail) {
  const d = typeof detail === "string" ? detail : "";
  if (d.startsWith("session expired")) return "expired";
  if (d.startsWith("session revoked") || d.startsWith("token revoked")) return "revoked";
  return "invalid";
}

/** The server no longer accepts this phone's token: back to sign-in, which says why. */
export function endSession(detail) {
  forgetLocally();
  sessionStorage.setItem(ENDED_KEY, JSON.stringify({ reason: endedReason(detail) }));
  location.replace("/");
}

/** Why the last session ended ({reason}), once; null if it was not ended. */
export function takeEnded() {
  const raw = sessionStorage.getItem(ENDED_KEY);
  sessionStorage.removeItem(ENDED_KEY);
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

retrySignOuts();
window.addEventListener("online", () => retrySignOuts().then((done) => done && window.dispatchEvent(new Event("cg-signed-out"))));

export function cachedMe() {
  try {
    return JSON.parse(localStorage.getItem(ME_KEY) || "null");
  } catch {
    return null;
  }
}

/** The server answered with an error status. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

/** The request never got an answer (offline, connection reset, DNS): safe to retry. */
export class NetworkError extends Error {}

/** Call the API with the stored token. Throws ApiError or NetworkError. */
export async function api(path, { method = "GET", json, form, headers = {}, token } = {}) {
  const h = { Accept: "application/json", ...headers };
  const bearer = token ?? getToken();
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers: h, body, cache: "no-store" });
  } catch (err) {
    throw new NetworkError(err.message || "network error");
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const detail = data && data.detail !== undefined ? data.detail : data;
    // The phone's own session has ended (expired, revoked by HQ): nothing on this page can work.
    if (res.status === 401 && token === undefined && bearer) endSession(detail);
    throw new ApiError(res.status, detail);
  }
  return data;
}

/** A readable message for any error thrown by `api`. */
export function errorText(err) {
  if (err instanceof NetworkError) return t("err.network");
  if (err instanceof ApiError) {
    const d = err.detail;
    if (Array.isArray(d)) return `${err.status}: ${d.map((e) => e.msg || JSON.stringify(e)).join("; ")}`;
    return `${err.status}: ${typeof d === "string" ? d : JSON.stringify(d)}`;
  }
  return String(err && err.message ? err.message : err);
}

/**
 * Check the stored token and the caller's role, or send them to sign in.
 * `offlineOk` lets a page run on the last known identity when the network is down.
 */
export async function requireSession(roles, { offlineOk = false } = {}) {
  const out = document.getElementById("sign-out");
  if (out) out.addEventListener("click", signOut);
  if (!getToken()) {
    location.replace("/");
    return null;
  }
  let me;
  try {
    me = await api("/me");
    localStorage.setItem(ME_KEY, JSON.stringify(me));
  } catch (err) {
    if (err instanceof NetworkError && offlineOk && cachedMe()) {
      me = cachedMe();
    } else if (err instanceof ApiError && err.status === 401) {
      return null; // api() is already taking the page back to sign-in
    } else {
      throw err;
    }
  }
  if (!roles.includes(me.role)) {
    location.replace(homeFor(me.role));
    return null;
  }
  const who = document.getElementById("who");
  // People read their own name; the login rides along on hover.
  if (who) {
    who.textContent = `${me.display_name || me.username} · ${roleLabel(me.role)}`;
    who.title = me.username;
  }
  return me;
}

export function homeFor(role) {
  return (
    { inspector: "/inspector", distributor: "/distributor", salesperson: "/distributor", sub_customer: "/inspector" }[role] ||
    "/hq"
  );
}

/** Build an element: h("td", {class: "x", onclick: fn}, "text", child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "path", "line", "rect", "text", "title", "circle", "polygon", "defs", "marker"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat(Infinity)) if (c) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const roleLabel = (role) => t(`role.${role}`);

const TONES = {
  in_region: "green",
  in_transit: "blue",
  diversion: "red",
  cloned: "purple",
  forged: "purple",
  unknown: "grey",
  unreadable: "grey",
  voided: "grey",
};

/** A verdict's label and colour; labels come from the catalog in the page's language. */
export const VERDICTS = new Proxy(
  {},
  {
    get: (_o, v) => (typeof v === "string" && v in TONES ? { label: t(`verdict.${v}`), tone: TONES[v] } : undefined),
  },
);

export const findingLabel = (f) => t(`finding.${f}`);
export const statusLabel = (s) => t(`status.${s}`);

export function verdictBadge(verdict) {
  const v = VERDICTS[verdict] || { label: verdict, tone: "grey" };
  return h("span", { class: `badge tone-${v.tone}`, "data-verdict": verdict }, v.label);
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}`, "data-status": status }, statusLabel(status));
}

/** A decimal money string ("1234.5") as integer fen (BigInt), or null if it is not one. */
export function toFen(value) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(value ?? "").trim());
  if (!m) return null;
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] || "").padEnd(2, "0"));
  return m[1] ? -fen : fen;
}

/** Integer fen as "¥1,234.50": exact, no floating point. */
export function fenText(fen) {
  const neg = fen < 0n;
  const abs = neg ? -fen : fen;
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}¥${yuan}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** Money for people in the page's language ("¥1,234.50"), exact for any decimal string. */
export function money(value) {
  const fen = toFen(value);
  if (fen === null) return String(value ?? "—");
  const text = fmt.money(String(value).trim());
  return text && !text.includes("NaN") ? text : fenText(fen);
}

export const when = (iso) => fmt.when(iso);

/** Now (or `d`) as ISO 8601 with the device's UTC offset, as the API wants. */
export function isoWithOffset(d = new Date()) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`
  );
}

export function currentPeriod(d = new Date()) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

/** Fetch every page of a list endpoint (up to `cap` items). */
export async function fetchAll(path, { pageSize = 500, cap = 5000 } = {}) {
  const items = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let offset = 0; offset < cap; offset += pageSize) {
    const page = await api(`${path}${sep}limit=${pageSize}&offset=${offset}`);
    const got = page.items || [];
    items.push(...got);
    const total = typeof page.total === "number" ? page.total : null;
    if (got.length < pageSize || (total !== null && items.length >= total)) break;
  }
  return items;
}

/**
 * Draws the items `path` answers into `el` as a list of class `cls`, `item(x)` for each; the
 * error, or the text `emptyKey` names, stands in its place when there is nothing to list.
 */
export async function showItems(el, path, { cls, emptyKey, item }) {
  let items;
  try {
    items = (await api(path)).items;
  } catch (err) {
    clear(el, h("p", { class: "error" }, errorText(err)));
    return;
  }
  if (!items.length) {
    clear(el, h("p", { class: "empty" }, t(emptyKey)));
    return;
  }
  clear(el, h("ul", { class: cls }, items.map(item)));
}

/**
 * A search box: `search(text)` runs once typing pauses (`wait` ms, a quarter second unless told).
 * Returns what cancels a search still waiting.
 */
export function onSearch(input, search, { wait = 250 } = {}) {
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value.trim()), wait);
  });
  return () => clearTimeout(timer);
}

/**
 * A paged list: `load(limit, offset)` returns the API page; `render(items)` draws it.
 * Works whether or not the endpoint reports a `total`. Once a page is drawn, the container's
 * `data-view` says which (`view()` and the offset), so that tests and styles can tell.
 */
export function pager(container, { load, render, pageSize = 20, empty, view = () => "" }) {
  let offset = 0;
  let seq = 0;
  const body = h("div", { class: "pager-body" });
  const info = h("span", { class: "pager-info" });
  const prev = h("button", { type: "button", class: "secondary", "data-action": "prev" }, t("pager.prev"));
  const next = h("button", { type: "button", class: "secondary", "data-action": "next" }, t("pager.next"));
  const nav = h("div", { class: "pager-nav" }, prev, info, next);
  clear(container, body, nav);

  async function show() {
    const mine = ++seq;
    info.textContent = "…";
    let page;
    try {
      page = await load(pageSize, offset);
    } catch (err) {
      if (mine !== seq) return;
      clear(body, h("p", { class: "error" }, errorText(err)));
      nav.hidden = true;
      return;
    }
    if (mine !== seq) return; // a later click has asked for another page
    const items = page.items || [];
    const total = typeof page.total === "number" ? page.total : null;
    if (items.length === 0 && offset === 0) clear(body, empty());
    else clear(body, render(items));
    const last = offset + items.length;
    info.textContent = items.length ? `${offset + 1}–${last}${total !== null ? ` / ${total}` : ""}` : "";
    prev.disabled = offset === 0;
    next.disabled = total !== null ? last >= total : items.length < pageSize;
    nav.hidden = offset === 0 && next.disabled;
    container.dataset.view = `${view()}@${offset}`;
  }
  prev.addEventListener("click", () => {
    offset = Math.max(0, offset - pageSize);
    show();
  });
  next.addEventListener("click", () => {
    offset += pageSize;
    show();
  });
  show();
  return {
    reload: (reset = false) => {
      if (reset) offset = 0;
      return show();
    },
  };
}

/** A table; on a phone CSS turns each row into a card, every cell labelled by its header. */
export function table(headers, rows) {
  const el = h(
    "table",
    { class: "cards" },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows),
  );
  const labels = [...el.tHead.rows[0].cells].map((c) => c.textContent.trim());
  for (const row of el.tBodies[0].rows) [...row.cells].forEach((c, i) => labels[i] && c.setAttribute("data-label", labels[i]));
  return el;
}
