// HQ's "phone sign-in" panel (admin): issue a one-time sign-in QR code for a user's phone, and
// see and revoke the phones signed in that way. The person is picked by name, not typed.
import { api, clear, errorText, h, roleLabel, showItems, t, when } from "./core.js";
import { personPicker } from "./people.js";

const $ = (id) => document.getElementById(id);

function showSessions(el) {
  return showItems(el, "/sign-in/sessions?active=true", {
    cls: "sessions",
    emptyKey: "phone.sessions.empty",
    item: (s) =>
      h(
        "li",
        { "data-session": s.id },
        h(
          "span",
          {},
          h("strong", { class: "person" }, s.display_name || s.username),
          // The login beside the name, small: HQ tells two 王伟s apart by it.
          s.display_name && s.display_name !== s.username ? h("small", { class: "login mono", "data-login": s.username }, s.username) : null,
          " · ",
          roleLabel(s.role),
        ),
        h("span", { class: "hint" }, t("phone.session.times", { from: when(s.created_at), until: when(s.expires_at) })),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: async (ev) => {
              ev.target.disabled = true;
              try {
                await api(`/sign-in/sessions/${s.id}/revoke`, { method: "POST" });
              } catch (err) {
                ev.target.replaceWith(h("span", { class: "error" }, errorText(err)));
                return;
              }
              showSessions(el);
            },
          },
          t("phone.revoke"),
        ),
      ),
  });
}

export function mountPhoneSignIn() {
  const panel = $("phone-signin");
  const form = $("phone-form");
  const out = $("phone-ticket");
  const sessions = $("phone-sessions");
  panel.hidden = false;
  const picker = personPicker({ id: "phone-user", placeholder: t("phone.user.search") });
  $("phone-user").replaceWith(picker.el);
  picker.el.addEventListener("change", () => {
    out.hidden = true;
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [username] = picker.values();
    if (!username) {
      clear(out, h("p", { class: "error", role: "alert" }, t("people.pick_first")));
      out.hidden = false;
      picker.input.focus();
      return;
    }
    const who = picker.el.querySelector(`.chip[data-username="${CSS.escape(username)}"] strong`);
    const name = who ? who.textContent : username;
    try {
      const r = await api("/sign-in/tickets", { method: "POST", json: { username } });
      clear(
        out,
        h("img", { class: "qr", src: r.qr_png, alt: t("phone.qr.alt", { name }), width: 220, height: 220 }),
        h("p", {}, t("phone.ticket.for", { name, role: roleLabel(r.role), until: when(r.expires_at) })),
        h("p", { class: "hint" }, t("phone.ticket.hint")),
        h("input", { class: "mono link", readonly: true, value: r.link, "aria-label": t("phone.link") }),
      );
    } catch (err) {
      clear(out, h("p", { class: "error", role: "alert" }, errorText(err)));
    }
    out.hidden = false;
    showSessions(sessions);
  });
  $("phone-refresh").addEventListener("click", () => showSessions(sessions));
  return showSessions(sessions);
}
