// Copies the prebuilt distributions Kefu serves into kefu/static/vendor/ (gitignored).
// Plain copies: every package here ships a minified build, so no bundler is needed.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "kefu", "static", "vendor");

const files = {
  "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
  "@tabler/core/dist/css/tabler.min.css.map": "tabler/tabler.min.css.map",
  "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
  "@tabler/core/dist/js/tabler.min.js.map": "tabler/tabler.min.js.map",
  "@tabler/icons-webfont/dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.woff": "tabler-icons/fonts/tabler-icons.woff",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf": "tabler-icons/fonts/tabler-icons.ttf",
  "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
};

rmSync(out, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(out, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(modules, from), target);
}
console.log(`copied ${Object.keys(files).length} files to ${out}`);
