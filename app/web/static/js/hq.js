// HQ's page: the audit queue (appealed first, then open) with decide and reverse, the diversion
// map, the charts and whether the audit chain is intact.
import { api, clear, errorText, fetchAll, h, requireSession } from "./core.js";
import { drawValueByRegion, drawWeekly } from "./charts.js";
import { drawDiversionMap } from "./map.js";
import { showViolation, violationList } from "./violations.js";

const $ = (id) => document.getElementById(id);

const TABS = [
  { id: "queue", label: "待审 Queue", statuses: ["appealed", "open"] },
  { id: "appealed", label: "申诉中 Appealed", statuses: ["appealed"] },
  { id: "confirmed", label: "已确认 Confirmed", statuses: ["confirmed"] },
  { id: "dismissed", label: "已驳回 Dismissed", statuses: ["dismissed"] },
  { id: "reversed", label: "已撤销 Reversed", statuses: ["reversed"] },
  { id: "all", label: "全部 All", statuses: [] },
];

async function showChain() {
  const el = $("chain");
  try {
    const r = await api("/audit-log/verify");
    el.dataset.ok = String(r.ok);
    el.textContent = r.ok
      ? `审计链完整 Audit chain intact · ${r.entries}`
      : `审计链异常 Audit chain broken at #${r.first_bad_entry}${r.reason ? `: ${r.reason}` : ""}`;
  } catch (err) {
    el.dataset.ok = "unknown";
    el.textContent = `审计链 Audit chain: ${errorText(err)}`;
  }
}

async function showOverview() {
  let regions;
  let distributors;
  try {
    [regions, distributors] = await Promise.all([fetchAll("/regions"), fetchAll("/distributors")]);
  } catch (err) {
    clear($("map"), h("p", { class: "error" }, errorText(err)));
    return;
  }
  let violations = [];
  let problem = null;
  try {
    violations = await fetchAll("/violations", { pageSize: 500, cap: 20000 });
  } catch (err) {
    problem = h("p", { class: "error" }, `违规数据 Violations: ${errorText(err)}`);
  }
  const names = new Map(regions.map((r) => [r.code, r.name]));
  drawDiversionMap($("map"), { regions, distributors, violations });
  if (problem) $("map").prepend(problem.cloneNode(true));
  for (const id of ["chart-weekly", "chart-value"]) clear($(id), problem ? problem.cloneNode(true) : null);
  if (problem) return;
  drawWeekly($("chart-weekly"), violations);
  drawValueByRegion($("chart-value"), violations, names);
}

async function main() {
  const me = await requireSession(["hq_auditor", "admin"]);
  if (!me) return;
  $("nav-inspector").hidden = me.role !== "admin";
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
        h("strong", {}, "队列已清空"),
        "没有待审核的违规。 Nothing waiting for a decision.",
      ),
  });
  await Promise.all([showChain(), showOverview()]);
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("page-error").textContent = errorText(err);
  $("page-error").hidden = false;
});
