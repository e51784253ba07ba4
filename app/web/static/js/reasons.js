// A scan result's reason (rule + facts from the API) as a sentence in the page's language, with
// places by name: "该箱专供济南市，在聊城市被查到，无有效运单".
import { fmt, t } from "./i18n.js";
import { regionName } from "./names.js";

const place = (r) => (r ? r.name || regionName(r.code) : "—");
const places = (list) => (list && list.length ? list.map(place).join(t("list.sep")) : t("reason.nowhere"));

/** The sentence for a result, or "" when the API gave no reason (older servers, errors). */
export function explain(result) {
  const reason = result && result.reason;
  if (!reason) return "";
  const f = reason.facts || {};
  const scan = place(f.scan_region || (result.region_code ? { code: result.region_code, name: result.region_name } : null));
  switch (reason.code) {
    case "outside_territory":
      return t("reason.outside_territory", { territory: places(f.territory), scan });
    case "inside_territory":
      return t("reason.inside_territory", { territory: place(f.territory), scan });
    case "covered_by_waybill":
      return t("reason.covered_by_waybill", {
        waybill: f.waybill_number,
        route: place(f.route_region),
        until: fmt.when(f.expected_arrival),
      });
    case "impossible_travel":
      return t(f.speed_kmh == null ? "reason.impossible_travel.now" : "reason.impossible_travel", {
        ago: fmt.ago(f.minutes ?? 0),
        km: fmt.km(f.distance_km ?? 0),
        speed: fmt.speed(f.speed_kmh ?? 0),
        limit: fmt.speed(f.limit_kmh ?? 0),
      });
    case "voided_code":
    case "forged_signature":
    case "unknown_code":
    case "unreadable_code":
      return t(`reason.${reason.code}`, { scan });
    default:
      return t("reason.other", { rule: reason.code });
  }
}
