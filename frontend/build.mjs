// Builds the vendored browser libraries into app/web/static/vendor/ (the files are committed, so
// installing ChannelGuard needs no npm). Run: npm ci && npm run build
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "app", "web", "static", "vendor");
mkdirSync(out, { recursive: true });

const zxing = JSON.parse(readFileSync(join(here, "node_modules", "zxing-wasm", "package.json"), "utf8"));

await build({
  entryPoints: [join(here, "scanner-entry.js")],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "eof",
  outfile: join(out, "zxing-reader.js"),
  banner: { js: `/* zxing-wasm ${zxing.version} (${zxing.license}), bundled by frontend/build.mjs */` },
});
copyFileSync(join(here, "node_modules", "zxing-wasm", "dist", "reader", "zxing_reader.wasm"), join(out, "zxing_reader.wasm"));
copyFileSync(join(here, "node_modules", "zxing-wasm", "LICENSE"), join(out, "zxing-wasm.LICENSE.txt"));

// Apache ECharts for the HQ map and charts: only the chart types the pages use (charts-entry.js).
const echartsPkg = JSON.parse(readFileSync(join(here, "node_modules", "echarts", "package.json"), "utf8"));
await build({
  entryPoints: [join(here, "charts-entry.js")],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "eof",
  outfile: join(out, "echarts.js"),
  banner: { js: `/* Apache ECharts ${echartsPkg.version} (${echartsPkg.license}), bundled by frontend/build.mjs */` },
});
copyFileSync(join(here, "node_modules", "echarts", "LICENSE"), join(out, "echarts.LICENSE.txt"));
copyFileSync(join(here, "node_modules", "echarts", "NOTICE"), join(out, "echarts.NOTICE.txt"));

writeFileSync(
  join(out, "versions.json"),
  JSON.stringify(
    {
      "zxing-wasm": { version: zxing.version, license: zxing.license, files: ["zxing-reader.js", "zxing_reader.wasm"] },
      echarts: { version: echartsPkg.version, license: echartsPkg.license, files: ["echarts.js"] },
    },
    null,
    2,
  ) + "\n",
);
console.log(`vendor: zxing-wasm ${zxing.version}, echarts ${echartsPkg.version} -> ${out}`);
