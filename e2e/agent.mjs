// End-to-end test of the agent desk in headless Chromium.
//
//   node e2e/agent.mjs BASEURL SCREENSHOT_PATH
//
// BASEURL is a running ahead with two callable callbacks in the retention
// queue: "Anna de Vries" first, then "Daan Bakker". AHEAD_AGENT_TOKEN is
// the agent token when the server checks tokens. CHROMIUM is the browser
// (default /usr/bin/chromium).
//
// In English, it signs in, claims the next callback (Anna's), checks the
// customer, talking points and timeline, records "reached" with a note by
// keyboard and checks that the timeline shows it. Then a browser set to
// Dutch (nl-NL) signs in, claims Daan's callback, checks that the desk
// speaks Dutch and records "Geen gehoor" (no answer) by keyboard.
// SCREENSHOT_PATH gets Anna's claimed callback; the same name with
// "-queues" and "-recorded" before the extension gets the queues page and
// the page after the outcome, and with "-nl" and "-queues-nl" the Dutch
// callback and queues pages. The exit status is 0 only when every check
// held.

import { check, namer, open, run, unlabelled } from "./browser.mjs";

const [base, shot] = process.argv.slice(2);
if (!base || !shot) {
  console.error("usage: node e2e/agent.mjs BASEURL SCREENSHOT_PATH");
  process.exit(2);
}
const token = process.env.AHEAD_AGENT_TOKEN || "";
const named = namer(shot);

// signIn signs in with the desk's words for the token, the name and the
// button: with tokens checked the token names the agent; without, the
// agent types a name.
async function signIn(page, words) {
  await page.goto(base + "/agent");
  if (await page.locator("#token").count()) {
    check(token !== "", "the server asks for a token and AHEAD_AGENT_TOKEN is set");
    await page.getByLabel(words.token).fill(token);
  } else {
    await page.getByLabel(words.name).fill("Evi Jansen");
  }
  await page.getByRole("button", { name: words.signIn }).click();
  await page.waitForURL(base + "/agent");
  check(await page.getByText(words.signedIn).isVisible(), "signed in: " + words.signedIn);
}

await run(async () => {
  let browser = await open("en-US");
  const { page, errors } = browser;
  await signIn(page, { token: "Agent token", name: "Your name", signIn: "Sign in", signedIn: "Signed in as" });
  check(await page.locator("html").getAttribute("lang") === "en", "the page is in English");

  // Every control has a label.
  const missing = await unlabelled(page);
  check(missing.length === 0, "every control on the queues page has a label " + JSON.stringify(missing));

  await page.screenshot({ path: named("-queues"), fullPage: true });

  // Pick the queue and claim the next callback.
  await page.getByLabel("Queue", { exact: true }).selectOption("retention");
  await page.getByRole("button", { name: /Claim next/ }).click();
  await page.waitForURL(/\/agent\/callbacks\//);
  check((await page.locator("h1").innerText()).includes("Anna de Vries"), "the claimed callback is Anna's");
  const points = await page.locator(".points").innerText();
  check(points.trim().length > 20, "the talking points are shown: " + JSON.stringify(points.slice(0, 60)));
  check(await page.locator('a[href^="tel:"]').first().isVisible(), "the phone number is a tel: link");
  check((await page.locator("#timeline").innerText()).includes("call: claimed"), "the timeline shows the claim");
  check(await page.locator("#outcome").isVisible(), "the outcome form is shown to the holder");
  const labelsOK = await page.evaluate(() =>
    [...document.querySelectorAll("#outcome input:not([type=hidden]), #outcome textarea")]
      .every((el) => el.labels && el.labels.length > 0));
  check(labelsOK, "every control of the outcome form has a label");
  await page.screenshot({ path: shot, fullPage: true });

  // Record "reached" by keyboard: 1 chooses it, n goes to the note, Ctrl+Enter records.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("1");
  check(await page.locator("#o-reached").isChecked(), "the key 1 chooses reached");
  await page.keyboard.press("n");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "note"), "the key n goes to the note");
  await page.keyboard.type("Happy with the family plan; asked when the first invoice comes.");
  await page.keyboard.press("Control+Enter");
  await page.waitForURL(/recorded=reached/);
  check(await page.getByRole("status").filter({ hasText: "Recorded: Reached." }).isVisible(), "the page confirms the outcome");
  const timeline = await page.locator("#timeline").innerText();
  check(timeline.includes("call: reached"), "the timeline shows the outcome");
  check(timeline.includes("Happy with the family plan"), "the timeline shows the note's summary");
  check(!(await page.locator("#outcome").count()), "the outcome form is gone once the callback ended");
  check(errors.length === 0, "no script errors " + JSON.stringify(errors));
  await page.screenshot({ path: named("-recorded"), fullPage: true });
  await browser.close();

  // A browser set to Dutch gets the desk in Dutch.
  browser = await open("nl-NL");
  const nl = browser;
  await signIn(nl.page, { token: "Agenttoken", name: "Je naam", signIn: "Inloggen", signedIn: "Ingelogd als" });
  check(await nl.page.locator("html").getAttribute("lang") === "nl", "the page is in Dutch");
  check(await nl.page.getByRole("heading", { name: "Terugbelwachtrijen" }).isVisible(), "the queues page speaks Dutch");
  await nl.page.screenshot({ path: named("-queues-nl"), fullPage: true });
  await nl.page.getByLabel("Wachtrij", { exact: true }).selectOption("retention");
  await nl.page.getByRole("button", { name: /Volgende oppakken/ }).click();
  await nl.page.waitForURL(/\/agent\/callbacks\//);
  check((await nl.page.locator("h1").innerText()).includes("Daan Bakker"), "the next callback is Daan's");
  const labels = await nl.page.locator("#outcome label[for^=o-]").allInnerTexts();
  check(JSON.stringify(labels.map((l) => l.replace(/^\d\s*/, "").trim())) ===
    JSON.stringify(["Bereikt", "Geen gehoor", "Voicemail", "Later terugbellen", "Afgewezen", "Verkeerd nummer"]),
    "the outcomes are in Dutch " + JSON.stringify(labels));
  check((await nl.page.locator("#timeline").innerText()).includes("terugbellen: opgepakt"), "the timeline shows the claim in Dutch");
  await nl.page.screenshot({ path: named("-nl"), fullPage: true });
  await nl.page.locator("body").click({ position: { x: 5, y: 5 } });
  await nl.page.keyboard.press("2");
  check(await nl.page.locator("#o-no_answer").isChecked(), "the key 2 chooses Geen gehoor");
  await nl.page.keyboard.press("n");
  await nl.page.keyboard.type("Voicemail vol; morgen opnieuw.");
  await nl.page.keyboard.press("Control+Enter");
  await nl.page.waitForURL(/recorded=no_answer/);
  check(await nl.page.getByRole("status").filter({ hasText: "Vastgelegd: Geen gehoor." }).isVisible(), "the page confirms the outcome in Dutch");
  check((await nl.page.locator("#timeline").innerText()).includes("terugbellen: geen gehoor"), "the timeline shows the outcome in Dutch");
  check(nl.errors.length === 0, "no script errors in Dutch " + JSON.stringify(nl.errors));
  console.log("screenshots: " + shot);
});
