// The browser's barcode reader: ZXing-C++ compiled to WebAssembly (zxing-wasm, reader build).
// The .wasm file sits next to this bundle and is loaded from our own server, never a CDN.
import { prepareZXingModule, readBarcodes, ZXING_WASM_VERSION } from "zxing-wasm/reader";

const WASM_URL = new URL("./zxing_reader.wasm", import.meta.url).href;

prepareZXingModule({
  overrides: {
    locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM_URL : prefix + path),
  },
  fireImmediately: false,
});

export { readBarcodes, ZXING_WASM_VERSION };
