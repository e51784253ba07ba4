// The distributor's (and salesperson's) page: violation reports against and for them, the
// evidence and appeal, their sub-customers, and their credited sales by month.
import { api, clear, currentPeriod, errorText, h, money, requireSession, t, table } from "./core.js";
import { mountInbox } from "./inbox.js";
import { loadNames, partyName } from "./names.js";
import { showSubCustomers } from "./subcustomers.js";
import { showViolation, violationList } from "./violations.js";

const $ = (id) => document.getElementById(id);

const TABS = [
  { id: "all", label: t("tab.all"), statuses: [] },
  { id: "open", label: t("status.open"), statuses: ["open"] },
  { id: "appealed", label: t("status.appealed"), statuses: ["appealed"] },
  { id: "confirmed", label: t("status.confirmed"), statuses: ["confirmed"] },
  { id: "closed", label: t("tab.closed"), statuses: ["dismissed", "reversed"] },
];

async function showBalances(me, period) {
  const box = $("balances");
  clear(box, h("p", { class: "hint" }, t("loading")));
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
        h("strong", {}, t("balances.empty.h", { period })),
        t("balances.empty"),
      ),
    );
    return;
  }
  const mine = (b) => b.party_code === me.distributor_code || b.party_code === me.salesperson_code;
  clear(
    box,
    table(
      [t("col.party"), t("col.name"), h("span", { class: "num" }, t("dist.ledger"))],
      items.map((b) =>
        h(
          "tr",
          { "data-party": b.party_code, class: mine(b) ? "selected" : "" },
          h("td", {}, t(`party.${b.party_type}`)),
          h("td", {}, partyName(b.party_code), h("div", { class: "hint mono" }, b.party_code)),
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
  const code = me.distributor_code || me.salesperson_code;
  party.textContent = `${t(me.distributor_code ? "party.distributor" : "party.salesperson.short")} ${code}`;
  $("nav-handoff").hidden = !me.distributor_code;
  const path = me.distributor_code ? `/distributors/${me.distributor_code}` : `/salespeople/${me.salesperson_code}`;
  api(path)
    .then((p) => {
      party.textContent = `${t(me.distributor_code ? "party.distributor" : "party.salesperson.short")} ${p.name}`;
    })
    .catch(() => {}); // the code alone is enough
  await loadNames();
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
        h("strong", {}, t("dist.empty.h")),
        t("dist.empty"),
      ),
  });
  const period = $("period");
  period.value = currentPeriod();
  period.addEventListener("change", () => period.value && showBalances(me, period.value));
  // Certificates are the distributor's to hand out; a salesperson sees the list only.
  await Promise.all([showBalances(me, period.value), showSubCustomers($("sub-customers"), { certificates: !!me.distributor_code })]);
  await mountInbox({ onOpen: (item) => item.violation_id && showViolation(detail, item.violation_id, { me, onChanged: () => list && list.reload() }) });
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("page-error").textContent = errorText(err);
  $("page-error").hidden = false;
});
