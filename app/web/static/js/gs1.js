// What a carton code says by itself, read in the browser so that an offline phone can judge
// provisionally: serial (AI 21) and region (AI 91) from a Digital Link URI or an element string
// in any form a reader sends. Only the server can check the signature (AI 92).
const GS = "\x1d";

/** {gtin, serial, region} or null when the text is not one of our carton codes. */
export function parseCarton(raw) {
  let text = String(raw || "").replace(/[\r\n]+$/, "").trim();
  text = text.replace(/^\][A-Za-z]\d/, ""); // symbology identifier: ]C1, ]Q3, ]d2
  // GS1 Digital Link: https://host/01/GTIN/21/SERIAL?91=REGION&92=SIG
  const dl = /\/01\/(\d{14})\/21\/([0-9A-Za-z%_-]+)(?:\?(.*))?$/.exec(text);
  if (dl) {
    const q = new URLSearchParams(dl[3] || "");
    const region = q.get("91");
    return region ? { gtin: dl[1], serial: decodeURIComponent(dl[2]), region } : null;
  }
  // Human-readable element string: (01)…(21)…(91)…(92)…
  if (text.startsWith("(")) {
    const ai = {};
    for (const m of text.matchAll(/\((\d{2,4})\)([^(]*)/g)) ai[m[1]] = m[2];
    return ai["01"] && ai["21"] && ai["91"] ? { gtin: ai["01"], serial: ai["21"], region: ai["91"] } : null;
  }
  // Raw element string: 01 + 14 digits, then 21 SERIAL GS 91 REGION GS 92 SIG (GS may be missing).
  const m = /^01(\d{14})21([0-9A-Z]{10,20})\x1d?91([A-Za-z0-9_-]{1,40}?)\x1d?92[A-Z0-9]{1,8}-[A-Z2-7]{16}$/.exec(text);
  if (m) return { gtin: m[1], serial: m[2], region: m[3] };
  const loose = new RegExp(`^01(\\d{14})21([0-9A-Z]{10,20})${GS}91([A-Za-z0-9_-]{1,40})(?:${GS}|$)`).exec(text);
  return loose ? { gtin: loose[1], serial: loose[2], region: loose[3] } : null;
}
