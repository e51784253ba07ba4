// Sign in with a pasted API token: ask the API who it belongs to, then open that role's page.
import { api, ApiError, NetworkError, cachedMe, errorText, getToken, homeFor, setSession, signOut, t } from "./core.js";

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
      signOut();
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

// Already signed in: go straight to the right page.
if (getToken()) signIn(getToken());
