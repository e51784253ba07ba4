// The distributor's (and salesperson's) page: violation reports against and for them, the
// evidence and appeal, and their credited sales by month.
import { api, clear, currentPeriod, errorText, h, money, requireSession, table } from "./core.js";
import { showViolation, violationList } from "./violations.js";

const $ = (id) => document.getElementById(id);

const TABS = [
  { id: "all", label: "全部 All", statuses: [] },
  { id: "open", label: "待处理 Open", statuses: ["open"] },
  { id: "appealed", label: "申诉中 Appealed", statuses: ["appealed"] },
  { id: "confirmed", label: "已确认 Confirmed", statuses: ["confirmed"] },
  { id: "closed", label: "已驳回/撤销 Dismissed/Reversed", statuses: ["dismissed", "reversed"] },
];

async function showBalances(me, period) {
  const box = $("balances");
  clear(box, h("p", { class: "hint" }, "加载中… Loading…"));
  let data;
  try {
    data = await api(`/ledger/balances?period=${encodeURIComponent(period)}`);
  } catch (err) {
    clear(box, h("p", { class: "error" }, errorText(err)));
    return;
  }
  const items = data.items || [];
  if (!items.length) {
    clear(
      box,
      h(
        "p",
        { class: "empty", "data-empty": "balances" },
        h("strong", {}, `${period} 暂无记账`),
        "本月没有到货或窜货转移记账。到货（运单签收）后会在此显示。",
        h("br"),
        "Nothing was posted this month. Deliveries on your waybills show up here once received.",
      ),
    );
    return;
  }
  const mine = (b) => b.party_code === me.distributor_code || b.party_code === me.salesperson_code;
  clear(
    box,
    table(
      ["对象 Party", "编号 Code", h("span", { class: "num" }, "计入销售额 Credited sales")],
      items.map((b) =>
        h(
          "tr",
          { "data-party": b.party_code, class: mine(b) ? "selected" : "" },
          h("td", {}, b.party_type === "distributor" ? "经销商 Distributor" : "业务员 Salesperson"),
          h("td", {}, b.party_code),
          h("td", { class: "num" }, money(b.credited_sales)),
        ),
      ),
    ),
  );
}

async function main() {
  const me = await requireSession(["distributor", "salesperson"]);
  if (!me) return;
  const party = $("party");
  party.textContent = me.distributor_code ? `经销商 ${me.distributor_code}` : `业务员 ${me.salesperson_code}`;
  const path = me.distributor_code ? `/distributors/${me.distributor_code}` : `/salespeople/${me.salesperson_code}`;
  api(path)
    .then((p) => {
      party.textContent += ` ${p.name}`;
    })
    .catch(() => {}); // the code alone is enough
  const detail = $("detail");
  let list = null;
  list = violationList($("violations"), {
    tabs: TABS,
    me,
    onPick: (v) => showViolation(detail, v.id, { me, onChanged: () => list && list.reload() }),
    empty: () =>
      h(
        "div",
        { class: "empty", "data-empty": "violations" },
        h("strong", {}, "没有违规报告"),
        "目前没有涉及您的窜货记录。稽查员在您的区域发现外来货，或在外地发现您的货时，会显示在这里。",
        h("br"),
        "No reports concern you. When inspectors find your goods outside your territory, or others' goods in it, they appear here.",
      ),
  });
  const period = $("period");
  period.value = currentPeriod();
  period.addEventListener("change", () => period.value && showBalances(me, period.value));
  await showBalances(me, period.value);
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("page-error").textContent = errorText(err);
  $("page-error").hidden = false;
});
