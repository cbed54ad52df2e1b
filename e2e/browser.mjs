// What the Chromium tests share: starting headless Chromium with a
// profile of its own, and checks that print what held.

import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname } from "node:path";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

// opened are the browsers not closed yet.
const opened = new Set();

// run runs a test's body and exits: with status 0 when it returned, 1
// when it threw. Browsers it left open are closed.
export async function run(body) {
  let code = 0;
  try {
    await body();
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    code = 1;
  } finally {
    for (const close of [...opened]) await close();
  }
  process.exit(code);
}

// check throws unless ok, and prints what held.
export function check(ok, what) {
  if (!ok) throw new Error("check failed: " + what);
  console.log("ok   " + what);
}

// namer returns a function that names a screenshot beside shot:
// named("-nl") turns /tmp/page.png into /tmp/page-nl.png.
export function namer(shot) {
  const ext = extname(shot);
  return (suffix) => shot.slice(0, shot.length - ext.length) + suffix + ext;
}

// open starts Chromium with its own profile in a locale such as "en-US"
// or "nl-NL", which sets the browser's Accept-Language; options go to
// the browser context (javaScriptEnabled: false, say). errors collects
// script errors and answers of 400 and up, but for allowed(response).
export async function open(locale, options = {}, allowed = () => false) {
  const profile = mkdtempSync(join(tmpdir(), "ahead-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    locale,
    viewport: { width: 1366, height: 768 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    ...options,
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400 && !allowed(r)) errors.push(r.status() + " " + r.url()); });
  const close = async () => {
    opened.delete(close);
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  opened.add(close);
  return { page, errors, close };
}

// unlabelled lists the form controls of the page that have no label.
export async function unlabelled(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
      .map((el) => el.name || el.id));
}
