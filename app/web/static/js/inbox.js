// The inbox in every page's bar: new violations, appeals, decisions, consumer signals and route
// notifications for the signed-in user, with the unread count; opening an item marks it read.
import { NetworkError, api, clear, h, money, t, when } from "./core.js";
import { partyName, regionName } from "./names.js";

const POLL_MS = 60_000;

/** One line that says what happened, with names rather than codes. */
export function describe(item) {
  const d = item.data || {};
  const region = regionName(d.region_code);
  switch (item.kind) {
    case "violation.opened":
      return t("inbox.opened", { id: item.violation_id, region, n: d.cartons, value: money(d.value) });
    case "violation.appealed":
      return t("inbox.appealed", { id: item.violation_id, region });
    case "violation.confirmed":
    case "violation.dismissed":
    case "violation.reversed":
      return t(`inbox.${item.kind.slice(10)}`, { id: item.violation_id, region }) + (d.note ? ` · ${d.note}` : "");
    case "consumer.signal":
      return t(`inbox.signal.${d.signal}`, { region, place: regionName(d.place_region_code) });
    case "waybill.issued":
      return t("inbox.waybill", {
        number: d.number,
        plate: d.vehicle_plate,
        to: partyName(d.destination_distributor_code),
        route: (d.route_region_codes || []).map(regionName).join(" → "),
      });
    default:
      return d.subject || item.kind;
  }
}

/**
 * Put the inbox button in the page's bar. `onOpen(item)` lets a page show what an item is
 * about (HQ and distributors open the violation).
 */
export function mountInbox({ onOpen } = {}) {
  const bar = document.querySelector("header.bar");
  if (!bar || document.getElementById("inbox-btn")) return null;
  const count = h("span", { class: "inbox-count", "data-unread": "0" }, "0");
  const button = h(
    "button",
    { id: "inbox-btn", type: "button", class: "link inbox-btn", "aria-expanded": "false", "aria-controls": "inbox" },
    t("inbox.h"),
    " ",
    count,
  );
  const list = h("ol", { class: "inbox-list" });
  const panel = h(
    "section",
    { id: "inbox", class: "inbox-panel card", hidden: true, "aria-label": t("inbox.h") },
    h("div", { class: "inbox-head" }, h("h2", {}, t("inbox.h")), h("button", { type: "button", class: "secondary", "data-action": "close" }, t("inbox.close"))),
    list,
  );
  bar.insertBefore(button, document.getElementById("who"));
  bar.after(panel);
  let items = [];

  function render() {
    if (!items.length) {
      clear(list, h("li", { class: "empty", "data-empty": "inbox" }, t("inbox.empty")));
      return;
    }
    clear(
      list,
      items.map((item) =>
        h(
          "li",
          { "data-item": item.id, "data-kind": item.kind, "data-read": String(item.read) },
          h(
            "button",
            { type: "button", class: "inbox-item", onclick: () => open(item) },
            h("span", { class: "inbox-text" }, describe(item)),
            h("span", { class: "inbox-when" }, when(item.at)),
          ),
        ),
      ),
    );
  }

  async function refresh() {
    try {
      const box = await api("/inbox?limit=30");
      items = box.items;
      count.textContent = String(box.unread);
      count.dataset.unread = String(box.unread);
      render();
    } catch (err) {
      if (!(err instanceof NetworkError)) clear(list, h("li", { class: "error" }, String(err.message || err)));
    }
  }

  async function open(item) {
    if (!item.read) {
      try {
        await api(`/inbox/${encodeURIComponent(item.id)}/read`, { method: "POST" });
      } catch {
        /* marked next time */
      }
    }
    if (onOpen) onOpen(item);
    await refresh();
  }

  const toggle = (show) => {
    panel.hidden = !show;
    button.setAttribute("aria-expanded", String(show));
  };
  button.addEventListener("click", () => toggle(panel.hidden));
  panel.querySelector("[data-action=close]").addEventListener("click", () => toggle(false));
  setInterval(refresh, POLL_MS);
  return refresh();
}
