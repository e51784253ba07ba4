// Violation lists and the detail view with evidence, history, postings and the actions the
// caller's role allows: the distributor appeals its own, HQ decides and reverses.
import {
  FINDINGS,
  STATUSES,
  api,
  clear,
  errorText,
  getToken,
  h,
  money,
  pager,
  statusBadge,
  table,
  verdictBadge,
  when,
} from "./core.js";

const KINDS = { diversion: "窜货 Diversion", cloned: "克隆码 Cloned code" };

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
  if (side === "against") return h("span", { class: "badge side-against", "data-side": side }, "我方窜出 Against you");
  if (side === "for") return h("span", { class: "badge side-for", "data-side": side }, "我方受侵 In your favour");
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
      h("td", {}, statusBadge(v.status), v.kind === "cloned" ? h("div", { class: "hint" }, KINDS.cloned) : null),
      showSide ? h("td", {}, sideBadge(sideOf(v, me))) : null,
      h("td", {}, v.region_code),
      h("td", { class: "nowrap" }, v.diverting_distributor_code || "—", h("div", { class: "hint" }, `→ ${v.invaded_distributor_code || "—"}`)),
      h("td", { class: "num" }, money(v.value), h("div", { class: "hint" }, `${v.cartons ?? (v.carton_serials || []).length} 箱`)),
      h("td", { class: "nowrap" }, when(v.detected_at)),
    ),
  );
  return table(
    [
      "编号 ID",
      "状态 Status",
      showSide ? "我方 Side" : null,
      "发现区域 Found in",
      "窜出 → 受侵 Diverting → invaded",
      h("span", { class: "num" }, "货值 Value"),
      "发现时间 Detected",
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
  if (!distributor && !salesperson) return "— (无 none)";
  return [distributor || "—", salesperson ? ` · 业务员 ${salesperson}` : ""].join("");
}

function evidenceTable(scans) {
  if (!scans.length) return h("p", { class: "empty" }, "没有扫码证据 No scan evidence");
  const photos = scans.some((s) => s.photo_sha256);
  return table(
    ["时间 Scanned", "监督站/区域 Where", "序列号 Serial", "结论 Verdict", "观察价 Price", photos ? "照片 Photo" : null].filter(Boolean),
    scans.map((s) =>
      h(
        "tr",
        { "data-scan-id": s.id },
        h("td", {}, when(s.scanned_at)),
        h(
          "td",
          {},
          [s.checkpoint_code, s.region_code].filter(Boolean).join(" · ") || "—",
          s.lat != null ? h("div", { class: "hint" }, `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`) : null,
          s.device_id ? h("div", { class: "hint" }, `设备 ${s.device_id}`) : null,
        ),
        h("td", { class: "mono" }, s.serial || s.payload),
        h("td", {}, verdictBadge(s.verdict), (s.findings || []).map((f) => h("div", { class: "error" }, FINDINGS[f] || f))),
        h("td", { class: "num" }, s.observed_price ? money(s.observed_price) : "—"),
        photos ? h("td", { class: "mono hint", title: s.photo_sha256 || "" }, s.photo_sha256 ? photoButton(s.photo_sha256) : "—") : null,
      ),
    ),
  );
}

/** A button that fetches the evidence photo with the caller's token and shows it in place. */
function photoButton(sha) {
  const box = h("div", { class: "photo-box" });
  const button = h("button", { type: "button", class: "secondary", "data-photo": sha }, `查看 View ${sha.slice(0, 8)}`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const res = await fetch(`/api/v1/scans/photos/${sha}`, {
        headers: { Authorization: `Bearer ${getToken()}` },
        cache: "no-store",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const url = URL.createObjectURL(await res.blob());
      clear(box).append(h("img", { src: url, alt: `证据照片 evidence photo ${sha.slice(0, 8)}`, class: "evidence-photo" }));
      button.remove();
    } catch (err) {
      clear(box).append(h("span", { class: "error" }, `照片无法加载 Photo unavailable (${err.message})`));
      button.disabled = false;
    }
  });
  return h("div", {}, button, box);
}

function timeline(events) {
  if (!events.length) return h("p", { class: "hint" }, "暂无记录 No history yet");
  return h(
    "ol",
    { class: "timeline" },
    events.map((e) =>
      h(
        "li",
        { "data-to-status": e.to_status },
        h("strong", {}, when(e.at)),
        " ",
        e.from_status ? `${STATUSES[e.from_status] || e.from_status} → ` : "",
        STATUSES[e.to_status] || e.to_status,
        ` · ${e.actor}`,
        e.note ? h("div", {}, `说明 Note: ${e.note}`) : null,
        e.evidence ? h("div", { class: "hint" }, `证据 Evidence: ${e.evidence}`) : null,
      ),
    ),
  );
}

function postingsTable(postings) {
  if (!postings.length) return h("p", { class: "hint" }, "尚无记账 Nothing posted to the ledger yet");
  return table(
    ["时间 Posted", "说明 Memo", "对象 Party", "账户 Account", h("span", { class: "num" }, "金额 Amount")],
    postings.flatMap((p) =>
      p.lines.map((l, i) =>
        h(
          "tr",
          { "data-entry-id": p.entry_id },
          h("td", {}, i === 0 ? when(p.posted_at) : ""),
          h("td", {}, i === 0 ? `${p.memo}${p.reverses_entry_id ? " (冲正 reversal)" : ""}` : ""),
          h("td", {}, `${l.party_type === "distributor" ? "经销商" : "业务员"} ${l.party_code}`),
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
            title: `申诉 Appeal (截止 until ${when(v.appeal_deadline)})`,
            fields: [
              h("label", { for: "appeal-reason" }, "申诉理由 Reason"),
              h("textarea", { id: "appeal-reason", name: "reason", required: true, maxlength: 2000 }),
              h("label", { for: "appeal-evidence" }, "证据（可选，如送货单号） Evidence (optional, e.g. a delivery note number)"),
              h("input", { id: "appeal-evidence", name: "evidence", maxlength: 4000 }),
            ],
            buttons: [h("button", { type: "submit", value: "appeal" }, "提交申诉 Submit appeal")],
            onSubmit: async (_a, data) => {
              const body = { reason: String(data.get("reason")).trim() };
              const evidence = String(data.get("evidence") || "").trim();
              if (evidence) body.evidence = evidence;
              await api(`${path}/appeal`, { method: "POST", json: body });
              await reload();
            },
          })
        : h("p", { class: "hint" }, "申诉期已过 The appeal window has closed"),
    );
  }
  if (me.role === "hq_auditor" && (v.status === "open" || v.status === "appealed")) {
    forms.push(
      actionForm({
        title: v.status === "appealed" ? "裁定申诉 Rule on the appeal" : "审核 Decide",
        fields: [
          h("label", { for: "decide-note" }, "审核意见 Note"),
          h("textarea", { id: "decide-note", name: "note", maxlength: 2000 }),
        ],
        buttons: [
          h("button", { type: "submit", class: "danger", value: "confirm" }, "确认违规 Confirm"),
          h("button", { type: "submit", class: "secondary", value: "dismiss" }, "驳回 Dismiss"),
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
        title: "撤销（冲正） Reverse",
        fields: [
          h("label", { for: "reverse-note" }, "撤销原因 Why"),
          h("textarea", { id: "reverse-note", name: "note", required: true, maxlength: 2000 }),
        ],
        buttons: [h("button", { type: "submit", class: "secondary", value: "reverse" }, "撤销并冲正 Reverse")],
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
  clear(container, h("p", { class: "hint" }, "加载中… Loading…"));
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
    h("h2", {}, `违规单 Violation #${v.id} `, statusBadge(v.status), " ", sideBadge(sideOf(v, me))),
    facts([
      ["类型 Kind", KINDS[v.kind] || v.kind],
      ["发现区域 Found in", v.region_code],
      ["窜出方 Diverting party", party(v.diverting_distributor_code, v.diverting_salesperson_code)],
      ["受侵方 Invaded party", party(v.invaded_distributor_code, v.invaded_salesperson_code)],
      ["箱数 Cartons", String(v.cartons ?? v.carton_serials.length)],
      ["货值 Value", money(v.value)],
      ["罚款 Fine", v.fine != null ? `${money(v.fine)}${v.fine_reason ? ` (${v.fine_reason})` : ""}` : null],
      ["仅作提示 Advisory", v.advisory ? "是：该市场不处罚、不转移 Yes: recorded only, no fine or transfer" : null],
      ["发现时间 Detected", when(v.detected_at)],
      ["申诉截止 Appeal until", v.appeal_deadline ? when(v.appeal_deadline) : null],
      ["规则版本 Policy", v.policy_version],
      ["箱码 Carton serials", h("span", { class: "mono" }, (v.carton_serials || []).join(", "))],
    ]),
    actionsFor(v, me, reload),
    h("h3", {}, "扫码证据 Evidence"),
    evidenceTable(v.evidence || []),
    h("h3", {}, "处理记录 History"),
    timeline(v.events || []),
    h("h3", {}, "记账 Ledger postings"),
    postingsTable(v.postings || []),
  );
  // On a phone the details sit below the list: bring them into view.
  if (container.getBoundingClientRect().top > window.innerHeight) container.scrollIntoView({ block: "start" });
}
