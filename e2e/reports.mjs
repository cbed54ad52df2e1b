// End-to-end test of the report page in headless Chromium, with
// JavaScript off: the page must work without it.
//
//   node e2e/reports.mjs BASEURL SCREENSHOT_PATH
//
// BASEURL is a running ahead that checks tokens, whose flow
// day2-reassurance-call has entrants in both arms with closed goal
// windows, fewer inbound contacts among those it contacted, and a few
// entrants whose windows are open. AHEAD_ADMIN_TOKEN is a token with the
// admin scope, AHEAD_AGENT_TOKEN one with only the agent scope. CHROMIUM
// is the browser (default /usr/bin/chromium).
//
// In English, the agent token is refused and the admin token signs in;
// the day-2 call's card shows both arms, the interval as a bar around
// zero with a text alternative, the verdict in words and the open runs
// apart; another difference to detect changes the "still needed" line;
// the flow's own page opens from its heading. Then a browser set to
// Dutch (nl-NL) signs in and reads the card in Dutch. SCREENSHOT_PATH
// gets the day-2 call's card; the same name with "-top" before the
// extension gets the top of the page as it opens, with "-flow" the flow's own page,
// with "-signin" the sign-in form and with "-nl" the Dutch card. The exit
// status is 0 only when every check held.

import { check, namer, open, run, unlabelled } from "./browser.mjs";

const [base, shot] = process.argv.slice(2);
if (!base || !shot) {
  console.error("usage: node e2e/reports.mjs BASEURL SCREENSHOT_PATH");
  process.exit(2);
}
const adminToken = process.env.AHEAD_ADMIN_TOKEN || "";
const agentToken = process.env.AHEAD_AGENT_TOKEN || "";
const named = namer(shot);
const flow = "day2-reassurance-call";
// The refused sign-in answers 401, as it should.
const refused = (r) => r.status() === 401 && r.url().endsWith("/reports/session");

async function signIn(page, label, token, button) {
  await page.getByLabel(label).fill(token);
  await page.getByRole("button", { name: button }).click();
  await page.waitForLoadState();
}

await run(async () => {
  check(adminToken !== "" && agentToken !== "", "AHEAD_ADMIN_TOKEN and AHEAD_AGENT_TOKEN are set");
  let browser = await open("en-US", { javaScriptEnabled: false }, refused);
  const { page, errors } = browser;
  await page.goto(base + "/reports");
  check(await page.getByRole("heading", { name: "Sign in to the reports" }).isVisible(), "the page asks to sign in");
  check((await page.locator(".card.report").count()) === 0, "no report before signing in");
  await page.screenshot({ path: named("-signin") });
  await signIn(page, "Admin token", agentToken, "Sign in");
  check(await page.getByRole("alert").filter({ hasText: "lacks the admin scope" }).isVisible(), "the agent token is refused");
  await signIn(page, "Admin token", adminToken, "Sign in");
  check(page.url() === base + "/reports", "signed in, back at /reports: " + page.url());
  check(await page.getByRole("heading", { level: 1, name: "Flow reports" }).isVisible(), "the report page is shown");
  check(await page.getByText("Signed in as").isVisible(), "the header says who signed in");
  check(await page.locator("html").getAttribute("lang") === "en", "the page is in English");
  await page.screenshot({ path: named("-top") });
  const missing = await unlabelled(page);
  check(missing.length === 0, "every control has a label " + JSON.stringify(missing));

  const card = page.locator("#flow-" + flow);
  check(await card.getByRole("heading", { level: 2, name: flow }).isVisible(), "the day-2 call has a card");
  const verdict = await card.locator(".verdict").innerText();
  check(/^day2-reassurance-call avoided \d+ inbound contacts per 1,000 entrants, 95% CI \d+\u2060–\u2060\d+\.$/.test(verdict), "the verdict in words: " + verdict);
  check((await card.locator(".pill").first().innerText()) === "fewer inbound contacts", "the always-valid verdict is the card's status");
  const rows = await card.locator("section").first().locator("table.arms tbody tr").allInnerTexts();
  check(rows.length === 2 && rows[0].startsWith("Contacted") && rows[1].startsWith("Holdout"), "both arms: " + JSON.stringify(rows));
  check(/1,\d{3}/.test(rows[0]) && /\d+\.\d%/.test(rows[0]), "entrants with a thousands separator and the rate as a percentage: " + rows[0]);
  const bar = card.getByRole("img", { name: /^95% interval: −\d+\.\d to −\d+\.\d points, estimate −\d+\.\d; entirely below zero\.$/ });
  check(await bar.isVisible(), "the interval is drawn, with a text alternative");
  check(await card.getByRole("img", { name: /^always-valid: / }).isVisible(), "the always-valid interval is drawn too");
  const box = await bar.boundingBox();
  const zero = await card.locator(".ci-bar .zero").first().boundingBox();
  const rect = await card.locator(".ci-bar rect.ci").first().boundingBox();
  check(box && zero && rect && rect.x + rect.width < zero.x, "the bar lies left of the zero line");
  check(await card.getByText("Detectable now (power 80%)").isVisible(), "the detectable difference is shown");
  check(await card.getByText("Still needed for 2 points").isVisible(), "the entrants still needed are shown");
  check(await card.getByRole("heading", { name: "Runs whose goal window is still open" }).isVisible(), "the open runs are apart");
  check(await card.getByText(/All their windows close by \d+ \w+ \d{4}\./).isVisible(), "the day the open windows close");
  await card.screenshot({ path: shot });

  // Plan for another difference, with the form.
  await page.getByLabel("Difference to detect").fill("5");
  await page.getByRole("button", { name: "Update" }).click();
  await page.waitForURL(/effect=5/);
  check(await page.locator("#flow-" + flow).getByText("Still needed for 5 points").isVisible(), "the form changes the difference to plan for");

  // The flow's own page.
  await page.locator("#flow-" + flow).getByRole("link", { name: flow }).click();
  await page.waitForURL(base + "/reports/flows/" + flow);
  check((await page.locator(".card.report").count()) === 1, "the flow's page shows its card alone");
  await page.screenshot({ path: named("-flow"), fullPage: true });
  // Chromium also logs the refused sign-in's 401.
  const unexpected = errors.filter((e) => !e.includes("status of 401"));
  check(unexpected.length === 0, "no errors " + JSON.stringify(unexpected));
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(base + "/reports");
  check(await page.getByRole("heading", { name: "Sign in to the reports" }).isVisible(), "signed out");
  await browser.close();

  // A browser set to Dutch.
  browser = await open("nl-NL", { javaScriptEnabled: false });
  const nl = browser;
  await nl.page.goto(base + "/reports");
  await signIn(nl.page, "Beheerderstoken", adminToken, "Inloggen");
  check(await nl.page.locator("html").getAttribute("lang") === "nl", "the page is in Dutch");
  check(await nl.page.getByRole("heading", { level: 1, name: "Flowrapporten" }).isVisible(), "the title is Dutch");
  const nlCard = nl.page.locator("#flow-" + flow);
  const nlVerdict = await nlCard.locator(".verdict").innerText();
  check(/^day2-reassurance-call voorkwam \d+ inkomende contacten per 1\.000 instromers, 95%-BI \d+\u2060–\u2060\d+\.$/.test(nlVerdict), "the verdict in Dutch: " + nlVerdict);
  check(/\d+,\d%/.test(await nlCard.locator("table.arms").first().innerText()), "Dutch rates have a decimal comma");
  await nlCard.screenshot({ path: named("-nl") });
  check(nl.errors.length === 0, "no errors in Dutch " + JSON.stringify(nl.errors));
  console.log("screenshots: " + shot);
});
