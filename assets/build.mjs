// Builds build/static/ from the installed npm packages: the compiled stylesheet, the design system's
// JavaScript and images, HTMX, and our own small scripts. Run with `npm run build`.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "static");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "vk"), { recursive: true });
mkdirSync(join(out, "govuk"), { recursive: true });

const css = sass.compile(join(root, "assets", "scss", "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "vk", "app.css"), css.css);

cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk", "govuk-frontend.min.js"));
cpSync(join(govuk, "assets", "images"), join(out, "govuk", "assets", "images"), { recursive: true });
cpSync(join(root, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(out, "vk", "htmx.min.js"));
cpSync(join(root, "assets", "js"), join(out, "vk"), { recursive: true });
console.log("assets built in build/static");
