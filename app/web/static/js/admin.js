// The admin's set-up page: every kind of master data (list, search, page, create, edit) and
// issuing code batches with their progress and printable labels. The API enforces the admin role;
// the page only spares other roles a page of refusals.
import { ApiError, api, clear, errorText, fetchAll, getToken, h, money, onSearch, pager, requireSession, t, table, when } from "./core.js";
import { mountInbox } from "./inbox.js";
import { loadNames } from "./names.js";
import { showSquads, showVehicles, showWaybills } from "./transport.js";

const $ = (id) => document.getElementById(id);

const REGION_KINDS = ["home_base", "stronghold", "contested", "guerrilla"];
const TIERS = ["wholesale_1", "wholesale_2", "terminal_wholesale", "retail"];
const SUB_TIERS = ["wholesale_2", "terminal_wholesale", "retail"];
const POLL_MS = 400;
const LABELS_PER_FILE = 1000;

// ---- what the page knows by name ----------------------------------------------------------------

const look = { regions: new Map(), salespeople: new Map(), distributors: new Map(), products: new Map() };

async function refreshLookups() {
  const [regions, salespeople, distributors, products] = await Promise.all(
    ["/regions", "/salespeople", "/distributors", "/products"].map((p) => fetchAll(p)),
  );
  look.regions = new Map(regions.map((r) => [r.code, r]));
  look.salespeople = new Map(salespeople.map((s) => [s.code, s]));
  look.distributors = new Map(distributors.map((d) => [d.code, d]));
  look.products = new Map(products.map((p) => [p.gtin, p]));
}

const nameOf = (map, code) => (code ? map.get(code)?.name ?? code : "—");

/** A region's name with its label colour as a small mark in front (商标颜色差异化). */
function regionMark(code) {
  const r = look.regions.get(code);
  return h(
    "span",
    { class: "region-mark", "data-region": code },
    h("span", { class: "mark-dot", "data-colour": r?.colour || "none", style: null }),
    r ? r.name : code || "—",
  );
}

/** Colour the marks once they are in the page: style attributes are not set from HTML (CSP). */
function paintMarks(root) {
  for (const dot of root.querySelectorAll(".mark-dot[data-colour]")) {
    const c = dot.dataset.colour;
    if (/^#[0-9A-Fa-f]{6}$/.test(c)) dot.style.background = c;
  }
  return root;
}

const small = (text) => h("span", { class: "code-note" }, text);
const dateOnly = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};

// ---- form fields ---------------------------------------------------------------------------------
// Each field: { name, label, type, required, createOnly, options() } -> a control with get/set.

function options(list, { blank } = {}) {
  return [blank !== undefined ? h("option", { value: "" }, blank) : null, ...list.map(([v, label]) => h("option", { value: v }, label))];
}

function control(field) {
  const id = `f-${field.name}`;
  const attrs = { id, name: field.name, required: field.required || null };
  let el;
  let get;
  let set;
  switch (field.type) {
    case "select":
      el = h("select", attrs, options(field.options(), { blank: field.required ? undefined : t("admin.none") }));
      get = () => el.value || null;
      set = (v) => (el.value = v ?? "");
      break;
    case "multi":
      el = h("select", { ...attrs, multiple: true, size: 6 }, options(field.options()));
      get = () => [...el.selectedOptions].map((o) => o.value);
      set = (v) => {
        for (const o of el.options) o.selected = (v || []).includes(o.value);
      };
      break;
    case "colour": {
      const pick = h("input", { ...attrs, type: "color", value: "#c0392b" });
      const none = h("input", { type: "checkbox", id: `${id}-none` });
      const mark = h("span", { class: "mark-dot big-dot" });
      const show = () => {
        pick.disabled = none.checked;
        mark.style.background = none.checked ? "transparent" : pick.value;
      };
      pick.addEventListener("input", show);
      none.addEventListener("change", show);
      el = h("div", { class: "colour-row" }, pick, mark, h("label", { class: "inline", for: `${id}-none` }, none, t("admin.colour.none")));
      get = () => (none.checked ? null : pick.value.toUpperCase());
      set = (v) => {
        none.checked = !v;
        if (v) pick.value = v.toLowerCase();
        show();
      };
      break;
    }
    case "date":
      el = h("input", { ...attrs, type: "date" });
      // Midnight in Beijing: the day the agreement was signed, as the business counts days.
      get = () => (el.value ? `${el.value}T00:00:00+08:00` : null);
      set = (v) => (el.value = dateOnly(v));
      break;
    case "number":
      el = h("input", { ...attrs, type: "number", step: field.step || "1", min: field.min ?? null, inputmode: "decimal" });
      get = () => (el.value === "" ? null : Number(el.value));
      set = (v) => (el.value = v ?? "");
      break;
    case "money":
      el = h("input", { ...attrs, inputmode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", placeholder: "48.00" });
      get = () => el.value.trim() || null;
      set = (v) => (el.value = v ?? "");
      break;
    case "floors": {
      const inputs = TIERS.map((tier) =>
        h("input", { id: `${id}-${tier}`, inputmode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", placeholder: "—" }),
      );
      el = h(
        "div",
        { class: "floors" },
        TIERS.map((tier, i) => h("label", { class: "inline-field", for: `${id}-${tier}` }, t(`tier.${tier}`), inputs[i])),
      );
      get = () => {
        const out = {};
        TIERS.forEach((tier, i) => inputs[i].value.trim() && (out[tier] = inputs[i].value.trim()));
        return out;
      };
      set = (v) => TIERS.forEach((tier, i) => (inputs[i].value = (v || {})[tier] ?? ""));
      break;
    }
    case "geojson": {
      // An existing boundary (often thousands of points) is summarised, not dumped into the box:
      // left empty, the box keeps it; "clear" removes it; new text replaces it.
      let existing = null;
      const area = h("textarea", { ...attrs, rows: 4, spellcheck: "false", placeholder: t("admin.boundary.placeholder") });
      const file = h("input", { type: "file", class: "visually-hidden", accept: ".json,.geojson,application/geo+json,application/json", id: `${id}-file` });
      const fileName = h("span", { class: "hint" });
      file.addEventListener("change", async () => {
        if (!file.files[0]) return;
        area.value = await file.files[0].text();
        fileName.textContent = file.files[0].name;
      });
      const summary = h("p", { class: "hint", id: `${id}-summary` });
      const wipe = h("input", { type: "checkbox", id: `${id}-clear` });
      const wipeLabel = h("label", { class: "inline", for: `${id}-clear` }, wipe, t("admin.boundary.clear"));
      el = h(
        "div",
        {},
        summary,
        area,
        h("div", { class: "file-row" }, h("label", { for: `${id}-file`, class: "button secondary" }, t("admin.boundary.file")), file, fileName, wipeLabel),
      );
      get = () => {
        if (wipe.checked) return null;
        const text = area.value.trim();
        if (!text) return existing;
        let geo;
        try {
          geo = JSON.parse(text);
        } catch {
          throw new Error(t("admin.boundary.bad"));
        }
        // A file from a map tool is often a Feature or a one-feature collection.
        if (geo.type === "FeatureCollection" && geo.features?.length === 1) geo = geo.features[0];
        if (geo.type === "Feature") geo = geo.geometry;
        return geo;
      };
      set = (v) => {
        existing = v || null;
        area.value = "";
        const points = existing ? JSON.stringify(existing.coordinates).split("],[").length : 0;
        summary.textContent = existing ? t("admin.boundary.has", { type: existing.type, n: points }) : "";
        wipeLabel.hidden = !existing;
      };
      set(null);
      break;
    }
    default:
      el = h("input", { ...attrs, type: "text", maxlength: field.max || 200, pattern: field.pattern || null, autocomplete: "off" });
      get = () => el.value.trim() || null;
      set = (v) => (el.value = v ?? "");
  }
  return { el, get, set };
}

// ---- the kinds of master data --------------------------------------------------------------------

const CODE = { name: "code", label: "admin.f.code", required: true, createOnly: true, pattern: "[A-Za-z0-9_\\-]{1,40}", max: 40 };
const NAME = { name: "name", label: "admin.f.name", required: true };
const regionOptions = () => [...look.regions.values()].map((r) => [r.code, r.name]);
const AGREEMENT = { name: "agreement_signed_at", label: "admin.f.agreement", type: "date" };

const agreement = (x) => (x.agreement_signed_at ? dateOnly(x.agreement_signed_at) : h("span", { class: "warn-text" }, t("admin.agreement.none")));

const KINDS = [
  {
    id: "regions",
    path: "/regions",
    key: "code",
    fields: [
      CODE,
      NAME,
      { name: "kind", label: "admin.f.kind", type: "select", required: true, options: () => REGION_KINDS.map((k) => [k, t(`rkind.${k}`)]) },
      { name: "parent_code", label: "admin.f.parent", type: "select", options: regionOptions },
      { name: "colour", label: "admin.f.colour", type: "colour", hint: "admin.colour.hint" },
      { name: "boundary", label: "admin.f.boundary", type: "geojson" },
    ],
    columns: ["admin.f.name", "admin.f.kind", "admin.f.parent", "admin.f.colour", "admin.f.boundary"],
    row: (r) => [
      [regionMark(r.code), small(r.code)],
      t(`rkind.${r.kind}`),
      r.parent_code ? regionMark(r.parent_code) : "—",
      r.colour ? h("span", { class: "mono" }, r.colour) : t("admin.colour.unset"),
      r.boundary ? t("admin.boundary.yes") : t("admin.boundary.no"),
    ],
  },
  {
    id: "distributors",
    path: "/distributors",
    key: "code",
    fields: [
      CODE,
      NAME,
      { name: "tier", label: "admin.f.tier", type: "select", required: true, options: () => TIERS.map((x) => [x, t(`tier.${x}`)]) },
      { name: "region_codes", label: "admin.f.regions", type: "multi", required: true, options: regionOptions, hint: "admin.multi.hint" },
      {
        name: "salesperson_code",
        label: "admin.f.salesperson",
        type: "select",
        required: true,
        options: () => [...look.salespeople.values()].map((s) => [s.code, `${s.name} · ${nameOf(look.regions, s.region_code)}`]),
      },
      AGREEMENT,
    ],
    columns: ["admin.f.name", "admin.f.tier", "admin.f.regions", "admin.f.salesperson", "admin.f.agreement"],
    row: (d) => [
      [d.name, small(d.code)],
      t(`tier.${d.tier}`),
      h("span", { class: "marks" }, d.region_codes.map(regionMark)),
      nameOf(look.salespeople, d.salesperson_code),
      agreement(d),
    ],
  },
  {
    id: "salespeople",
    path: "/salespeople",
    key: "code",
    fields: [CODE, NAME, { name: "region_code", label: "admin.f.region", type: "select", required: true, options: regionOptions }, AGREEMENT],
    columns: ["admin.f.name", "admin.f.region", "admin.f.agreement"],
    row: (s) => [[s.name, small(s.code)], regionMark(s.region_code), agreement(s)],
  },
  {
    id: "sub-customers",
    path: "/sub-customers",
    key: "code",
    fields: [
      CODE,
      NAME,
      { name: "tier", label: "admin.f.tier", type: "select", required: true, options: () => SUB_TIERS.map((x) => [x, t(`tier.${x}`)]) },
      {
        name: "distributor_code",
        label: "admin.f.distributor",
        type: "select",
        required: true,
        createOnly: true,
        options: () => [...look.distributors.values()].map((d) => [d.code, d.name]),
      },
      { name: "region_code", label: "admin.f.region", type: "select", required: true, createOnly: true, options: regionOptions },
      { name: "contact", label: "admin.f.contact" },
      { name: "lat", label: "admin.f.lat", type: "number", step: "any" },
      { name: "lon", label: "admin.f.lon", type: "number", step: "any" },
      AGREEMENT,
    ],
    columns: ["admin.f.name", "admin.f.tier", "admin.f.distributor", "admin.f.region", "admin.f.status", "admin.f.credit"],
    row: (s) => [
      [s.name, small(s.code)],
      t(`tier.${s.tier}`),
      nameOf(look.distributors, s.distributor_code),
      regionMark(s.region_code),
      h("span", { class: `badge sc-${s.status}` }, t(`sc.status.${s.status}`)),
      String(s.credit_score),
    ],
    actions: (s, reload) =>
      s.status === "pending"
        ? [
            h(
              "button",
              {
                type: "button",
                class: "good small",
                "data-action": "approve",
                onclick: async (ev) => {
                  ev.stopPropagation();
                  await api(`/sub-customers/${encodeURIComponent(s.code)}/approve`, { method: "POST" });
                  reload();
                },
              },
              t("admin.approve"),
            ),
          ]
        : [],
  },
  {
    id: "products",
    path: "/products",
    key: "gtin",
    fields: [
      { name: "gtin", label: "admin.f.gtin", required: true, createOnly: true, pattern: "[0-9]{8}|[0-9]{12,14}", max: 14 },
      NAME,
      { name: "units_per_carton", label: "admin.f.units", type: "number", required: true, min: 1 },
      { name: "carton_value", label: "admin.f.value", type: "money", required: true },
      { name: "price_floors", label: "admin.f.floors", type: "floors", hint: "admin.floors.hint" },
    ],
    columns: ["admin.f.name", "admin.f.units", "admin.f.value", "admin.f.floors"],
    row: (p) => [
      [p.name, small(p.gtin)],
      String(p.units_per_carton),
      money(p.carton_value),
      Object.keys(p.price_floors || {}).length
        ? Object.entries(p.price_floors)
            .map(([tier, v]) => `${t(`tier.${tier}`)} ${money(v)}`)
            .join(t("list.sep"))
        : "—",
    ],
  },
  {
    id: "checkpoints",
    path: "/checkpoints",
    key: "code",
    fields: [
      CODE,
      NAME,
      { name: "region_code", label: "admin.f.region", type: "select", required: true, options: regionOptions },
      { name: "lat", label: "admin.f.lat", type: "number", step: "any" },
      { name: "lon", label: "admin.f.lon", type: "number", step: "any" },
    ],
    columns: ["admin.f.name", "admin.f.region", "admin.f.position"],
    row: (c) => [
      [c.name, small(c.code)],
      regionMark(c.region_code),
      c.lat !== null && c.lat !== undefined ? `${c.lat.toFixed(3)}, ${c.lon.toFixed(3)}` : "—",
    ],
  },
];

// ---- a list with search, pages and an editor -------------------------------------------------------

let current = null;

function showList(kind) {
  const panel = $("panel");
  let q = "";
  const search = h("input", {
    type: "search",
    id: "search",
    placeholder: t(`admin.search.${kind.id}`),
    "aria-label": t("admin.search"),
    enterkeyhint: "search",
  });
  const add = h("button", { type: "button", id: "add", onclick: () => edit(kind, null) }, t(`admin.add.${kind.id}`));
  const list = h("div", { id: "list", "data-kind": kind.id });
  clear(panel, h("h2", {}, t(`admin.kind.${kind.id}`)), h("p", { class: "hint" }, t(`admin.hint.${kind.id}`)), h("div", { class: "toolbar admin-toolbar" }, search, add), list);
  const load = (limit, offset) => api(`${kind.path}?limit=${limit}&offset=${offset}${q ? `&q=${encodeURIComponent(q)}` : ""}`);
  let view;
  const render = (items) =>
    paintMarks(
      table(
        [...kind.columns.map((c) => t(c)), ""],
        items.map((x) =>
          h(
            "tr",
            { class: "clickable", "data-key": x[kind.key], onclick: () => edit(kind, x) },
            kind.row(x).map((cell) => h("td", {}, cell)),
            h(
              "td",
              { class: "row-actions" },
              (kind.actions ? kind.actions(x, () => view.reload()) : []).concat(
                h("button", { type: "button", class: "secondary small", "data-action": "edit" }, t("admin.edit")),
              ),
            ),
          ),
        ),
      ),
    );
  const empty = () =>
    q
      ? h("div", { class: "empty", "data-empty": "search" }, h("strong", {}, t("admin.empty.search.h", { q })), t("admin.empty.search"))
      : h("div", { class: "empty", "data-empty": kind.id }, h("strong", {}, t(`admin.empty.${kind.id}.h`)), t(`admin.empty.${kind.id}`));
  view = pager(list, { load, render, empty, pageSize: 20, view: () => `${kind.id}:${q}` });
  onSearch(search, (text) => {
    q = text;
    view.reload(true);
  });
  const find = (text) => {
    search.value = text;
    q = text;
    return view.reload(true);
  };
  current = { kind, reload: () => view.reload(), find };
}

function edit(kind, item) {
  const editor = $("editor");
  const fields = kind.fields.map((f) => ({ f, c: control(f) }));
  const initial = {};
  for (const { f, c } of fields) {
    if (item) c.set(item[f.name]);
    else if (f.type === "colour") c.set(null);
    if (item && f.createOnly) c.el.disabled = true;
    try {
      initial[f.name] = JSON.stringify(c.get());
    } catch {
      initial[f.name] = null;
    }
  }
  const message = h("p", { id: "editor-message", role: "status" });
  const title = item ? t(`admin.edit.${kind.id}`, { name: item.name }) : t(`admin.add.${kind.id}`);
  const form = h(
    "form",
    { id: "editor-form", "data-kind": kind.id, "data-mode": item ? "edit" : "create", novalidate: null },
    h("h2", {}, title),
    h(
      "div",
      { class: "form-grid" },
      fields.map(({ f, c }) =>
        h(
          "div",
          { class: `field field-${f.type || "text"}` },
          h("label", { for: `f-${f.name}` }, t(f.label), f.required ? h("span", { class: "req" }, " *") : null),
          c.el,
          f.hint ? h("p", { class: "hint" }, t(f.hint)) : null,
        ),
      ),
    ),
    message,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", id: "save" }, item ? t("admin.save") : t("admin.create")),
      h("button", { type: "button", class: "secondary", onclick: () => (editor.hidden = true) }, t("admin.cancel")),
    ),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    message.className = "";
    message.textContent = "";
    const body = {};
    try {
      for (const { f, c } of fields) {
        if (item && f.createOnly) continue;
        const v = c.get();
        if (item) {
          // Only what changed: an untouched boundary is not sent back, nor cleared.
          if (JSON.stringify(v) !== initial[f.name]) body[f.name] = v;
        } else if (v !== null && !(Array.isArray(v) && !v.length) && !(f.type === "floors" && !Object.keys(v).length)) {
          body[f.name] = v;
        }
      }
    } catch (err) {
      message.className = "error";
      message.textContent = err.message;
      return;
    }
    const missing = fields.filter(({ f }) => f.required && !(item && f.createOnly) && !item && body[f.name] === undefined);
    if (missing.length) {
      message.className = "error";
      message.textContent = t("admin.missing", { fields: missing.map(({ f }) => t(f.label)).join(t("list.sep")) });
      return;
    }
    if (item && !Object.keys(body).length) {
      message.className = "hint";
      message.textContent = t("admin.unchanged");
      return;
    }
    const key = item ? encodeURIComponent(item[kind.key]) : "";
    try {
      const saved = await api(item ? `${kind.path}/${key}` : kind.path, { method: item ? "PATCH" : "POST", json: body });
      await refreshLookups();
      editor.hidden = true;
      flash(t(item ? "admin.saved" : "admin.created", { name: saved.name }));
      // A new record may sort onto any page: show it where the admin can see it.
      if (current && !item && current.find) current.find(String(saved[kind.key]));
      else if (current) current.reload();
    } catch (err) {
      message.className = "error";
      message.textContent = problemText(err, kind);
    }
  });
  clear(editor, form);
  editor.hidden = false;
  editor.scrollIntoView({ behavior: "smooth", block: "start" });
  const first = form.querySelector("input:not([disabled]), select:not([disabled])");
  if (first) first.focus({ preventScroll: true });
}

/** An API refusal in words, naming the field by its label. */
function problemText(err, kind) {
  if (err instanceof ApiError && Array.isArray(err.detail)) {
    return err.detail
      .map((d) => {
        const field = kind.fields.find((f) => (d.loc || []).includes(f.name));
        return field ? `${t(field.label)}: ${d.msg}` : d.msg;
      })
      .join("; ");
  }
  if (err instanceof ApiError && err.status === 409) return t("admin.conflict", { message: errorText(err) });
  if (err instanceof ApiError && err.status === 403) return t("admin.forbidden");
  return errorText(err);
}

function flash(text) {
  let el = $("flash");
  if (!el) {
    el = h("p", { id: "flash", class: "ok", role: "status" });
    $("panel").before(el);
  }
  el.textContent = text;
}

// ---- code batches: issue with a progress bar, print labels ------------------------------------------

const productOptions = () => [...look.products.values()].map((p) => [p.gtin, p.name]);

function showCodes() {
  const panel = $("panel");
  const form = h("form", { id: "batch-form", class: "form-grid" });
  const product = h("select", { id: "batch-product", required: true }, options(productOptions()));
  const region = h("select", { id: "batch-region", required: true }, options(regionOptions()));
  const quantity = h("input", { id: "batch-quantity", type: "number", min: 1, max: 1000000, value: 100, inputmode: "numeric", required: true });
  const level = h("select", { id: "batch-level" }, options([["carton", t("level.carton")], ["item", t("level.item")]]));
  const regionPreview = h("p", { class: "hint", id: "batch-mark" });
  const showMark = () => {
    const r = look.regions.get(region.value);
    clear(regionPreview, r ? paintMarks(h("span", {}, regionMark(r.code), " ", t("admin.codes.mark", { name: r.name }))) : null);
  };
  region.addEventListener("change", showMark);
  const message = h("p", { id: "batch-message", role: "status" });
  const progress = h("div", { id: "batch-progress", hidden: true });
  form.append(
    h("div", { class: "field" }, h("label", { for: "batch-product" }, t("admin.f.product")), product),
    h("div", { class: "field" }, h("label", { for: "batch-region" }, t("admin.f.region")), region, regionPreview),
    h("div", { class: "field" }, h("label", { for: "batch-quantity" }, t("admin.f.quantity")), quantity),
    h("div", { class: "field" }, h("label", { for: "batch-level" }, t("admin.f.level")), level),
    h("div", { class: "actions full" }, h("button", { type: "submit", id: "issue" }, t("admin.codes.issue"))),
  );
  const batches = h("div", { id: "batches" });
  const noMaster = !look.products.size || !look.regions.size;
  clear(
    panel,
    h("h2", {}, t("admin.kind.codes")),
    h("p", { class: "hint" }, t("admin.hint.codes")),
    noMaster ? h("div", { class: "empty", "data-empty": "codes-setup" }, h("strong", {}, t("admin.codes.setup.h")), t("admin.codes.setup")) : form,
    message,
    progress,
    h("h3", {}, t("admin.codes.batches")),
    batches,
  );
  showMark();
  const list = pager(batches, {
    load: (limit, offset) => api(`/code-batches?limit=${limit}&offset=${offset}`),
    render: (items) => paintMarks(table([t("admin.f.batch"), t("admin.f.product"), t("admin.f.region"), t("admin.f.quantity"), t("admin.f.status"), t("admin.f.created"), ""], items.map(batchRow))),
    empty: () => h("div", { class: "empty", "data-empty": "batches" }, h("strong", {}, t("admin.empty.batches.h")), t("admin.empty.batches")),
    pageSize: 10,
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    message.textContent = "";
    message.className = "";
    const n = Number(quantity.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000000) {
      message.className = "error";
      message.textContent = t("admin.codes.quantity.bad");
      return;
    }
    const issue = $("issue");
    issue.disabled = true;
    try {
      const batch = await api("/code-batches/start", {
        method: "POST",
        json: { gtin: product.value, region_code: region.value, quantity: n, level: level.value },
      });
      await follow(batch, progress);
      list.reload(true);
    } catch (err) {
      message.className = "error";
      message.textContent = errorText(err);
    } finally {
      issue.disabled = false;
    }
  });
  current = { kind: { id: "codes" }, reload: () => list.reload() };
}

function batchRow(b) {
  return h(
    "tr",
    { "data-batch": b.id, "data-status": b.status },
    h("td", { class: "nowrap" }, `#${b.id}`, small(t(`level.${b.level}`))),
    h("td", {}, nameOf(look.products, b.gtin)),
    h("td", {}, regionMark(b.region_code)),
    h("td", { class: "num" }, String(b.quantity)),
    h("td", {}, batchStatus(b)),
    h("td", { class: "nowrap" }, when(b.created_at)),
    h("td", {}, b.status === "complete" ? printControls(b) : null),
  );
}

function batchStatus(b) {
  const label = t(`batch.${b.status}`);
  if (b.status === "complete") return h("span", { class: "badge batch-complete" }, label);
  return h("span", { class: `badge batch-${b.status}` }, `${label} ${b.issued}/${b.quantity}`);
}

/** Watch a batch fill: a progress bar polled from GET /code-batches/{id} until it is done. */
async function follow(batch, box) {
  const bar = h("progress", { id: "batch-bar", max: batch.quantity, value: batch.issued });
  const text = h("span", { id: "batch-count" });
  const state = h("span", { id: "batch-state", "data-status": batch.status });
  const tail = h("div", { id: "batch-done" });
  clear(box, h("h3", {}, t("admin.codes.progress", { id: batch.id })), bar, h("p", {}, state, " ", text), tail);
  box.hidden = false;
  let b = batch;
  for (;;) {
    bar.value = b.issued;
    text.textContent = t("admin.codes.count", { issued: b.issued, quantity: b.quantity, pct: Math.floor((100 * b.issued) / b.quantity) });
    state.dataset.status = b.status;
    state.textContent = t(`batch.${b.status}`);
    if (b.status !== "issuing") break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    b = await api(`/code-batches/${b.id}`);
  }
  if (b.status === "complete") clear(tail, h("p", { class: "ok" }, t("admin.codes.done", { n: b.quantity })), printControls(b));
  else clear(tail, h("p", { class: "error" }, t("admin.codes.failed", { id: b.id })));
}

/** Labels in files of up to 1,000, walked with the codes list's cursor (`after`). */
function printControls(b) {
  const layouts = b.level === "item" ? ["item_qr", "item_datamatrix"] : ["a4", "thermal"];
  const layout = h("select", { class: "layout", "aria-label": t("admin.codes.layout") }, options(layouts.map((l) => [l, t(`layout.${l}`)])));
  const parts = Math.ceil(b.quantity / LABELS_PER_FILE);
  let part = 1;
  let after = null;
  const button = h("button", { type: "button", class: "print", "data-action": "labels" });
  const label = () => (button.textContent = parts > 1 ? t("admin.codes.print.part", { part, parts }) : t("admin.codes.print"));
  label();
  const status = h("span", { class: "hint print-status", role: "status" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = t("admin.codes.printing");
    try {
      const q = new URLSearchParams({ layout: layout.value, limit: String(LABELS_PER_FILE) });
      if (after) q.set("after", after);
      await download(`/code-batches/${b.id}/labels.pdf?${q}`, `labels-${b.id}-${layout.value}-${part}.pdf`);
      status.textContent = t("admin.codes.printed");
      if (parts > 1) {
        const page = await api(`/code-batches/${b.id}/codes?limit=${LABELS_PER_FILE}${after ? `&after=${encodeURIComponent(after)}` : ""}`);
        after = page.next_after;
        part = after ? part + 1 : 1;
        label();
      }
    } catch (err) {
      status.textContent = errorText(err);
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "print-row" }, layout, button, status);
}

/** Fetch a file with the token (a plain link cannot send it) and hand it to the browser. */
async function download(path, filename) {
  const res = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${getToken()}` }, cache: "no-store" });
  if (!res.ok) {
    let detail = res.statusText;
    try {
      detail = (await res.json()).detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, detail);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---- tabs -------------------------------------------------------------------------------------------

const TRANSPORT = { vehicles: showVehicles, waybills: showWaybills, squads: showSquads };
const TABS = [...KINDS.map((k) => k.id), "codes", ...Object.keys(TRANSPORT)];
let me = null;
/** What the transport and squad tabs need from this page. */
const transportCtx = () => ({ look, me, nameOf, regionMark, paintMarks, download, flash });

function select(id) {
  if (!TABS.includes(id)) id = "regions";
  for (const b of $("kinds").children) b.setAttribute("aria-selected", String(b.dataset.kind === id));
  $("editor").hidden = true;
  const flashEl = $("flash");
  if (flashEl) flashEl.remove();
  if (id === "codes") showCodes();
  else if (TRANSPORT[id]) {
    current = null;
    TRANSPORT[id](transportCtx());
  } else showList(KINDS.find((k) => k.id === id));
  $("panel").dataset.kind = id;
  if (location.hash.slice(1) !== id) history.replaceState(null, "", `#${id}`);
}

async function main() {
  me = await requireSession(["admin"]);
  if (!me) return;
  await Promise.all([refreshLookups(), loadNames()]);
  clear(
    $("kinds"),
    TABS.map((id) => h("button", { type: "button", role: "tab", "data-kind": id, onclick: () => select(id) }, t(`admin.kind.${id}`))),
  );
  window.addEventListener("hashchange", () => select(location.hash.slice(1)));
  select(location.hash.slice(1));
  mountInbox();
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("page-error").textContent = errorText(err);
  $("page-error").hidden = false;
});
