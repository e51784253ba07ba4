// "我的下级客户": the distributor's own 二批, terminal wholesalers and shops, with what each holds,
// its credit score (信誉测评) and how fast goods reach it, and its dealer certificate when approved.
import { clear, errorText, fetchAll, fmt, getToken, h, t, table } from "./core.js";
import { regionName } from "./names.js";

const STATUS_TONE = { pending: "wait", approved: "green", revoked: "grey" };

function statusBadge(status) {
  const tone = STATUS_TONE[status] || "grey";
  return h("span", { class: `badge tone-${tone}`, "data-sc-status": status }, t(`sc.status.${status}`));
}

function creditCell(sc) {
  const score = h("span", { class: "sc-score" }, t("sc.score", { score: fmt.number(sc.credit_score) }));
  const warning = sc.revocation_recommended
    ? h("span", { class: "badge tone-red", "data-revoke": "recommended", title: t("sc.revoke.hint") }, t("sc.revoke"))
    : null;
  const violations = sc.violations ? h("div", { class: "hint" }, t("sc.violations", { n: fmt.number(sc.violations) })) : null;
  return h("div", { class: "sc-credit" }, score, " ", warning, violations);
}

/** A span of hours for people ("23 小时", "2 天"); none yet when nothing was received. */
function sellThrough(hours) {
  if (hours === null || hours === undefined) return h("span", { class: "hint" }, t("sc.sellthrough.none"));
  return fmt.duration(hours * 60);
}

/**
 * The certificate is behind the bearer token: fetch it as a blob and open that. The tab is opened
 * at the tap (a phone blocks a window opened after an await) and pointed at the PDF once it is here.
 */
function certificateButton(code) {
  const note = h("span", { class: "error", role: "alert" });
  const button = h("button", { type: "button", class: "secondary", "data-certificate": code }, t("sc.certificate"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    note.textContent = "";
    const tab = window.open("", "_blank");
    try {
      const res = await fetch(`/api/v1/sub-customers/${encodeURIComponent(code)}/certificate.pdf`, {
        headers: { Authorization: `Bearer ${getToken()}` },
        cache: "no-store",
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const url = URL.createObjectURL(new Blob([await res.blob()], { type: "application/pdf" }));
      if (tab) tab.location.href = url;
      else location.assign(url); // no new tab allowed: show it here, back returns to the page
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      if (tab) tab.close();
      note.textContent = t("sc.certificate.failed", { message: err.message });
    } finally {
      button.disabled = false;
    }
  });
  return h("div", {}, button, note);
}

function row(sc, { certificates }) {
  return h(
    "tr",
    { "data-sub-customer": sc.code, "data-sc-status": sc.status },
    h("td", {}, h("div", {}, h("strong", {}, sc.name), h("div", { class: "hint" }, t(`sc.tier.${sc.tier}`)))),
    h("td", {}, regionName(sc.region_code)),
    h("td", {}, statusBadge(sc.status)),
    h("td", { class: "num", "data-cartons": sc.cartons_held }, fmt.number(sc.cartons_held)),
    h("td", {}, creditCell(sc)),
    h("td", { "data-hours": sc.sell_through_hours ?? "" }, sellThrough(sc.sell_through_hours)),
    h(
      "td",
      {},
      certificates && sc.status === "approved"
        ? certificateButton(sc.code)
        : h("span", { class: "hint" }, t(sc.status === "approved" ? "sc.certificate.ask" : `sc.certificate.${sc.status}`)),
    ),
  );
}

/** Draw the caller's sub-customers into `box`; `certificates`: whether the role may download them. */
export async function showSubCustomers(box, { certificates = true } = {}) {
  clear(box, h("p", { class: "hint" }, t("loading")));
  let items;
  try {
    items = await fetchAll("/sub-customers");
  } catch (err) {
    clear(box, h("p", { class: "error" }, errorText(err)));
    return;
  }
  if (!items.length) {
    clear(
      box,
      h("div", { class: "empty", "data-empty": "sub-customers" }, h("strong", {}, t("sc.empty.h")), t("sc.empty")),
    );
    return;
  }
  clear(
    box,
    table(
      [
        t("col.name"),
        t("sc.col.region"),
        t("col.status"),
        h("span", { class: "num" }, t("sc.col.cartons")),
        t("sc.col.credit"),
        t("sc.col.sellthrough"),
        t("sc.col.certificate"),
      ],
      items.map((sc) => row(sc, { certificates })),
    ),
  );
}
