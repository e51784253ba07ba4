// HQ's page: the audit queue (appealed first, then open) with decide and reverse, the diversion
// map, the charts and whether the audit chain is intact.
import { api, clear, errorText, fetchAll, h, requireSession, t } from "./core.js";
import { loadNames } from "./names.js";
import { mountInbox } from "./inbox.js";
import { drawValueByRegion, drawWeekly } from "./charts.js";
import { drawDiversionMap } from "./map.js";
import { showViolation, violationList } from "./violations.js";
import { mountPhoneSignIn } from "./phone-signin.js";
import { showScratchedList } from "./scratched.js";

const $ = (id) => document.getElementById(id);

const TABS = [
  { id: "queue", label: t("tab.queue"), statuses: ["appealed", "open"] },
  { id: "appealed", label: t("status.appealed"), statuses: ["appealed"] },
  { id: "confirmed", label: t("status.confirmed"), statuses: ["confirmed"] },
  { id: "dismissed", label: t("status.dismissed"), statuses: ["dismissed"] },
  { id: "reversed", label: t("status.reversed"), statuses: ["reversed"] },
  { id: "all", label: t("tab.all"), statuses: [] },
];

async function showChain() {
  const el = $("chain");
  try {
    const r = await api("/audit-log/verify");
    el.dataset.ok = String(r.ok);
    el.textContent = r.ok
      ? t("hq.chain.ok", { n: r.entries })
      : t("hq.chain.bad", { id: r.first_bad_entry }) + (r.reason ? `: ${r.reason}` : "");
  } catch (err) {
    el.dataset.ok = "unknown";
    el.textContent = `${t("hq.chain")}: ${errorText(err)}`;
  }
}

async function showOverview() {
  let regions;
  let flowMap;
  try {
    [regions, flowMap] = await Promise.all([fetchAll("/regions"), api("/reports/diversion-flows")]);
  } catch (err) {
    clear($("map"), h("p", { class: "error" }, errorText(err)));
    return;
  }
  let violations = [];
  let problem = null;
  try {
    violations = await fetchAll("/violations", { pageSize: 500, cap: 20000 });
  } catch (err) {
    problem = h("p", { class: "error" }, `${t("hq.violations")}: ${errorText(err)}`);
  }
  const names = new Map(regions.map((r) => [r.code, r.name]));
  await drawDiversionMap($("map"), { regions, flowMap });
  if (problem) $("map").prepend(problem.cloneNode(true));
  for (const id of ["chart-weekly", "chart-value"]) clear($(id), problem ? problem.cloneNode(true) : null);
  if (problem) return;
  drawWeekly($("chart-weekly"), violations);
  drawValueByRegion($("chart-value"), violations, names);
}

async function main() {
  const me = await requireSession(["hq_auditor", "admin"]);
  if (!me) return;
  $("nav-inspector").hidden = $("nav-admin").hidden = me.role !== "admin";
  await loadNames();
  const detail = $("detail");
  let queue = null;
  const refresh = () => {
    if (queue) queue.reload();
    showOverview();
    showChain();
  };
  queue = violationList($("queue"), {
    tabs: TABS,
    me,
    onPick: (v) => showViolation(detail, v.id, { me, onChanged: refresh }),
    empty: () =>
      h(
        "div",
        { class: "empty", "data-empty": "violations" },
        h("strong", {}, t("hq.empty.h")),
        t("hq.empty"),
      ),
  });
  await Promise.all([
    me.role === "admin" ? mountPhoneSignIn() : null,
    showScratchedList($("scr-list")),
    showChain(),
    showOverview(),
    mountInbox({ onOpen: (item) => item.violation_id && showViolation(detail, item.violation_id, { me, onChanged: refresh }) }),
  ]);
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("page-error").textContent = errorText(err);
  $("page-error").hidden = false;
});
