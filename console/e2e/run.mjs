// End-to-end: the console in Debian's Chromium (playwright-core, no downloaded
// browser) against the local stack that `make run` starts, on ports of its own.
// Every screen is checked with axe-core (no serious or critical violations) and
// saved as a screenshot under console/test-results.
import { spawn } from "node:child_process";
import { mkdirSync, copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = path.join(root, "console/test-results");
mkdirSync(out, { recursive: true });
const api = "127.0.0.1:3280";
const base = `http://${api}`;
const executablePath = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
if (!executablePath) {
  console.error("e2e: Chromium is not installed (apt-get install chromium; .ci/run does it)");
  process.exit(1);
}

const stack = spawn("go", ["run", "./infra/local", "-api", api, "-lambda", "127.0.0.1:3281", "-aws", "127.0.0.1:4680", "-directory", "127.0.0.1:4681", "-schedule-every", "3s"], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
  detached: true,
});
const stop = () => {
  try {
    process.kill(-stack.pid, "SIGINT");
  } catch {}
};
process.on("exit", stop);

async function waitForStack() {
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(base + "/v1/health");
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the local stack did not start");
}

function expect(cond, what) {
  if (!cond) throw new Error("expected: " + what);
}

const checked = [];
async function screen(page, name) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector('[role="status"]'), null, { timeout: 10000 }).catch(() => {});
  await page.screenshot({ path: path.join(out, name + ".png"), fullPage: true });
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    throw new Error(`axe on ${name}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("; "));
  }
  checked.push(name);
}

const pages = [];
async function signIn(browser, handle) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  pages.push([handle, page]);
  page.on("pageerror", (e) => console.error(`[${handle}] page error:`, e.message));
  page.on("console", (m) => m.type() === "error" && console.error(`[${handle}] console:`, m.text()));
  await page.goto(base + "/");
  await page.click(`button[data-handle="${handle}"]`);
  await page.waitForSelector("header.top");
  return page;
}

// go moves within the console (a full page load would sign out: tokens live in memory).
async function go(page, to) {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, to);
  await settled(page);
}

// settled waits until no screen says it is loading.
async function settled(page) {
  await page.waitForTimeout(100);
  await page.waitForFunction(() => !document.querySelector('[role="status"]'), null, { timeout: 15000 });
}

// until reads the screen again (leaving and coming back) until fn holds.
async function until(page, fn, what, tries = 60) {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return;
    await page.waitForTimeout(1000);
    const here = await page.evaluate(() => location.pathname + location.search);
    await go(page, "/notifications");
    await go(page, here);
  }
  throw new Error("timed out waiting for " + what);
}

let failed = false;
try {
  await waitForStack();
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });

  // Sign-in: the development sign-in lists the seeded users.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(base + "/clients");
    await page.waitForSelector('button[data-handle="admin"]');
    const csp = (await page.request.get(base + "/")).headers()["content-security-policy"];
    expect(csp && csp.includes("script-src 'self'"), "a strict Content-Security-Policy");
    await screen(page, "01-sign-in");
    await ctx.close();
  }

  // The real sign-in: authorization code with PKCE against the local issuer's
  // authorization server (as against Cognito or an IdP), ID token in memory.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(base + "/");
    await page.click("button.primary:has-text('Sign in')");
    await page.waitForURL(/\/local-issuer\/authorize/);
    expect(page.url().includes("code_challenge_method=S256"), "the authorization request carries a PKCE challenge");
    await page.click('button[value="owner"]');
    await page.waitForSelector("header.top:has-text('owner')", { timeout: 15000 }).catch(() => {});
    await page.waitForSelector("header.top");
    expect(new URL(page.url()).pathname === "/clients", "back at the console after the code exchange");
    expect(await page.evaluate(() => Object.keys(localStorage).length === 0), "no token in localStorage");
    await ctx.close();
  }

  // Admin: clients, then a client through the five steps; the API's 422 shows on its field.
  const admin = await signIn(browser, "admin");
  await admin.waitForSelector("text=Acme Outdoor");
  expect(await admin.isVisible("text=New Client"), "admins see New Client");
  await screen(admin, "02-clients");
  // Keyboard: the first Tab reaches the skip link, which takes focus to the content.
  await admin.keyboard.press("Tab");
  expect(await admin.evaluate(() => document.activeElement?.className === "skip"), "Tab reaches the skip link first");
  await admin.keyboard.press("Enter");
  expect(await admin.evaluate(() => document.activeElement?.id === "main"), "the skip link moves focus to the content");
  await admin.click("text=New Client");
  await admin.fill("input[name=name]", "Tessellate Coffee");
  await admin.fill("textarea[name=description]", "Roastery and cafés");
  await admin.click("button:has-text('Next')");
  await admin.click("button:has-text('Next')");
  await admin.click("button:has-text('Next')");
  await admin.fill('input[name="contacts[0].name"]', "Tom Tech");
  await admin.fill('input[name="contacts[0].email"]', "tom-at-tessellate");
  await admin.click("button:has-text('Next')");
  await screen(admin, "03-new-client-team");
  await admin.click("button:has-text('Create')");
  await admin.waitForSelector(".field-error");
  expect(await admin.isVisible('input[name="contacts[0].email"][aria-invalid="true"]'), "the bad email is marked on its field, on its step");
  await screen(admin, "04-new-client-error");
  await admin.fill('input[name="contacts[0].email"]', "tom@tessellate.example");
  await admin.click("button:has-text('Next')");
  await admin.click("button:has-text('Create')");
  await admin.waitForSelector("h1:has-text('Tessellate Coffee')");
  const newClientURL = admin.url().replace(/\/requests$/, "");
  // Add the Workspace platform.
  await admin.click("nav[aria-label='Client sections'] >> text=Platforms");
  await admin.selectOption("#add-platform", { label: "Google Workspace (northwind.example) (operational)" });
  await admin.click("button:has-text('Add platform')");
  await admin.waitForSelector("td:has-text('Google Workspace (northwind.example)')");
  await screen(admin, "05-client-platforms");

  // The client user asks for access.
  const casey = await signIn(browser, "clientUser");
  await casey.waitForSelector("h1:has-text('My access')");
  await casey.waitForSelector("select[name=platformId] option:has-text('Google Ads (MCC)')", { state: "attached" });
  await casey.selectOption("select[name=platformId]", { label: "Google Ads (MCC)" });
  await casey.fill("textarea[name=justification]", "Run the spring campaign");
  await casey.click("button:has-text('Submit request')");
  await casey.waitForSelector(".card:has-text('Run the spring campaign')");
  await screen(casey, "06-client-user");

  // The admin approves; it reaches Provisioned; the credential is revealed; Activity has it.
  await admin.click("nav[aria-label=Main] >> text=Clients");
  await admin.click("text=Acme Outdoor");
  await admin.waitForSelector(".card:has-text('Run the spring campaign')");
  await screen(admin, "07-access-requests");
  const card = admin.locator(".card:has-text('Run the spring campaign')");
  await card.locator("input").fill("Campaign approved");
  await card.locator("button:has-text('Approve')").click();
  await admin.waitForSelector(".card:has-text('Run the spring campaign')", { state: "detached" });
  await go(admin, new URL(admin.url()).pathname + "?status=provisioned");
  await until(admin, () => admin.isVisible(".card:has-text('Run the spring campaign')"), "the request to be provisioned");
  await admin.click("nav[aria-label='Client sections'] >> text=Identities");
  await admin.waitForSelector("button:has-text('Reveal credential')");
  await admin.click("button:has-text('Reveal credential')");
  await admin.waitForSelector("[data-secret]");
  expect((await admin.textContent("[data-secret]")).length >= 12, "a revealed password");
  await screen(admin, "08-identities");
  await admin.click("nav[aria-label='Client sections'] >> text=Effective Access");
  await admin.waitForSelector("table.matrix");
  await admin.click("table.matrix button.cell >> nth=0");
  await admin.waitForSelector(".derivation");
  await screen(admin, "09-effective-access");
  await admin.click("nav[aria-label='Client sections'] >> text=Governance");
  await screen(admin, "10-governance");
  await admin.click("nav[aria-label='Client sections'] >> text=Activity");
  await until(admin, () => admin.isVisible("td:has-text('credential')"), "the reveal in Activity", 20);
  // Absolute times on a client's screens are in the client's timezone (Acme: Europe/London).
  expect(await admin.isVisible("td:has-text('GMT')"), "activity times in the client's timezone");
  await screen(admin, "11-activity");

  // A member sees no admin actions.
  const member = await signIn(browser, "member");
  await member.waitForSelector("text=Acme Outdoor");
  expect(!(await member.isVisible("text=New Client")), "members see no New Client");
  expect(!(await member.isVisible("nav[aria-label=Main] >> text=Settings")), "members see no Settings");
  await member.click("text=Acme Outdoor");
  await member.waitForSelector("nav[aria-label='Client sections']");
  expect(!(await member.isVisible("button:has-text('Approve')")), "members see no Approve");
  expect(!(await member.isVisible("summary:has-text('Actions')")), "members see no Offboard");
  await screen(member, "12-member-view");

  // Settings and notifications.
  await go(admin, "/settings/members");
  await admin.waitForSelector("text=Adam Admin");
  await screen(admin, "13-settings");
  await admin.click("nav[aria-label='Settings sections'] >> text=Integrations");
  await admin.waitForSelector("h2:has-text('Webhooks')");
  await screen(admin, "13b-integrations");
  await go(admin, "/notifications");
  await screen(admin, "14-notifications");

  // Offboard the new client: a wrong name shows the problem's detail; the right one runs it.
  await go(admin, new URL(newClientURL).pathname + "/offboarding");
  await admin.fill("input[name=confirmName]", "Tessellate");
  await admin.click("button:has-text('Offboard and archive')");
  await admin.waitForSelector(".problem:has-text('validation_failed')");
  expect(await admin.isVisible(".field-error:has-text('exactly as shown')"), "the problem's detail on its field");
  await screen(admin, "15-offboarding-error");
  await admin.fill("input[name=confirmName]", "Tessellate Coffee");
  await admin.click("button:has-text('Offboard and archive')");
  await until(admin, () => admin.isVisible("h2:has-text('Progress') .badge-done"), "offboarding to finish");
  await screen(admin, "16-offboarding-done");

  // Back and forward work on deep links.
  const offboardingPath = new URL(admin.url()).pathname;
  await go(admin, "/clients");
  await admin.goBack();
  await settled(admin);
  expect(new URL(admin.url()).pathname === offboardingPath && (await admin.isVisible("h1:has-text('Offboard Tessellate Coffee')")), "Back returns to the offboarding screen");
  await admin.goForward();
  await settled(admin);
  expect(await admin.isVisible("h1:has-text('Clients')"), "Forward returns to the clients");
  await browser.close();
  // The README's screenshots, refreshed on request (UPDATE_SCREENSHOTS=1 make test-e2e).
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    for (const name of ["02-clients", "04-new-client-error", "07-access-requests", "08-identities", "09-effective-access", "06-client-user"]) {
      mkdirSync(path.join(root, "docs/screenshots"), { recursive: true });
      copyFileSync(path.join(out, name + ".png"), path.join(root, "docs/screenshots", name + ".png"));
    }
  }
  console.log(`e2e: the whole flow passed; axe found no serious or critical violation on ${checked.length} screens (${checked.join(", ")})`);
} catch (e) {
  failed = true;
  console.error("e2e FAILED:", e.message);
  for (const [handle, page] of pages) {
    await page.screenshot({ path: path.join(out, `failed-${handle}.png`), fullPage: true }).catch(() => {});
  }
} finally {
  stop();
}
process.exit(failed ? 1 : 0);
