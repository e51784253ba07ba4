// Violation lists and the detail view with evidence, history, postings and the actions the
// caller's role allows: the distributor appeals its own, HQ decides and reverses.
import {
  api,
  clear,
  errorText,
  findingLabel,
  getToken,
  h,
  money,
  pager,
  statusBadge,
  statusLabel,
  t,
  table,
  verdictBadge,
  when,
} from "./core.js";
import { checkpointName, partyName, regionName } from "./names.js";

const kindLabel = (kind) => t(`kind.${kind}`);
const fmtCount = (n) => t("cartons.n", { n });

/** Which side of a violation the signed-in distributor or salesperson is on. */
export function sideOf(v, me) {
  if (me.distributor_code) {
    if (v.diverting_distributor_code === me.distributor_code) return "against";
    if (v.invaded_distributor_code === me.distributor_code) return "for";
  }
  if (me.salesperson_code) {
    if (v.diverting_salesperson_code === me.salesperson_code) return "against";
    if (v.invaded_salesperson_code === me.salesperson_code) return "for";
  }
  return null;
}

export function sideBadge(side) {
  if (side === "against") return h("span", { class: "badge side-against", "data-side": side }, t("side.against"));
  if (side === "for") return h("span", { class: "badge side-for", "data-side": side }, t("side.for"));
  return null;
}

/** The rows of a violations table; `onPick(v)` opens one. */
export function violationTable(items, { me, onPick, selectedId }) {
  const showSide = me && (me.distributor_code || me.salesperson_code);
  const rows = items.map((v) =>
    h(
      "tr",
      {
        class: `clickable${v.id === selectedId ? " selected" : ""}`,
        "data-violation-id": v.id,
        tabindex: 0,
        onclick: () => onPick(v),
        onkeydown: (ev) => ev.key === "Enter" && onPick(v),
      },
      h("td", {}, `#${v.id}`),
      h("td", {}, statusBadge(v.status), v.kind === "cloned" ? h("div", { class: "hint" }, kindLabel("cloned")) : null),
      showSide ? h("td", {}, sideBadge(sideOf(v, me))) : null,
      h("td", {}, regionName(v.region_code)),
      h(
        "td",
        {},
        v.diverting_distributor_code ? partyName(v.diverting_distributor_code) : "—",
        h("div", { class: "hint" }, `→ ${v.invaded_distributor_code ? partyName(v.invaded_distributor_code) : "—"}`),
      ),
      h("td", { class: "num" }, money(v.value), h("div", { class: "hint" }, t("cartons.n", { n: v.cartons ?? (v.carton_serials || []).length }))),
      h("td", { class: "nowrap" }, when(v.detected_at)),
    ),
  );
  return table(
    [
      t("col.id"),
      t("col.status"),
      showSide ? t("col.side") : null,
      t("col.found_in"),
      t("col.parties"),
      h("span", { class: "num" }, t("col.value")),
      t("col.detected"),
    ].filter(Boolean),
    rows,
  );
}

/**
 * A status-tabbed, paged violations list. `statuses` maps a tab id to the statuses it shows;
 * several statuses are read one after the other as if they were one list.
 */
export function violationList(container, { tabs, me, onPick, empty }) {
  let current = tabs[0];
  let selectedId = null;
  const tabBar = h(
    "div",
    { class: "tabs", role: "tablist" },
    tabs.map((t) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          "data-tab": t.id,
          "aria-selected": String(t === current),
          onclick: (ev) => {
            current = t;
            for (const b of tabBar.children) b.setAttribute("aria-selected", String(b === ev.currentTarget));
            list.reload(true);
          },
        },
        t.label,
      ),
    ),
  );
  const body = h("div");
  clear(container, tabBar, body);

  async function load(limit, offset) {
    const statuses = current.statuses.length ? current.statuses : [null];
    const items = [];
    let total = 0;
    let skip = offset;
    for (const status of statuses) {
      const q = status ? `status=${status}&` : "";
      const want = limit - items.length;
      const page = await api(`/violations?${q}limit=${Math.max(want, 1)}&offset=${Math.max(skip, 0)}`);
      total += page.total;
      if (want > 0 && skip < page.total) items.push(...page.items.slice(0, want));
      skip = Math.max(0, skip - page.total);
    }
    return { items, total };
  }

  const list = pager(body, {
    load,
    view: () => current.id,
    pageSize: 20,
    empty,
    render: (items) =>
      violationTable(items, {
        me,
        selectedId,
        onPick: (v) => {
          selectedId = v.id;
          for (const tr of body.querySelectorAll("tr[data-violation-id]"))
            tr.classList.toggle("selected", tr.dataset.violationId === String(v.id));
          onPick(v);
        },
      }),
  });
  return list;
}

function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

function party(distributor, salesperson) {
  if (!distributor && !salesperson) return t("party.none");
  return [distributor ? partyName(distributor) : "—", salesperson ? ` · ${t("party.salesperson", { name: partyName(salesperson) })}` : ""].join("");
}

function evidenceTable(scans) {
  if (!scans.length) return h("p", { class: "empty" }, t("evidence.none"));
  const photos = scans.some((s) => s.photo_sha256);
  const prices = scans.some((s) => s.observed_price);
  return table(
    [t("col.scanned"), t("col.where"), t("col.serial"), t("col.verdict"), prices ? t("col.price") : null, photos ? t("col.photo") : null].filter(Boolean),
    scans.map((s) =>
      h(
        "tr",
        { "data-scan-id": s.id },
        h("td", {}, when(s.scanned_at)),
        h(
          "td",
          {},
          [s.checkpoint_code ? checkpointName(s.checkpoint_code) : null, s.region_code ? regionName(s.region_code) : null].filter(Boolean).join(" · ") || "—",
          s.lat != null ? h("div", { class: "hint" }, `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`) : null,
          s.device_id ? h("div", { class: "hint" }, t("evidence.device", { id: s.device_id })) : null,
        ),
        h("td", { class: "mono" }, s.serial || s.payload),
        h("td", {}, verdictBadge(s.verdict), (s.findings || []).map((f) => h("div", { class: "error" }, findingLabel(f)))),
        prices ? h("td", { class: "num" }, s.observed_price ? money(s.observed_price) : "—") : null,
        photos ? h("td", { class: "mono hint", title: s.photo_sha256 || "" }, s.photo_sha256 ? photoButton(s.photo_sha256) : "—") : null,
      ),
    ),
  );
}

/** A button that fetches the evidence photo with the caller's token and shows it in place. */
function photoButton(sha) {
  const box = h("div", { class: "photo-box" });
  const button = h("button", { type: "button", class: "secondary", "data-photo": sha }, t("photo.view", { id: sha.slice(0, 8) }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const res = await fetch(`/api/v1/scans/photos/${sha}`, {
        headers: { Authorization: `Bearer ${getToken()}` },
        cache: "no-store",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const url = URL.createObjectURL(await res.blob());
      clear(box).append(h("img", { src: url, alt: t("photo.alt", { id: sha.slice(0, 8) }), class: "evidence-photo" }));
      button.remove();
    } catch (err) {
      clear(box).append(h("span", { class: "error" }, t("photo.unavailable", { message: err.message })));
      button.disabled = false;
    }
  });
  return h("div", {}, button, box);
}

function timeline(events) {
  if (!events.length) return h("p", { class: "hint" }, t("history.none"));
  return h(
    "ol",
    { class: "timeline" },
    events.map((e) =>
      h(
        "li",
        { "data-to-status": e.to_status },
        h("strong", {}, when(e.at)),
        " ",
        e.from_status ? `${statusLabel(e.from_status)} → ` : "",
        statusLabel(e.to_status),
        ` · ${e.actor_name || e.actor}`,
        e.note ? h("div", {}, t("history.note", { note: systemNote(e.note) })) : null,
        e.evidence ? h("div", { class: "hint" }, t("history.evidence", { evidence: e.evidence })) : null,
      ),
    ),
  );
}

function postingsTable(postings) {
  if (!postings.length) return h("p", { class: "hint" }, t("postings.none"));
  return table(
    [t("col.posted"), t("col.memo"), t("col.party"), t("col.account"), h("span", { class: "num" }, t("col.amount"))],
    postings.flatMap((p) =>
      p.lines.map((l, i) =>
        h(
          "tr",
          { "data-entry-id": p.entry_id },
          h("td", {}, i === 0 ? when(p.posted_at) : ""),
          h("td", {}, i === 0 ? `${p.memo}${p.reverses_entry_id ? ` (${t("postings.reversal")})` : ""}` : ""),
          h("td", {}, `${t(`party.${l.party_type}`)} ${partyName(l.party_code)}`),
          h("td", {}, l.kind),
          h("td", { class: "num" }, money(l.amount)),
        ),
      ),
    ),
  );
}

function actionForm({ title, fields, buttons, onSubmit }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "action-form" }, h("h3", {}, title), fields, h("div", { class: "actions" }, buttons), error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const action = ev.submitter ? ev.submitter.value : "";
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    error.hidden = true;
    try {
      await onSubmit(action, new FormData(form));
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      for (const b of form.querySelectorAll("button")) b.disabled = false;
    }
  });
  return form;
}

function actionsFor(v, me, reload) {
  const path = `/violations/${v.id}`;
  const forms = [];
  const mine = me.distributor_code && v.diverting_distributor_code === me.distributor_code;
  if (me.role === "distributor" && mine && v.status === "open") {
    const open = !v.appeal_deadline || new Date(v.appeal_deadline) > new Date();
    forms.push(
      open
        ? actionForm({
            title: t("appeal.h", { until: when(v.appeal_deadline) }),
            fields: [
              h("label", { for: "appeal-reason" }, t("appeal.reason")),
              h("textarea", { id: "appeal-reason", name: "reason", required: true, maxlength: 2000 }),
              h("label", { for: "appeal-evidence" }, t("appeal.evidence")),
              h("input", { id: "appeal-evidence", name: "evidence", maxlength: 4000 }),
            ],
            buttons: [h("button", { type: "submit", value: "appeal" }, t("appeal.submit"))],
            onSubmit: async (_a, data) => {
              const body = { reason: String(data.get("reason")).trim() };
              const evidence = String(data.get("evidence") || "").trim();
              if (evidence) body.evidence = evidence;
              await api(`${path}/appeal`, { method: "POST", json: body });
              await reload();
            },
          })
        : h("p", { class: "hint" }, t("appeal.closed")),
    );
  }
  if (me.role === "hq_auditor" && (v.status === "open" || v.status === "appealed")) {
    forms.push(
      actionForm({
        title: v.status === "appealed" ? t("decide.appeal") : t("decide.h"),
        fields: [
          h("label", { for: "decide-note" }, t("decide.note")),
          h("textarea", { id: "decide-note", name: "note", maxlength: 2000 }),
        ],
        buttons: [
          h("button", { type: "submit", class: "danger", value: "confirm" }, t("decide.confirm")),
          h("button", { type: "submit", class: "secondary", value: "dismiss" }, t("decide.dismiss")),
        ],
        onSubmit: async (decision, data) => {
          await api(`${path}/decide`, { method: "POST", json: { decision, note: String(data.get("note") || "").trim() } });
          await reload();
        },
      }),
    );
  }
  if (me.role === "hq_auditor" && v.status === "confirmed") {
    forms.push(
      actionForm({
        title: t("reverse.h"),
        fields: [
          h("label", { for: "reverse-note" }, t("reverse.why")),
          h("textarea", { id: "reverse-note", name: "note", required: true, maxlength: 2000 }),
        ],
        buttons: [h("button", { type: "submit", class: "secondary", value: "reverse" }, t("reverse.submit"))],
        onSubmit: async (_a, data) => {
          await api(`${path}/reverse`, { method: "POST", json: { note: String(data.get("note") || "").trim() } });
          await reload();
        },
      }),
    );
  }
  return forms;
}

/** Load violation `id` into `container` with what the caller may do; `onChanged` after an action. */
export async function showViolation(container, id, { me, onChanged }) {
  clear(container, h("p", { class: "hint" }, t("loading")));
  let v;
  try {
    v = await api(`/violations/${id}`);
  } catch (err) {
    clear(container, h("p", { class: "error" }, errorText(err)));
    return;
  }
  const reload = async () => {
    await showViolation(container, id, { me, onChanged });
    if (onChanged) onChanged();
  };
  container.dataset.violationId = String(v.id);
  container.dataset.status = v.status;
  clear(
    container,
    h("h2", {}, t("violation.h", { id: v.id }), " ", statusBadge(v.status), " ", sideBadge(sideOf(v, me))),
    facts([
      [t("f.kind"), kindLabel(v.kind)],
      [t("col.found_in"), regionName(v.region_code)],
      [t("f.diverting"), party(v.diverting_distributor_code, v.diverting_salesperson_code)],
      [t("f.invaded"), party(v.invaded_distributor_code, v.invaded_salesperson_code)],
      [t("f.cartons"), fmtCount(v.cartons ?? v.carton_serials.length)],
      [t("col.value"), money(v.value)],
      [t("f.fine"), v.fine != null ? `${money(v.fine)}${v.fine_reason ? ` (${v.fine_reason})` : ""}` : null],
      [t("f.advisory"), v.advisory ? t("f.advisory.yes") : null],
      [t("col.detected"), when(v.detected_at)],
      [t("f.appeal_until"), v.appeal_deadline ? when(v.appeal_deadline) : null],
      [t("f.policy"), v.policy_version],
      [t("f.serials"), h("span", { class: "mono" }, (v.carton_serials || []).join(", "))],
    ]),
    actionsFor(v, me, reload),
    h("h3", {}, t("evidence.h")),
    evidenceTable(v.evidence || []),
    h("h3", {}, t("history.h")),
    timeline(v.events || []),
    h("h3", {}, t("postings.h")),
    postingsTable(v.postings || []),
  );
  // On a phone the details sit below the list: bring them into view.
  if (container.getBoundingClientRect().top > window.innerHeight) container.scrollIntoView({ block: "start" });
}

// Notes the service writes itself ("opened by a diversion scan") are shown in the reader's language.
function systemNote(note) {
  const opened = /^opened by a (\w+) scan$/.exec(note);
  return opened ? t("history.opened_by", { kind: t(`kind.${opened[1]}`) }) : note;
}
