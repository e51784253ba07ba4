// The message catalog every page uses: zh-CN first, English one tap away. A small lookup of our
// own: the pages need key -> sentence with {named} values and the browser's Intl for numbers,
// money, units and relative times; an i18n library would add size and loaders and nothing else.

const LANG_KEY = "cg.lang";
export const LANGS = ["zh-CN", "en"];

async function load(lang) {
  const res = await fetch(`/static/i18n/${lang}.json`);
  if (!res.ok) throw new Error(`catalog ${lang}: HTTP ${res.status}`);
  return res.json();
}

function stored() {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return LANGS.includes(v) ? v : "zh-CN";
  } catch {
    return "zh-CN";
  }
}

let current = stored();
const catalogs = { "zh-CN": await load("zh-CN") };
if (current !== "zh-CN") catalogs[current] = await load(current).catch(() => null);
if (!catalogs[current]) current = "zh-CN";

export const lang = () => current;

/** The sentence for `key` with `{name}` filled from `params`; Chinese, then the key, as fallbacks. */
export function t(key, params = {}) {
  const text = catalogs[current]?.[key] ?? catalogs["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined || params[name] === null ? m : String(params[name])));
}

/** Whether the catalog has `key` (for labels of values the server may add later). */
export const has = (key) => key in (catalogs[current] || {}) || key in catalogs["zh-CN"];

export function setLang(next) {
  localStorage.setItem(LANG_KEY, next);
  location.reload();
}

/** Fill every [data-i18n] (text) and [data-i18n-ATTR] (attribute) under `root`. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("*")) {
    for (const attr of el.getAttributeNames()) {
      if (attr.startsWith("data-i18n-")) el.setAttribute(attr.slice("data-i18n-".length), t(el.getAttribute(attr)));
    }
  }
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
  const toggle = document.getElementById("lang");
  if (toggle) {
    const other = current === "zh-CN" ? "en" : "zh-CN";
    toggle.textContent = other === "en" ? "English" : "中文";
    toggle.setAttribute("lang", other);
    toggle.dataset.lang = current;
    toggle.onclick = () => setLang(other);
  }
}

// ---- formatting for people ----------------------------------------------------------------------

const nf = (opts) => new Intl.NumberFormat(current, opts);

export const fmt = {
  number: (n, digits = 0) => nf({ maximumFractionDigits: digits }).format(n),
  km: (n) => nf({ style: "unit", unit: "kilometer", maximumFractionDigits: n < 10 ? 1 : 0 }).format(n),
  speed: (n) => nf({ style: "unit", unit: "kilometer-per-hour", maximumFractionDigits: 0 }).format(n),
  /** A span of minutes: "38 分钟", "2 小时 5 分钟", "3 天". */
  duration(minutes) {
    const m = Math.max(0, Math.round(minutes));
    const unit = (value, u) => nf({ style: "unit", unit: u, unitDisplay: "long" }).format(value);
    if (m < 1) return unit(Math.round(minutes * 60), "second");
    if (m < 60) return unit(m, "minute");
    if (m < 48 * 60) return [unit(Math.floor(m / 60), "hour"), m % 60 ? unit(m % 60, "minute") : ""].filter(Boolean).join(" ");
    return unit(Math.round(m / 1440), "day");
  },
  /** "38 分钟前" / "38 minutes ago" for a number of minutes in the past. */
  ago(minutes) {
    const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
    const m = Math.round(minutes);
    if (Math.abs(minutes) < 1) return rtf.format(-Math.round(minutes * 60), "second");
    if (Math.abs(m) < 60) return rtf.format(-m, "minute");
    if (Math.abs(m) < 48 * 60) return rtf.format(-Math.round(m / 60), "hour");
    return rtf.format(-Math.round(m / 1440), "day");
  },
  since: (iso, now = Date.now()) => fmt.ago((now - new Date(iso).getTime()) / 60000),
  /** A decimal money string as currency, exact (Intl formats the decimal string itself). */
  money(value) {
    const s = String(value ?? "").trim();
    if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
    return nf({ style: "currency", currency: "CNY", currencyDisplay: "narrowSymbol" }).format(s);
  },
  when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(current, { hour12: false });
  },
};
