// Pick people by name, not by typing usernames: a search box over GET /users (HQ and admin)
// that lists each person's name (their own, else the party they act for), role and login, and keeps the picked
// ones as chips. Used by HQ's phone sign-in (one person) and admin's squad form (inspectors).
import { api, clear, errorText, h, onSearch, roleLabel, t } from "./core.js";

const PAGE = 20;
const DEBOUNCE_MS = 200;

/** A person as the page names them: their display name; the login only when it differs. */
export function personLabel(u) {
  return u.display_name || u.username;
}

/**
 * `personPicker({id, role, multiple})` → {el, input, values(), clear(), set(users)}.
 * `values()` are the picked usernames (what the API takes); people only ever see names.
 */
export function personPicker({ id, role = "", multiple = false, placeholder = "" }) {
  const picked = new Map();
  const input = h("input", {
    id,
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    enterkeyhint: "search",
    placeholder: placeholder || t("people.search"),
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": `${id}-list`,
  });
  const list = h("ul", { id: `${id}-list`, class: "picker-list", role: "listbox", hidden: true });
  const chips = h("div", { id: `${id}-picked`, class: "picker-chips", "aria-live": "polite" });
  const el = h("div", { class: `picker${multiple ? " multi" : ""}`, "data-picked": "0" }, chips, input, list);
  let seq = 0;
  let quiet = false; // focus given back after a pick: the list stays closed until typing

  function renderChips() {
    el.dataset.picked = String(picked.size);
    clear(
      chips,
      [...picked.values()].map((u) =>
        h(
          "span",
          { class: "chip", "data-username": u.username },
          h("strong", {}, personLabel(u)),
          h("span", { class: "chip-role" }, roleLabel(u.role)),
          h(
            "button",
            {
              type: "button",
              class: "chip-x",
              "aria-label": t("people.remove", { name: personLabel(u) }),
              onclick: () => {
                picked.delete(u.username);
                renderChips();
                el.dispatchEvent(new Event("change"));
              },
            },
            "×",
          ),
        ),
      ),
    );
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function pick(u) {
    // A search still waiting or in flight must not reopen the list over the form.
    cancelSearch();
    seq += 1;
    if (!multiple) picked.clear();
    picked.set(u.username, u);
    renderChips();
    input.value = "";
    close();
    el.dispatchEvent(new Event("change"));
    if (multiple) {
      quiet = true;
      input.focus();
      quiet = false;
    }
  }

  function option(u) {
    const chosen = picked.has(u.username);
    // A named person who acts for a firm or shop: the firm too, so HQ knows whose staff it is.
    const party = u.name && u.party_name ? u.party_name : null;
    const detail = [roleLabel(u.role), party, u.display_name !== u.username ? u.username : null].filter(Boolean).join(" · ");
    return h(
      "li",
      { role: "option", "aria-selected": String(chosen) },
      h(
        "button",
        { type: "button", "data-username": u.username, disabled: chosen, onclick: () => pick(u) },
        h("strong", {}, personLabel(u)),
        h("span", { class: "hint" }, detail),
      ),
    );
  }

  async function load(after = null) {
    const mine = ++seq;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (role) q.set("role", role);
    if (input.value.trim()) q.set("q", input.value.trim());
    if (after) q.set("after", after);
    let page;
    try {
      page = await api(`/users?${q}`);
    } catch (err) {
      if (mine !== seq) return;
      clear(list, h("li", { class: "error" }, errorText(err)));
      list.hidden = false;
      return;
    }
    if (mine !== seq) return; // a later keystroke asked again
    if (!after) clear(list);
    else list.querySelector("li.more")?.remove();
    const items = page.items || [];
    if (!items.length && !after) list.append(h("li", { class: "empty" }, t("people.none")));
    for (const u of items) list.append(option(u));
    if (page.next) {
      list.append(
        h("li", { class: "more" }, h("button", { type: "button", class: "link", onclick: () => load(page.next) }, t("people.more"))),
      );
    }
    list.hidden = false;
    list.dataset.q = input.value.trim();
    input.setAttribute("aria-expanded", "true");
  }

  const cancelSearch = onSearch(input, () => load(), { wait: DEBOUNCE_MS });
  input.addEventListener("focus", () => quiet || load());
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") close();
    if (ev.key === "Enter") {
      // Enter picks the only match, as a person expects; it never submits the form half-done.
      ev.preventDefault();
      const only = list.querySelectorAll("button[data-username]:not([disabled])");
      if (only.length === 1) only[0].click();
    }
  });
  document.addEventListener("click", (ev) => {
    if (!el.contains(ev.target)) close();
  });

  return {
    el,
    input,
    values: () => [...picked.keys()],
    clear: () => {
      picked.clear();
      renderChips();
    },
    set: (users) => {
      picked.clear();
      for (const u of users) picked.set(u.username, u);
      renderChips();
    },
  };
}
