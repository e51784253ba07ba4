// Cartons found with their codes scratched off (刮码): the inspector records photos, product,
// count, price and a note as evidence for HQ; a bottle's item code, when one is left, names the
// carton and its region after all and gets the normal verdict. HQ lists the records.
import { api, ApiError, NetworkError, clear, errorText, fetchAll, getToken, h, isoWithOffset, money, t, uid, verdictBadge, when } from "./core.js";
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

/**
 * The form on the inspector's page. `where()` gives {checkpoint_code} or {lat, lon}, or null.
 */
export async function mountScratchedForm({ where }) {
  const section = $("scratched");
  const form = $("scr-form");
  const result = $("scr-result");
  const error = $("scr-error");
  const product = $("scr-product");
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
    const body = new FormData();
    body.append("observed_at", isoWithOffset());
    for (const [k, v] of Object.entries(loc)) body.append(k, String(v));
    if (product.value) body.append("gtin", product.value);
    body.append("carton_count", $("scr-count").value || "1");
    const price = $("scr-price").value.trim();
    if (price) body.append("observed_price", price);
    const item = $("scr-item").value.trim();
    if (item) body.append("item_payload", item);
    const note = $("scr-note").value.trim();
    if (note) body.append("note", note);
    for (const f of photos.files || []) body.append("photos", f);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const rec = await api("/scratched-cartons", { method: "POST", form: body, headers: { "Idempotency-Key": key } });
      const why = rec.scan ? explain(rec.scan) : "";
      clear(
        result,
        h("p", { class: "scr-done", "data-record": rec.id }, h("strong", {}, t("scr.done", { id: rec.id })), " ", summary(rec)),
        cartonLine(rec),
        why ? h("p", { class: "hint" }, why) : null,
      );
      result.hidden = false;
      form.reset();
      key = uid();
    } catch (err) {
      error.textContent =
        err instanceof NetworkError ? t("scr.offline") : err instanceof ApiError ? errorText(err) : String(err);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
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

/** HQ's list of scratched-off cartons, newest first. */
export async function showScratchedList(el) {
  let items;
  try {
    items = (await api("/scratched-cartons?limit=50")).items;
  } catch (err) {
    clear(el, h("p", { class: "error" }, errorText(err)));
    return;
  }
  if (!items.length) {
    clear(el, h("p", { class: "empty" }, t("scr.list.empty")));
    return;
  }
  clear(
    el,
    h(
      "ul",
      { class: "scr-list" },
      items.map((rec) =>
        h(
          "li",
          { "data-record": rec.id },
          h("div", {}, h("strong", {}, when(rec.observed_at)), " · ", summary(rec)),
          cartonLine(rec),
          rec.note ? h("p", { class: "hint" }, rec.note) : null,
          rec.photos.length ? h("div", { class: "scr-photos" }, rec.photos.map(thumbnail)) : null,
          h("p", { class: "hint" }, t("scr.by", { who: rec.recorded_by })),
        ),
      ),
    ),
  );
}
