// Sign in with a pasted API token, or with a one-time link from HQ (/signin#ticket=…, opened by
// scanning its QR code on the phone): ask the API who it is, then open that role's page.
import { api, ApiError, NetworkError, cachedMe, endedReason, errorText, getToken, homeFor, retrySignOuts, setSession, t, takeEnded } from "./core.js";

const form = document.getElementById("sign-in-form");
const input = document.getElementById("token");
const error = document.getElementById("sign-in-error");

async function signIn(token) {
  error.hidden = true;
  try {
    const me = await api("/me", { token });
    setSession(token, me);
    location.assign(homeFor(me.role));
  } catch (err) {
    const stored = token === getToken();
    // Offline with a known identity: the inspector page works from its cache.
    if (err instanceof NetworkError && stored && cachedMe()) {
      location.assign(homeFor(cachedMe().role));
      return;
    }
    if (err instanceof ApiError && err.status === 401 && stored) {
      // The session on this phone has ended: forget it and say why, here.
      localStorage.removeItem("cg.token");
      localStorage.removeItem("cg.me");
      showEnded({ reason: endedReason(err.detail) });
      return;
    }
    error.textContent =
      err instanceof ApiError && err.status === 401 ? t("signin.invalid") : errorText(err);
    error.hidden = false;
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = input.value.trim();
  if (token) signIn(token);
});

// The button stays disabled until this script listens: a form sent natively would put the token
// into the address bar.
form.querySelector("button[type=submit]").disabled = false;
document.body.dataset.ready = "true";

/** The ticket of a one-time sign-in link, taken out of the address bar so it is not kept in
 * the history or shown on screen. */
function takeTicket() {
  const params = new URLSearchParams(location.hash.slice(1));
  const ticket = params.get("ticket");
  if (ticket) history.replaceState(null, "", location.pathname);
  return ticket;
}

const LINK_ERRORS = { 401: "signin.link.invalid", 409: "signin.link.used", 410: "signin.link.expired" };

async function signInWithLink(ticket) {
  const card = document.getElementById("link-card");
  const status = document.getElementById("link-status");
  const problem = document.getElementById("link-error");
  card.hidden = false;
  try {
    // No bearer token: the ticket is the credential; a stale session must not ride along.
    const res = await api("/sign-in/exchange", { method: "POST", json: { ticket }, token: "" });
    setSession(res.token, res.me);
    status.textContent = t("signin.link.done", { name: res.me.display_name || res.me.username });
    location.assign(homeFor(res.me.role));
  } catch (err) {
    status.hidden = true;
    const key = err instanceof ApiError ? LINK_ERRORS[err.status] : null;
    problem.textContent = key ? t(key) : errorText(err);
    problem.hidden = false;
    document.body.dataset.linkError = key ? key.split(".").pop() : "other";
  }
}

/** Why the phone is back here: signed out, or its session expired or was revoked by HQ. */
async function showEnded(ended) {
  const el = document.getElementById("signin-ended");
  if (!ended || !["signed_out", "expired", "revoked", "invalid"].includes(ended.reason)) return;
  let key = `signin.ended.${ended.reason}`;
  if (ended.reason === "signed_out") {
    // Said only once the server has answered: ended there, or to be told when back online.
    const done = await retrySignOuts();
    if (!done) {
      key = "signin.ended.signed_out_offline";
      window.addEventListener("cg-signed-out", () => {
        el.textContent = t("signin.ended.signed_out");
        document.body.dataset.signedOut = "server";
      });
    }
    document.body.dataset.signedOut = done ? "server" : "phone";
  }
  el.textContent = t(key);
  el.className = ended.reason === "signed_out" ? "notice" : "error";
  el.hidden = false;
  document.body.dataset.ended = ended.reason;
}

showEnded(takeEnded());

const ticket = takeTicket();
if (ticket) {
  // A new link replaces whoever was signed in on this phone.
  signInWithLink(ticket);
} else if (getToken()) {
  // Already signed in: go straight to the right page.
  signIn(getToken());
}
