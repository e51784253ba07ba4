// Cartons found with their codes scratched off (刮码): the inspector records photos, product,
// count, price and a note as evidence for HQ; a bottle's item code, when one is left, names the
// carton and its region after all and gets the normal verdict. Offline, records wait in the
// phone's outbox (queue.js) and are sent once the network returns. HQ lists the records.
import { api, ApiError, clear, endSession, errorText, fetchAll, getToken, h, isoWithOffset, money, requireSameSession, showItems, t, uid, verdictBadge, when } from "./core.js";
import * as outbox from "./queue.js";
import { regionName } from "./names.js";
import { explain } from "./reasons.js";

const $ = (id) => document.getElementById(id);

function summary(rec) {
  const place = rec.checkpoint_name || rec.checkpoint_code || rec.region_name || regionName(rec.region_code);
  const parts = [
    t("scr.summary", { n: rec.carton_count, product: rec.product_name || t("scr.product.unknown"), place }),
  ];
  if (rec.observed_price) parts.push(t("scr.price.seen", { price: money(rec.observed_price) }));
  return parts.join(" · ");
}

function cartonLine(rec) {
  if (!rec.carton_serial) return null;
  const region = rec.carton_region_name || regionName(rec.carton_region_code);
  return h(
    "p",
    { class: "scr-carton", "data-carton": rec.carton_serial },
    verdictBadge(rec.verdict),
    " ",
    t("scr.carton", { serial: rec.carton_serial, region }),
  );
}

const RETRY_MS = 15000;

/** The checkpoint's name as the inspector's page lists it (a name, not a code). */
function checkpointName(code) {
  const option = [...(document.getElementById("checkpoint")?.options || [])].find((o) => o.value === code);
  return option ? option.textContent : code;
}

/** How a POST turned out, in the outbox's terms: the record, or throws {retry, message}. */
async function sendRecord(item) {
  requireSameSession();
  const body = new FormData();
  for (const [k, v] of Object.entries(item.fields)) body.append(k, String(v));
  for (const p of item.photos) body.append("photos", p.blob, p.name || "photo.jpg");
  let res;
  try {
    res = await fetch("/api/v1/scratched-cartons", {
      method: "POST",
      headers: { Authorization: `Bearer ${getToken()}`, Accept: "application/json", "Idempotency-Key": item.key },
      body,
      cache: "no-store",
    });
  } catch (err) {
    throw { retry: true, network: true, message: err.message };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // A cut-off answer: the record may be stored; the same key makes the retry safe.
    if (res.ok) throw { retry: true, message: "incomplete response" };
  }
  if (res.ok) return data;
  const detail = data && data.detail !== undefined ? data.detail : res.statusText;
  // The session ended: the record stays on the phone for after the new sign-in.
  if (res.status === 401) endSession(detail);
  // 409: the same key still being stored by a concurrent request; a retry then finds it.
  const retry = res.status === 401 || res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
  throw { retry, status: res.status, detail, message: errorText(new ApiError(res.status, detail)) };
}

function showRecord(result, rec) {
  const why = rec.scan ? explain(rec.scan) : "";
  clear(
    result,
    h("p", { class: "scr-done", "data-record": rec.id }, h("strong", {}, t("scr.done", { id: rec.id })), " ", summary(rec)),
    cartonLine(rec),
    why ? h("p", { class: "hint" }, why) : null,
  );
  result.hidden = false;
}

/**
 * The form on the inspector's page. `where()` gives {checkpoint_code} or {lat, lon}, or null.
 * Without a network a record (fields and photos) waits in the phone's outbox and is sent, once,
 * when the network returns; the records waiting are listed under the form.
 */
export async function mountScratchedForm({ where }) {
  const section = $("scratched");
  const form = $("scr-form");
  const result = $("scr-result");
  const error = $("scr-error");
  const product = $("scr-product");
  const pending = $("scr-pending");
  section.hidden = false;
  try {
    const products = await fetchAll("/products");
    for (const p of products) product.append(h("option", { value: p.gtin }, p.name));
  } catch {
    // Offline: the product stays "unknown"; the note can name it.
  }
  const photos = $("scr-photos");
  const photoCount = $("scr-photo-count");
  const countPhotos = () => {
    const n = (photos.files || []).length;
    photoCount.textContent = t("scr.photos.n", { n });
    photoCount.hidden = n === 0;
  };
  photos.addEventListener("change", countPhotos);
  form.addEventListener("reset", () => setTimeout(countPhotos));

  async function showPending() {
    const items = await outbox.scratchedWaiting();
    pending.dataset.waiting = String(items.filter((x) => !x.dead).length);
    window.dispatchEvent(new Event("cg-scratched-changed"));
    clear(
      pending,
      items.length ? h("h3", {}, t("scr.pending.h", { n: items.length })) : null,
      items.length
        ? h(
            "ul",
            { class: "scr-pending" },
            items.map((x) =>
              h(
                "li",
                { "data-key": x.key, "data-state": x.dead ? "dead" : "waiting" },
                h("div", {}, t("scr.pending.item", { when: when(x.createdAt), summary: x.summary, photos: x.photos.length })),
                h("div", { class: x.dead ? "error" : "hint" }, x.dead ? t("scr.pending.dead", { error: x.error }) : t("scr.pending.waiting")),
                x.dead
                  ? h(
                      "button",
                      {
                        type: "button",
                        class: "secondary",
                        onclick: async () => {
                          await outbox.dropScratched(x.key);
                          showPending();
                        },
                      },
                      t("scr.pending.drop"),
                    )
                  : null,
              ),
            ),
          )
        : null,
    );
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    const sent = [];
    try {
      // One sender across tabs: the same record must not be in flight twice.
      const run = () => outbox.flushScratched(sendRecord, (_item, rec) => sent.push(rec));
      await (navigator.locks ? navigator.locks.request("cg-scratched", run) : run());
    } catch {
      // Stays queued; the next `online` event or the timer tries again.
    } finally {
      flushing = false;
    }
    if (sent.length) {
      showRecord(result, sent[sent.length - 1]);
      result.prepend(h("p", { class: "hint", "data-sent": sent.length }, t("scr.sent", { n: sent.length })));
    }
    await showPending();
  }

  // One key per filled-in form: a retry after a lost answer finds the first record.
  let key = uid();
  form.addEventListener("input", () => {
    key = uid();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const loc = where();
    if (!loc) {
      error.textContent = t("err.where");
      error.hidden = false;
      return;
    }
    const fields = { observed_at: isoWithOffset() };
    for (const [k, v] of Object.entries(loc)) fields[k] = String(v);
    if (product.value) fields.gtin = product.value;
    fields.carton_count = $("scr-count").value || "1";
    const price = $("scr-price").value.trim();
    if (price) fields.observed_price = price;
    const item = $("scr-item").value.trim();
    if (item) fields.item_payload = item;
    const note = $("scr-note").value.trim();
    if (note) fields.note = note;
    const chosen = [...(photos.files || [])].map((f) => ({ blob: f, name: f.name || "photo.jpg" }));
    const what = t("scr.summary", {
      n: fields.carton_count,
      product: product.value ? product.selectedOptions[0].textContent : t("scr.product.unknown"),
      place: loc.checkpoint_code ? checkpointName(loc.checkpoint_code) : `${loc.lat}, ${loc.lon}`,
    });
    const queued = { key, fields, photos: chosen, summary: what };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      if (!navigator.onLine) throw { retry: true, network: true };
      showRecord(result, await sendRecord(queued));
    } catch (err) {
      if (!(err && err.retry)) {
        // Refused (a wrong field): the form stays filled in for a correction.
        error.textContent = (err && err.message) || String(err);
        error.hidden = false;
        button.disabled = false;
        return;
      }
      // No answer: keep it, with this key, until the network returns.
      await outbox.enqueueScratched(queued);
      clear(result, h("p", { class: "scr-queued" }, t("scr.offline")));
      result.hidden = false;
      await showPending();
      // Online but unanswered (a lost answer, a dropped connection): try again soon.
      if (navigator.onLine) setTimeout(flush, 2000);
    }
    button.disabled = false;
    form.reset();
    key = uid();
  });

  window.addEventListener("online", () => flush());
  setInterval(flush, RETRY_MS);
  await showPending();
  section.dataset.ready = "true";
  flush();
  return { flush };
}

/** An evidence photo: fetched with the bearer token (an <img> cannot send one), shown as a blob. */
function thumbnail(sha) {
  const img = h("img", { class: "scr-thumb", alt: t("scr.photo"), "data-photo": sha });
  fetch(`/api/v1/scans/photos/${sha}`, { headers: { Authorization: `Bearer ${getToken()}` } })
    .then((res) => (res.ok ? res.blob() : null))
    .then((blob) => {
      if (blob) img.src = URL.createObjectURL(blob);
    })
    .catch(() => {});
  return img;
}

/** One scratched-off carton in HQ's list: when, what, where, the note, photos and who. */
function scratchedItem(rec) {
  return h(
    "li",
    { "data-record": rec.id },
    h("div", {}, h("strong", {}, when(rec.observed_at)), " · ", summary(rec)),
    cartonLine(rec),
    rec.note ? h("p", { class: "hint" }, rec.note) : null,
    rec.photos.length ? h("div", { class: "scr-photos" }, rec.photos.map(thumbnail)) : null,
    h("p", { class: "hint" }, t("scr.by", { who: rec.recorded_by_name || rec.recorded_by })),
  );
}

/** HQ's list of scratched-off cartons, newest first. */
export function showScratchedList(el) {
  return showItems(el, "/scratched-cartons?limit=50", { cls: "scr-list", emptyKey: "scr.list.empty", item: scratchedItem });
}
