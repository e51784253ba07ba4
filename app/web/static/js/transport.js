// Transport (运输手段) and anti-diversion squads (反窜货行动组) on the admin's page: the vehicle
// register, waybills issued for registered vehicles with their printable PDF, and each region's
// squad with its monthly report. The admin page hands in what it knows by name (`ctx`).
import { ApiError, api, clear, currentPeriod, errorText, fetchAll, h, isoWithOffset, money, onSearch, pager, t, table, when } from "./core.js";
import { personPicker } from "./people.js";

const $ = (id) => document.getElementById(id);

// ---- small form pieces ---------------------------------------------------------------------------

function field(id, label, el, { required = false, hint = null, full = false } = {}) {
  return h(
    "div",
    { class: `field${full ? " full" : ""}` },
    h("label", { for: id }, t(label), required ? h("span", { class: "req" }, " *") : null),
    el,
    hint ? h("p", { class: "hint" }, t(hint)) : null,
  );
}

const opts = (pairs, blank) => [blank !== undefined ? h("option", { value: "" }, blank) : null, ...pairs.map(([v, label]) => h("option", { value: v }, label))];
const picked = (sel) => [...sel.selectedOptions].map((o) => o.value).filter(Boolean);
const setPicked = (sel, values) => {
  for (const o of sel.options) o.selected = values.includes(o.value);
};
const say = (el, cls, text) => {
  el.className = cls;
  el.textContent = text;
};
const byName = (map) => [...map.values()].sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
const splitList = (text) => text.split(/[\s,，;；]+/).map((x) => x.trim()).filter(Boolean);

// ---- the API's refusals in Chinese -----------------------------------------------------------------
// The API speaks English to programs; a person gets the reason in their language, naming the
// thing by its label. Unknown messages still show, after the field's label.

const MESSAGES = [
  [/is already registered/, "tr.err.plate_taken"],
  [/is already revoked/, "tr.err.revoked_twice"],
  [/starts with a province|not a plate|empty plate/, "tr.err.plate_form"],
  [/^waybill .* already exists/, "tr.err.waybill_taken"],
  [/already on an active waybill: (.*)/, "tr.err.carton_busy"],
  [/another active waybill at the same time/, "tr.err.carton_busy"],
  [/already has a squad|squad .* or one for region/, "tr.err.region_has_squad"],
  [/^squad .* already exists/, "tr.err.squad_taken"],
  [/checkpoint already staffed by another squad: (.*)/, "tr.err.checkpoint_taken"],
  [/inspector already in another squad: (.*)/, "tr.err.inspector_taken"],
  [/does not hold region/, "tr.err.leader_region"],
  [/is not in region/, "tr.err.checkpoint_region"],
  [/is not an inspector's username/, "tr.err.not_inspector"],
  [/expected_arrival must be after/, "tr.err.window"],
  [/at least one carton/, "tr.err.no_cartons"],
  [/a region appears twice/, "tr.err.route_twice"],
  [/^unknown (\w+) '(.*)'/, "tr.err.unknown"],
  [/pattern|String should match/, "tr.err.format"],
];

function plain(msg) {
  for (const [re, key] of MESSAGES) {
    const m = re.exec(msg || "");
    if (m) return t(key, { list: m[1] || "", what: m[1] || "", code: m[2] || "" });
  }
  return msg;
}

/** Any refusal from the API as one sentence a person can act on. */
export function problemText(err, labels = {}, ctx = null) {
  if (!(err instanceof ApiError)) return errorText(err);
  const d = err.detail;
  if (d && typeof d === "object" && !Array.isArray(d) && d.reason) {
    const dest = ctx ? ctx.nameOf(ctx.look.distributors, d.destination_distributor_code) : d.destination_distributor_code;
    return t(`tr.refusal.${d.reason}`, { plate: d.vehicle_plate || "", dest: dest || "" });
  }
  if (Array.isArray(d)) {
    return d
      .map((e) => {
        const name = (e.loc || []).find((l) => labels[l]);
        const text = plain(e.msg);
        return name ? `${t(labels[name])}：${text}` : text;
      })
      .join("；");
  }
  if (err.status === 409 || err.status === 422) return plain(typeof d === "string" ? d : JSON.stringify(d));
  if (err.status === 403) return t("admin.forbidden");
  if (err.status === 404) return t("tr.err.not_found");
  return errorText(err);
}

function distributorOptions(ctx) {
  return byName(ctx.look.distributors).map((d) => [d.code, `${d.name} · ${d.region_codes.map((c) => ctx.nameOf(ctx.look.regions, c)).join("、")}`]);
}

// ---- 车辆备案: the vehicle register ----------------------------------------------------------------

const VEHICLE_LABELS = {
  plate: "veh.f.plate",
  owner: "veh.f.owner",
  driver_name: "veh.f.driver",
  driver_phone: "veh.f.phone",
  distributor_codes: "veh.f.distributors",
};

export function showVehicles(ctx) {
  const panel = $("panel");
  let q = "";
  let status = "";
  const search = h("input", { type: "search", id: "search", placeholder: t("veh.search"), "aria-label": t("admin.search"), enterkeyhint: "search" });
  const which = h(
    "select",
    { id: "vehicle-status", "aria-label": t("veh.f.status") },
    opts([["", t("veh.status.all")], ["active", t("veh.status.active")], ["revoked", t("veh.status.revoked")]]),
  );
  const add = h("button", { type: "button", id: "add", onclick: () => editVehicle(ctx, null, reload) }, t("veh.add"));
  const list = h("div", { id: "list" });
  clear(panel, h("h2", {}, t("admin.kind.vehicles")), h("p", { class: "hint" }, t("veh.hint")), h("div", { class: "toolbar admin-toolbar" }, search, which, add), list);
  const qs = () => `${q ? `&q=${encodeURIComponent(q)}` : ""}${status ? `&status=${status}` : ""}`;
  const view = pager(list, {
    load: (limit, offset) => api(`/vehicles?limit=${limit}&offset=${offset}${qs()}`),
    render: (items) => table([t("veh.f.plate"), t("veh.f.owner"), t("veh.f.driver"), t("veh.f.distributors"), t("veh.f.status"), ""], items.map((v) => vehicleRow(ctx, v, reload))),
    empty: () =>
      q || status
        ? h("div", { class: "empty", "data-empty": "search" }, h("strong", {}, t("admin.empty.search.h", { q: q || t(`veh.status.${status}`) })), t("admin.empty.search"))
        : h("div", { class: "empty", "data-empty": "vehicles" }, h("strong", {}, t("veh.empty.h")), t("veh.empty")),
    view: () => `vehicles:${q}:${status}`,
  });
  function reload(find) {
    if (find !== undefined) {
      search.value = find;
      q = find;
      return view.reload(true);
    }
    return view.reload();
  }
  onSearch(search, (text) => {
    q = text;
    view.reload(true);
  });
  which.addEventListener("change", () => {
    status = which.value;
    view.reload(true);
  });
}

function vehicleRow(ctx, v, reload) {
  const revoked = v.status === "revoked";
  return h(
    "tr",
    { class: "clickable", "data-key": v.plate, "data-status": v.status, onclick: () => !revoked && editVehicle(ctx, v, reload) },
    h("td", {}, h("strong", { class: "plate" }, v.plate)),
    h("td", {}, v.owner),
    h("td", {}, v.driver_name, h("span", { class: "code-note" }, v.driver_phone)),
    h("td", {}, v.distributor_codes.length ? v.distributor_codes.map((c) => ctx.nameOf(ctx.look.distributors, c)).join("、") : h("span", { class: "warn-text" }, t("veh.none"))),
    h(
      "td",
      {},
      h("span", { class: `badge veh-${v.status}` }, t(`veh.status.${v.status}`)),
      revoked ? h("span", { class: "code-note" }, `${when(v.revoked_at)} · ${v.revoke_reason || ""}`) : null,
    ),
    h(
      "td",
      { class: "row-actions" },
      revoked
        ? null
        : [
            h("button", { type: "button", class: "secondary small", "data-action": "edit" }, t("admin.edit")),
            h(
              "button",
              {
                type: "button",
                class: "danger small",
                "data-action": "revoke",
                onclick: (ev) => {
                  ev.stopPropagation();
                  revokeVehicle(ctx, v, reload);
                },
              },
              t("veh.revoke"),
            ),
          ],
    ),
  );
}

function editVehicle(ctx, v, reload) {
  const editor = $("editor");
  const plate = h("input", { id: "f-plate", maxlength: 20, required: true, autocomplete: "off", placeholder: "鲁A12345", disabled: v ? true : null });
  const owner = h("input", { id: "f-owner", maxlength: 200, required: true, autocomplete: "off" });
  const driver = h("input", { id: "f-driver_name", maxlength: 80, required: true, autocomplete: "off" });
  const phone = h("input", { id: "f-driver_phone", type: "tel", inputmode: "tel", maxlength: 20, required: true, placeholder: "13800138000" });
  const dists = h("select", { id: "f-distributor_codes", multiple: true, size: 8 }, opts(distributorOptions(ctx)));
  if (v) {
    plate.value = v.plate;
    owner.value = v.owner;
    driver.value = v.driver_name;
    phone.value = v.driver_phone;
    setPicked(dists, v.distributor_codes);
  }
  const message = h("p", { id: "editor-message", role: "status" });
  const form = h(
    "form",
    { id: "editor-form", "data-kind": "vehicles", "data-mode": v ? "edit" : "create", novalidate: true },
    h("h2", {}, v ? t("veh.edit", { plate: v.plate }) : t("veh.add")),
    h(
      "div",
      { class: "form-grid" },
      field("f-plate", "veh.f.plate", plate, { required: true, hint: "veh.plate.hint" }),
      field("f-owner", "veh.f.owner", owner, { required: true }),
      field("f-driver_name", "veh.f.driver", driver, { required: true }),
      field("f-driver_phone", "veh.f.phone", phone, { required: true }),
      field("f-distributor_codes", "veh.f.distributors", dists, { hint: "admin.multi.hint", full: true }),
    ),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "save" }, v ? t("admin.save") : t("admin.create")), h("button", { type: "button", class: "secondary", onclick: () => (editor.hidden = true) }, t("admin.cancel"))),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { owner: owner.value.trim(), driver_name: driver.value.trim(), driver_phone: phone.value.trim(), distributor_codes: picked(dists) };
    if (!v) body.plate = plate.value.trim();
    const missing = Object.entries(body).filter(([, x]) => x === "").map(([k]) => t(VEHICLE_LABELS[k]));
    if (missing.length) return say(message, "error", t("admin.missing", { fields: missing.join(t("list.sep")) }));
    try {
      const saved = await api(v ? `/vehicles/${encodeURIComponent(v.plate)}` : "/vehicles", { method: v ? "PATCH" : "POST", json: body });
      editor.hidden = true;
      ctx.flash(t(v ? "admin.saved" : "admin.created", { name: saved.plate }));
      reload(v ? undefined : saved.plate);
    } catch (err) {
      say(message, "error", problemText(err, VEHICLE_LABELS, ctx));
    }
  });
  clear(editor, form);
  editor.hidden = false;
  editor.scrollIntoView({ behavior: "smooth", block: "start" });
  (v ? owner : plate).focus({ preventScroll: true });
}

function revokeVehicle(ctx, v, reload) {
  const editor = $("editor");
  const reason = h("input", { id: "f-revoke-reason", maxlength: 300, required: true, autocomplete: "off", placeholder: t("veh.revoke.placeholder") });
  const message = h("p", { id: "editor-message", role: "status" });
  const form = h(
    "form",
    { id: "editor-form", "data-kind": "vehicles", "data-mode": "revoke", novalidate: true },
    h("h2", {}, t("veh.revoke.h", { plate: v.plate })),
    h("p", { class: "hint" }, t("veh.revoke.hint")),
    h("div", { class: "form-grid" }, field("f-revoke-reason", "veh.f.reason", reason, { required: true, full: true })),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "save", class: "danger" }, t("veh.revoke")), h("button", { type: "button", class: "secondary", onclick: () => (editor.hidden = true) }, t("admin.cancel"))),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) return say(message, "error", t("admin.missing", { fields: t("veh.f.reason") }));
    try {
      await api(`/vehicles/${encodeURIComponent(v.plate)}/revoke`, { method: "POST", json: { reason: reason.value.trim() } });
      editor.hidden = true;
      ctx.flash(t("veh.revoked", { plate: v.plate }));
      reload();
    } catch (err) {
      say(message, "error", problemText(err, { reason: "veh.f.reason" }, ctx));
    }
  });
  clear(editor, form);
  editor.hidden = false;
  editor.scrollIntoView({ behavior: "smooth", block: "start" });
  reason.focus({ preventScroll: true });
}

// ---- 运单: waybills for registered vehicles, printable ---------------------------------------------

const WAYBILL_LABELS = {
  number: "wb.f.number",
  vehicle_plate: "wb.f.vehicle",
  destination_distributor_code: "wb.f.destination",
  route_region_codes: "wb.f.route",
  salesperson_code: "wb.f.salesperson",
  dispatched_at: "wb.f.dispatched",
  expected_arrival: "wb.f.arrival",
  issuer: "wb.f.issuer",
  carton_payloads: "wb.f.payloads",
  pallet_ssccs: "wb.f.payloads",
};

const localInput = (d) => isoWithOffset(d).slice(0, 16);

export function showWaybills(ctx) {
  const panel = $("panel");
  let status = "";
  const which = h(
    "select",
    { id: "waybill-status", "aria-label": t("admin.f.status") },
    opts([["", t("wb.status.all")], ...["active", "delivered", "cancelled"].map((s) => [s, t(`wb.status.${s}`)])]),
  );
  const add = h("button", { type: "button", id: "add", onclick: () => issueWaybill(ctx, () => view.reload(true)) }, t("wb.add"));
  const list = h("div", { id: "list" });
  clear(panel, h("h2", {}, t("admin.kind.waybills")), h("p", { class: "hint" }, t("wb.hint")), h("div", { class: "toolbar admin-toolbar" }, which, add), list);
  const view = pager(list, {
    load: (limit, offset) => api(`/waybills?limit=${limit}&offset=${offset}${status ? `&status=${status}` : ""}`),
    render: (items) =>
      ctx.paintMarks(
        table(
          [t("wb.f.number"), t("wb.f.vehicle"), t("wb.f.destination"), t("wb.f.route"), t("wb.f.window"), t("wb.f.cartons"), t("admin.f.status"), ""],
          items.map((w) => waybillRow(ctx, w)),
        ),
      ),
    empty: () => h("div", { class: "empty", "data-empty": "waybills" }, h("strong", {}, t("wb.empty.h")), t("wb.empty")),
    view: () => `waybills:${status}`,
  });
  which.addEventListener("change", () => {
    status = which.value;
    view.reload(true);
  });
}

function waybillRow(ctx, w) {
  const note = h("span", { class: "hint print-status", role: "status" });
  const pdf = h(
    "button",
    {
      type: "button",
      class: "secondary small",
      "data-action": "pdf",
      onclick: async () => {
        pdf.disabled = true;
        note.textContent = "";
        try {
          await ctx.download(`/waybills/${encodeURIComponent(w.number)}/waybill.pdf`, `waybill-${w.number}.pdf`);
        } catch (err) {
          note.textContent = problemText(err, {}, ctx);
        } finally {
          pdf.disabled = false;
        }
      },
    },
    t("wb.pdf"),
  );
  return h(
    "tr",
    { "data-key": w.number, "data-status": w.status },
    h("td", { class: "nowrap" }, h("span", { class: "mono" }, w.number)),
    h("td", {}, h("strong", { class: "plate" }, w.vehicle_plate), w.driver ? h("span", { class: "code-note" }, w.driver) : null),
    h("td", {}, ctx.nameOf(ctx.look.distributors, w.destination_distributor_code)),
    h("td", {}, h("span", { class: "marks route" }, w.route_region_codes.map(ctx.regionMark))),
    h("td", { class: "nowrap" }, when(w.dispatched_at), h("br"), "→ ", when(w.expected_arrival)),
    h("td", { class: "num" }, String(w.cartons), h("span", { class: "code-note" }, money(w.value))),
    h("td", {}, h("span", { class: `badge wb-${w.status}` }, t(`wb.status.${w.status}`))),
    h("td", { class: "row-actions" }, pdf, note),
  );
}

async function issueWaybill(ctx, reload) {
  const editor = $("editor");
  const message = h("p", { id: "editor-message", role: "status" });
  clear(editor, h("p", { class: "hint" }, "…"));
  editor.hidden = false;
  let vehicles = [];
  let batches = [];
  try {
    [vehicles, batches] = await Promise.all([fetchAll("/vehicles?status=active"), api("/code-batches?limit=50&offset=0").then((p) => p.items || [])]);
  } catch (err) {
    clear(editor, h("p", { class: "error" }, problemText(err, {}, ctx)));
    return;
  }
  const now = new Date();
  const stamp = isoWithOffset(now).replace(/[-:T]/g, "").slice(0, 12);
  const number = h("input", { id: "f-number", maxlength: 40, required: true, value: `WB-${stamp}`, autocomplete: "off" });
  const vehicle = h(
    "select",
    { id: "f-vehicle_plate", required: true },
    opts(vehicles.map((v) => [v.plate, `${v.plate} · ${v.driver_name} · ${v.owner}`]), vehicles.length ? t("wb.pick.vehicle") : t("wb.no_vehicles")),
  );
  const driver = h("input", { id: "f-driver", maxlength: 80, autocomplete: "off" });
  const dest = h("select", { id: "f-destination_distributor_code", required: true }, opts(distributorOptions(ctx), t("wb.pick.destination")));
  const approved = h("p", { class: "hint", id: "vehicle-approved" });
  const salesperson = h(
    "select",
    { id: "f-salesperson_code", required: true },
    opts(byName(ctx.look.salespeople).map((s) => [s.code, `${s.name} · ${ctx.nameOf(ctx.look.regions, s.region_code)}`]), t("wb.pick.salesperson")),
  );
  // The route is an ordered list of regions: picked one by one, shown as marks in order.
  let route = [];
  const routeMarks = h("ol", { id: "route-list", class: "route-list" });
  const routePick = h("select", { id: "f-route-pick", "aria-label": t("wb.f.route") }, opts(byName(ctx.look.regions).map((r) => [r.code, r.name]), t("wb.pick.region")));
  const drawRoute = () => {
    clear(
      routeMarks,
      route.map((code, i) =>
        h(
          "li",
          { "data-region": code },
          ctx.regionMark(code),
          h("button", { type: "button", class: "link small", "aria-label": t("wb.route.remove"), onclick: () => ((route = route.filter((_, j) => j !== i)), drawRoute()) }, "×"),
        ),
      ),
    );
    ctx.paintMarks(routeMarks);
  };
  routePick.addEventListener("change", () => {
    if (routePick.value && !route.includes(routePick.value)) route.push(routePick.value);
    routePick.value = "";
    drawRoute();
  });
  const showApproved = () => {
    const v = vehicles.find((x) => x.plate === vehicle.value);
    const d = dest.value;
    if (v && !driver.value) driver.value = v.driver_name;
    approved.className = "hint";
    if (v && d && !v.distributor_codes.includes(d)) say(approved, "warn-text", t("tr.refusal.vehicle_not_approved_for_distributor", { plate: v.plate, dest: ctx.nameOf(ctx.look.distributors, d) }));
    else approved.textContent = v ? t("wb.approved", { list: v.distributor_codes.map((c) => ctx.nameOf(ctx.look.distributors, c)).join("、") || t("veh.none") }) : "";
  };
  vehicle.addEventListener("change", () => {
    driver.value = "";
    showApproved();
  });
  dest.addEventListener("change", () => {
    const d = ctx.look.distributors.get(dest.value);
    if (d) {
      // The destination's region ends the route, and its salesperson answers for the load.
      for (const c of d.region_codes.slice(0, 1)) if (!route.includes(c)) route.push(c);
      if (!salesperson.value || salesperson.dataset.auto) {
        salesperson.value = d.salesperson_code;
        salesperson.dataset.auto = "1";
      }
      drawRoute();
    }
    showApproved();
  });
  salesperson.addEventListener("change", () => delete salesperson.dataset.auto);
  const dispatched = h("input", { id: "f-dispatched_at", type: "datetime-local", required: true, value: localInput(now) });
  const arrival = h("input", { id: "f-expected_arrival", type: "datetime-local", required: true, value: localInput(new Date(now.getTime() + 8 * 3600_000)) });
  const issuer = h("input", { id: "f-issuer", maxlength: 80, required: true, value: ctx.me?.username || "", autocomplete: "off" });
  const cartons = h("textarea", { id: "f-carton_payloads", rows: 4, spellcheck: "false", placeholder: t("wb.cartons.placeholder") });
  const batch = h(
    "select",
    { id: "f-batch", "aria-label": t("wb.batch") },
    opts(
      batches.filter((b) => b.status === "complete" && b.level === "carton").map((b) => [String(b.id), `#${b.id} · ${ctx.nameOf(ctx.look.products, b.gtin)} · ${ctx.nameOf(ctx.look.regions, b.region_code)} · ${b.quantity}`]),
      t("wb.batch.pick"),
    ),
  );
  const batchNote = h("span", { class: "hint", id: "batch-note" });
  const count = h("span", { class: "hint", id: "carton-count" });
  const recount = () => (count.textContent = t("wb.cartons.count", { n: splitList(cartons.value).length }));
  const loadBatch = h(
    "button",
    {
      type: "button",
      class: "secondary",
      id: "load-batch",
      onclick: async () => {
        if (!batch.value) return;
        loadBatch.disabled = true;
        try {
          const page = await api(`/code-batches/${batch.value}/codes?limit=5000`);
          const have = new Set(splitList(cartons.value));
          const serials = page.items.map((c) => c.serial).filter((s) => !have.has(s));
          cartons.value = [...have, ...serials].join("\n");
          recount();
          batchNote.textContent = t("wb.batch.loaded", { n: page.items.length, more: page.next ? t("wb.batch.more") : "" });
        } catch (err) {
          batchNote.textContent = problemText(err, {}, ctx);
        } finally {
          loadBatch.disabled = false;
        }
      },
    },
    t("wb.batch.load"),
  );
  cartons.addEventListener("input", recount);
  recount();
  const form = h(
    "form",
    { id: "editor-form", "data-kind": "waybills", "data-mode": "create", novalidate: true },
    h("h2", {}, t("wb.add")),
    h(
      "div",
      { class: "form-grid" },
      field("f-number", "wb.f.number", number, { required: true }),
      field("f-vehicle_plate", "wb.f.vehicle", vehicle, { required: true, hint: "wb.vehicle.hint" }),
      field("f-driver", "wb.f.driver", driver),
      field("f-destination_distributor_code", "wb.f.destination", dest, { required: true }),
      h("div", { class: "field full" }, approved),
      field("f-route-pick", "wb.f.route", h("div", {}, routeMarks, routePick), { required: true, hint: "wb.route.hint", full: true }),
      field("f-salesperson_code", "wb.f.salesperson", salesperson, { required: true }),
      field("f-issuer", "wb.f.issuer", issuer, { required: true }),
      field("f-dispatched_at", "wb.f.dispatched", dispatched, { required: true }),
      field("f-expected_arrival", "wb.f.arrival", arrival, { required: true }),
      field("f-carton_payloads", "wb.f.payloads", h("div", {}, cartons, h("div", { class: "file-row" }, batch, loadBatch, batchNote, count)), { required: true, hint: "wb.cartons.hint", full: true }),
    ),
    message,
    h("div", { id: "waybill-result" }),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "save" }, t("wb.issue")), h("button", { type: "button", class: "secondary", onclick: () => (editor.hidden = true) }, t("admin.cancel"))),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    say(message, "", "");
    const body = {
      number: number.value.trim(),
      vehicle_plate: vehicle.value,
      destination_distributor_code: dest.value,
      route_region_codes: route,
      salesperson_code: salesperson.value,
      issuer: issuer.value.trim(),
      dispatched_at: dispatched.value ? isoWithOffset(new Date(dispatched.value)) : "",
      expected_arrival: arrival.value ? isoWithOffset(new Date(arrival.value)) : "",
      carton_payloads: splitList(cartons.value),
    };
    if (driver.value.trim()) body.driver = driver.value.trim();
    const missing = Object.entries(body).filter(([, x]) => x === "" || (Array.isArray(x) && !x.length)).map(([k]) => t(WAYBILL_LABELS[k]));
    if (missing.length) return say(message, "error", t("admin.missing", { fields: missing.join(t("list.sep")) }));
    if (new Date(arrival.value) <= new Date(dispatched.value)) return say(message, "error", t("tr.err.window"));
    try {
      const w = await api("/waybills", { method: "POST", json: body });
      editor.hidden = true;
      const warn = (w.warnings || []).length;
      ctx.flash(t("wb.issued", { number: w.number, n: w.cartons, people: w.notified_users ?? 0 }) + (warn ? ` ${t("wb.warnings", { n: warn })}` : ""));
      reload();
    } catch (err) {
      say(message, "error", problemText(err, WAYBILL_LABELS, ctx));
    }
  });
  clear(editor, form);
  drawRoute();
  editor.scrollIntoView({ behavior: "smooth", block: "start" });
  vehicle.focus({ preventScroll: true });
}

// ---- 反窜货行动组: squads and their monthly report --------------------------------------------------

const SQUAD_LABELS = {
  code: "admin.f.code",
  name: "admin.f.name",
  region_code: "squad.f.region",
  leader_distributor_code: "squad.f.leader",
  salesperson_codes: "squad.f.salespeople",
  checkpoint_codes: "squad.f.checkpoints",
  inspector_usernames: "squad.f.inspectors",
};

const REPORT_COLUMNS = ["scans", "diversions", "forged", "cloned", "price_violations", "violations", "waybill_inspections", "waybill_findings"];

export function showSquads(ctx) {
  const panel = $("panel");
  // Checkpoints by name for the form; a role or a network that cannot list them leaves codes.
  const checkpoints = fetchAll("/checkpoints").then(
    (items) => new Map(items.map((c) => [c.code, c])),
    () => new Map(),
  );
  const add = h("button", { type: "button", id: "add", onclick: async () => createSquad(ctx, await checkpoints, () => view.reload(true)) }, t("squad.add"));
  const list = h("div", { id: "list" });
  const period = h("input", { id: "report-period", type: "month", value: currentPeriod(), "aria-label": t("squad.period") });
  const csv = h("button", { type: "button", class: "secondary", id: "report-csv" }, t("squad.csv"));
  const reportNote = h("span", { class: "hint", role: "status" });
  const report = h("div", { id: "squad-report" });
  clear(
    panel,
    h("h2", {}, t("admin.kind.squads")),
    h("p", { class: "hint" }, t("squad.hint")),
    h("div", { class: "toolbar admin-toolbar" }, add),
    list,
    h("h3", {}, t("squad.report")),
    h("div", { class: "toolbar report-bar" }, h("label", { for: "report-period" }, t("squad.period")), period, csv, reportNote),
    report,
  );
  const view = pager(list, {
    load: (limit, offset) => api(`/squads?limit=${limit}&offset=${offset}`),
    render: (items) =>
      ctx.paintMarks(
        table(
          [t("admin.f.name"), t("squad.f.region"), t("squad.f.leader"), t("squad.f.salespeople"), t("squad.f.checkpoints"), t("squad.f.inspectors")],
          items.map((s) =>
            h(
              "tr",
              { "data-key": s.code },
              h("td", {}, s.name, h("span", { class: "code-note" }, s.code)),
              h("td", {}, ctx.regionMark(s.region.code)),
              h("td", {}, s.leader.name),
              h("td", {}, s.salespeople.map((x) => x.name).join("、") || "—"),
              h("td", {}, s.checkpoints.map((x) => x.name).join("、") || "—"),
              h("td", {}, inspectorNames(s)),
            ),
          ),
        ),
      ),
    empty: () => h("div", { class: "empty", "data-empty": "squads" }, h("strong", {}, t("squad.empty.h")), t("squad.empty")),
    view: () => "squads",
  });
  const showReport = async () => {
    reportNote.textContent = "";
    try {
      const rep = await api(`/squads/report?period=${encodeURIComponent(period.value || currentPeriod())}`);
      report.dataset.period = rep.period;
      clear(
        report,
        rep.items.length
          ? numbersRight(
              table(
                [t("squad.col.squad"), t("squad.f.region"), t("squad.f.leader"), ...REPORT_COLUMNS.map((c) => t(`squad.col.${c}`))],
                rep.items.map((r) =>
                  h(
                    "tr",
                    { "data-squad": r.squad_code },
                    h("td", {}, r.squad_name),
                    h("td", {}, ctx.regionMark(r.region_code)),
                    h("td", {}, ctx.nameOf(ctx.look.distributors, r.leader_distributor_code)),
                    REPORT_COLUMNS.map((c) => h("td", { class: "num", "data-col": c }, String(r[c]))),
                  ),
                ),
              ),
              ctx,
            )
          : h("div", { class: "empty", "data-empty": "report" }, h("strong", {}, t("squad.report.empty.h", { period: rep.period })), t("squad.report.empty")),
      );
    } catch (err) {
      clear(report, h("p", { class: "error" }, problemText(err, {}, ctx)));
    }
  };
  period.addEventListener("change", showReport);
  csv.addEventListener("click", async () => {
    const p = period.value || currentPeriod();
    try {
      await ctx.download(`/squads/report.csv?period=${encodeURIComponent(p)}`, `squads-${p}.csv`);
    } catch (err) {
      reportNote.textContent = problemText(err, {}, ctx);
    }
  });
  showReport();
  return { reload: () => (view.reload(), showReport()) };
}

/** The report's counts line up under their headers. */
function numbersRight(tbl, ctx) {
  for (const th of [...tbl.tHead.rows[0].cells].slice(3)) th.classList.add("num");
  return ctx.paintMarks(tbl);
}

/** The regions under `code` (itself included): a squad staffs checkpoints anywhere in them. */
function subtree(ctx, code) {
  const out = new Set([code]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of ctx.look.regions.values()) {
      if (r.parent_code && out.has(r.parent_code) && !out.has(r.code)) {
        out.add(r.code);
        grew = true;
      }
    }
  }
  return out;
}

/** The squad's inspectors by name (王建国、李强); the login shows on hover for telling namesakes apart. */
function inspectorNames(s) {
  const people = s.inspector_people || s.inspectors.map((u) => ({ username: u, display_name: u }));
  if (!people.length) return "—";
  return people.flatMap((p, i) => [i ? "、" : "", h("span", { class: "person", title: p.username, "data-username": p.username }, p.display_name)]);
}

function createSquad(ctx, checkpoints, reload) {
  const editor = $("editor");
  const code = h("input", { id: "f-code", maxlength: 40, required: true, pattern: "[A-Za-z0-9_\\-]{1,40}", autocomplete: "off", placeholder: "SQ-370100" });
  const name = h("input", { id: "f-name", maxlength: 200, required: true, autocomplete: "off" });
  const region = h("select", { id: "f-region_code", required: true }, opts(byName(ctx.look.regions).map((r) => [r.code, r.name]), t("squad.pick.region")));
  const leader = h("select", { id: "f-leader_distributor_code", required: true });
  const sales = h("select", { id: "f-salesperson_codes", multiple: true, size: 5 });
  const cps = h("select", { id: "f-checkpoint_codes", multiple: true, size: 5 });
  // Inspectors are picked by name from the user list, never typed.
  const inspectors = personPicker({ id: "f-inspector_usernames", role: "inspector", multiple: true, placeholder: t("squad.inspectors.search") });
  const fill = () => {
    const r = region.value;
    const inside = r ? subtree(ctx, r) : new Set();
    const holders = byName(ctx.look.distributors).filter((d) => d.region_codes.includes(r));
    clear(leader, opts(holders.map((d) => [d.code, d.name]), r ? (holders.length ? t("squad.pick.leader") : t("squad.no_leader")) : t("squad.pick.region_first")));
    const sp = byName(ctx.look.salespeople);
    clear(sales, opts([...sp.filter((s) => inside.has(s.region_code)), ...sp.filter((s) => !inside.has(s.region_code))].map((s) => [s.code, `${s.name} · ${ctx.nameOf(ctx.look.regions, s.region_code)}`])));
    clear(cps, opts(byName(checkpoints).filter((c) => inside.has(c.region_code)).map((c) => [c.code, `${c.name} · ${ctx.nameOf(ctx.look.regions, c.region_code)}`])));
    const rr = ctx.look.regions.get(r);
    if (rr) {
      if (!name.value || name.dataset.auto) {
        name.value = t("squad.default_name", { region: rr.name });
        name.dataset.auto = "1";
      }
      if (!code.value || code.dataset.auto) {
        code.value = `SQ-${rr.code}`;
        code.dataset.auto = "1";
      }
    }
  };
  name.addEventListener("input", () => delete name.dataset.auto);
  code.addEventListener("input", () => delete code.dataset.auto);
  region.addEventListener("change", fill);
  fill();
  const message = h("p", { id: "editor-message", role: "status" });
  const form = h(
    "form",
    { id: "editor-form", "data-kind": "squads", "data-mode": "create", novalidate: true },
    h("h2", {}, t("squad.add")),
    h(
      "div",
      { class: "form-grid" },
      field("f-region_code", "squad.f.region", region, { required: true }),
      field("f-leader_distributor_code", "squad.f.leader", leader, { required: true, hint: "squad.leader.hint" }),
      field("f-name", "admin.f.name", name, { required: true }),
      field("f-code", "admin.f.code", code, { required: true }),
      field("f-salesperson_codes", "squad.f.salespeople", sales, { hint: "admin.multi.hint" }),
      field("f-checkpoint_codes", "squad.f.checkpoints", cps, { hint: "squad.checkpoints.hint" }),
      field("f-inspector_usernames", "squad.f.inspectors", inspectors.el, { hint: "squad.inspectors.hint", full: true }),
    ),
    message,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "save" }, t("admin.create")), h("button", { type: "button", class: "secondary", onclick: () => (editor.hidden = true) }, t("admin.cancel"))),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      code: code.value.trim(),
      name: name.value.trim(),
      region_code: region.value,
      leader_distributor_code: leader.value,
      salesperson_codes: picked(sales),
      checkpoint_codes: picked(cps),
      inspector_usernames: inspectors.values(),
    };
    const missing = ["region_code", "leader_distributor_code", "name", "code"].filter((k) => !body[k]).map((k) => t(SQUAD_LABELS[k]));
    if (missing.length) return say(message, "error", t("admin.missing", { fields: missing.join(t("list.sep")) }));
    try {
      const s = await api("/squads", { method: "POST", json: body });
      editor.hidden = true;
      ctx.flash(t("admin.created", { name: s.name }));
      reload();
    } catch (err) {
      say(message, "error", problemText(err, SQUAD_LABELS, ctx));
    }
  });
  clear(editor, form);
  editor.hidden = false;
  editor.scrollIntoView({ behavior: "smooth", block: "start" });
  region.focus({ preventScroll: true });
}
