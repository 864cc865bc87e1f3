// End-to-end test of the MigrateIQ web UI against a real stack, in Debian's Chromium.
//
// Starts, in a fresh temporary MIGRATEIQ_VAR_DIR: migrations, the demo upstream API
// (manage.py demo_api, slowed down so a running sync can be seen), the demo data (seed_demo, a
// viewer and a colleague in another tenant, invited later), the web server (runserver on a free port) and a
// Celery worker on the embedded filesystem broker, so syncs run in the background as in
// production; builds the UI; then walks through it (see main()). axe-core (bundled from
// node_modules, nothing downloaded) checks every page and state visited and any violation fails
// the run. Screenshots go to $E2E_SCREENSHOT_DIR (default frontend/e2e/screenshots/, git-ignored).
// Every process it starts is stopped on the way out; the whole run is bounded by
// E2E_TIMEOUT_SECONDS (default 600, as scripts/test.sh sets: a hang guard).
//
//   node e2e/run-e2e.mjs            (from frontend/; or `npm run e2e`)
//   E2E_PORTS=9310-9319 npm run e2e (its servers on ports of that range only)

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { adminPages, startReceiver } from "./admin-pages.mjs";
import { dataOut, DESTINATION_ALLOWLIST } from "./data-out.mjs";

const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(FRONTEND, "..");
const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");
const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.E2E_SCREENSHOT_DIR ?? path.join(FRONTEND, "e2e", "screenshots");
const TIMEOUT_SECONDS = Number(process.env.E2E_TIMEOUT_SECONDS ?? 600);
const AXE_SOURCE = readFileSync(path.join(FRONTEND, "node_modules", "axe-core", "axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

const started = Date.now();
const children = [];
let browser = null;
let currentPage = null;
let varDir = null;
let receiver = null;

function log(message) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

async function cleanup() {
  if (browser) {
    await browser.close().catch(() => {});
    browser = null;
  }
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, "SIGTERM"); // the child's whole process group
    } catch {
      // already gone
    }
    const exited = await Promise.race([
      new Promise((resolve) => child.once("exit", () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    if (!exited) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  if (receiver) {
    await receiver.close().catch(() => {});
    receiver = null;
  }
  if (varDir) {
    rmSync(varDir, { recursive: true, force: true });
    varDir = null;
  }
}

const deadline = setTimeout(async () => {
  console.error(`[e2e] FAILED: took longer than ${TIMEOUT_SECONDS} s`);
  await cleanup();
  process.exit(1);
}, TIMEOUT_SECONDS * 1000);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await cleanup();
    process.exit(130);
  });
}

// E2E_PORTS=9310-9319 takes the ports of the servers it starts (web, demo upstream, webhook
// receiver) from that range, the first free ones, for a machine where several stacks run side by
// side with a range each; without it, any free port the system gives.
const PORT_RANGE = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORTS ?? "");
let nextInRange = PORT_RANGE ? Number(PORT_RANGE[1]) : 0;

function listenOn(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}

async function freePort() {
  if (!PORT_RANGE) return listenOn(0);
  while (nextInRange <= Number(PORT_RANGE[2])) {
    const port = nextInRange++;
    try {
      return await listenOn(port);
    } catch {
      // taken: the next one
    }
  }
  throw new Error(`E2E_PORTS ${process.env.E2E_PORTS}: no free port left in the range`);
}

function stackEnv(extra) {
  const env = { ...process.env, ...extra };
  // The embedded default (SQLite, local cache, no broker) under the temporary var dir.
  for (const name of ["DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"]) delete env[name];
  return env;
}

function manage(env, args) {
  const result = spawnSync(PYTHON, ["manage.py", ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 180_000 });
  if (result.status !== 0) {
    throw new Error(`manage.py ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

function startBackground(name, env, args, command = [PYTHON, "manage.py"]) {
  const [program, ...before] = command;
  const child = spawn(program, [...before, ...args], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.output = output;
  child.label = name;
  children.push(child);
  return child;
}

async function waitForHttp(url, child, seconds = 30) {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${child.label} exited early:\n${child.output.join("")}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${seconds} s:\n${child.output.join("")}`);
}

/** Run axe-core on the page as it is now; any violation fails the run, naming rule and nodes. */
async function checkA11y(page, state) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(0, 2).join(" ")}`),
    }));
  }, AXE_TAGS);
  axeChecks.push(state);
  if (violations.length) {
    throw new Error(
      `axe: ${violations.length} violation(s) in "${state}":\n` +
        violations.map((v) => `  ${v.id} (${v.help})\n    ${v.nodes.join("\n    ")}`).join("\n"),
    );
  }
  log(`axe: no violations in "${state}"`);
}
const axeChecks = [];

/** Press Tab until the focused element matches `label` (its accessible text), at most 80 times. */
/** Call the API as the signed-in user (the app's token from sessionStorage); throws on an error. */
async function apiAs(page, base, method, address, body) {
  const access = await page.evaluate(() => JSON.parse(sessionStorage.getItem("migrateiq.tokens") ?? "{}").access);
  const response = await page.request.fetch(`${base}${address}`, {
    method,
    headers: { Authorization: `Bearer ${access}`, "Content-Type": "application/json" },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok()) throw new Error(`${method} ${address}: ${response.status()} ${await response.text()}`);
  return response.json();
}

async function tabTo(page, label) {
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press("Tab");
    const text = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? (el.getAttribute("aria-label") || el.textContent || "").trim() : "";
    });
    if (text === label || text.startsWith(`${label} `)) return;
  }
  throw new Error(`keyboard: Tab never reached "${label}"`);
}

async function focusedInside(page, selector) {
  return page.evaluate((sel) => Boolean(document.activeElement && document.activeElement.closest(sel)), selector);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON}: run \`make install\` (or set E2E_PYTHON)`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);

  log("building the UI");
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: FRONTEND, encoding: "utf8", timeout: 240_000 });
  if (build.status !== 0) throw new Error(`UI build failed:\n${build.stdout}\n${build.stderr}`);

  varDir = mkdtempSync(path.join(tmpdir(), "migrateiq-e2e-"));
  const apiPort = await freePort();
  const webPort = await freePort();
  receiver = await startReceiver(await freePort()); // the webhook receiver of the admin pages' steps
  const env = stackEnv({
    MIGRATEIQ_VAR_DIR: varDir,
    MIGRATEIQ_EGRESS_ALLOWLIST: `127.0.0.1:${apiPort},127.0.0.1:${receiver.port},${DESTINATION_ALLOWLIST}`,
    // Syncs run in a Celery worker (embedded filesystem broker under varDir): the UI sees them
    // pending, running and finished, as in production.
    MIGRATEIQ_SYNC_RUNNER: "celery",
    CELERY_WORKER_CONCURRENCY: "1",
    MIGRATEIQ_HTTP_MAX_ATTEMPTS: "1",
    MIGRATEIQ_BACKGROUND_TICK_SECONDS: "5",
    LOG_LEVEL: "WARNING",
  });

  log(`migrating a fresh database in ${varDir}`);
  manage(env, ["migrate", "--noinput", "-v0"]);
  const upstream = startBackground("demo_api", env, [
    "demo_api",
    "--host",
    "127.0.0.1",
    "--port",
    String(apiPort),
    "--records",
    "120",
    "--page-size",
    "25",
    "--api-key",
    "demo-key",
    "--slow-ms",
    // Pages after the first are fetched 4 at a time: each must be slow enough that a sync is seen running.
    "1200",
  ]);
  // With the beat embedded (-B), as make run's worker: its tick tells the web UI the background work
  // runs (GET /api/status/), every 5 s here.
  const worker = startBackground("worker", env, ["-A", "migrateiq", "worker", "-B", "--schedule", path.join(varDir, "celerybeat-schedule"), "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING"], [
    path.join(ROOT, ".venv", "bin", "celery"),
  ]);
  await waitForHttp(`http://127.0.0.1:${apiPort}/users`, upstream);
  const seeded = manage(env, ["seed_demo", "--api-url", `http://127.0.0.1:${apiPort}/users`]);
  const password = /Password:\s+(\S+)/.exec(seeded)?.[1];
  if (!password) throw new Error(`seed_demo printed no password:\n${seeded}`);
  const otherPassword = `e2e-${Math.random().toString(36).slice(2)}-Pw!`;
  manage(env, [
    "shell",
    "-c",
    [
      "from django.core.management import call_command as c",
      `c('createuser', tenant='demo', email='viewer@demo.local', password='${otherPassword}', role='viewer')`,
      "c('createtenant', 'other')",
      `c('createuser', tenant='other', email='colleague@demo.local', password='${otherPassword}', role='admin')`,
    ].join("; "),
  ]);
  const web = startBackground("runserver", env, ["runserver", `127.0.0.1:${webPort}`, "--noreload"]);
  const base = `http://127.0.0.1:${webPort}`;
  await waitForHttp(`${base}/healthz`, web);
  log(`stack up: web ${base}, upstream :${apiPort}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: "reduce" });
  const page = await context.newPage();
  currentPage = page;
  page.setDefaultTimeout(20_000);
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  // Every question (deletions, unsaved edits) is asked in the app's own dialog: a native browser
  // dialog is dismissed, counted and fails the run at the end.
  let nativeDialogs = 0;
  page.on("dialog", (dialog) => {
    nativeDialogs += 1;
    log(`a native ${dialog.type()} dialog appeared: ${dialog.message()}`);
    void dialog.dismiss();
  });
  const shot = async (name, fullPage = false, target = page) => {
    const file = path.join(SHOTS, `${name}.png`);
    await target.screenshot({ path: file, fullPage });
  };
  const title = () => page.evaluate(() => document.title);

  // Reduced motion is respected: the spinner does not turn.
  await page.goto(`${base}/login`);
  const spin = await page.evaluate(() => {
    const probe = document.createElement("span");
    probe.className = "spinner";
    document.body.appendChild(probe);
    const name = getComputedStyle(probe).animationName;
    probe.remove();
    return name;
  });
  if (spin !== "none") throw new Error(`the spinner animates (${spin}) with reduced motion`);

  // 1. Signed out: the sign-in page (a <main> landmark); a wrong password shows the API's detail.
  await page.goto(`${base}/connectors`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("main").waitFor();
  await page.getByLabel("Email").fill("admin@demo.local");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByLabel("Tenant (optional)").fill("demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  if (!(await focusedInside(page, "#login-password"))) throw new Error("focus did not go to the password after a failed sign-in");
  await checkA11y(page, "sign-in with an error");
  await shot("01-login-error");

  // 2. Sign in (Enter in the password field): back to the page asked for, the focus on its
  //    heading; the profile menu has the tenant and the role.
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("heading", { name: "Connectors" }).waitFor();
  await page
    .waitForFunction(() => document.activeElement?.tagName === "H1" && document.activeElement.textContent === "Connectors", null, { timeout: 5000 })
    .catch(async () => {
      throw new Error(`after signing in the focus is on ${await page.evaluate(() => document.activeElement?.tagName)}, not the page's heading`);
    });
  if ((await title()) !== "Connectors · MigrateIQ") throw new Error(`title is ${await title()}`);
  await page.getByTestId("who").locator("summary").click();
  const who = await page.getByTestId("who").innerText();
  if (!who.includes("admin@demo.local") || !who.includes("Demo") || !who.toLowerCase().includes("admin")) throw new Error(`profile menu shows ${who}`);
  await checkA11y(page, "connectors list with the profile menu open");
  await page.getByTestId("who").locator("summary").click();
  await page.getByRole("link", { name: "Demo Users API" }).first().waitFor();
  if ((await page.getByLabel("Search connectors by name").getAttribute("placeholder")) !== "Search names") throw new Error("the search box promises more than names");
  await shot("02-connectors");

  // A link opened in a new tab of the same browser is signed in: the open tab shares its session.
  const secondTab = await context.newPage();
  secondTab.on("pageerror", (error) => pageErrors.push(String(error)));
  await secondTab.goto(`${base}/connectors`);
  await secondTab.getByRole("heading", { name: "Connectors" }).waitFor();
  await secondTab.close();

  // 3. Keyboard only: open the demo connector, test the connection, start a sync.
  await page.locator("body").focus();
  await tabTo(page, "Demo Users API");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  if (!(await focusedInside(page, "h1"))) throw new Error("focus did not move to the new page's heading");
  await tabTo(page, "Test connection");
  // The focus ring: 3 px, at least 3:1 against the page behind the button.
  const ring = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    const rgb = (text) => (text.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lum = ([r, g, b]) =>
      [r, g, b].map((c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const ring = lum(rgb(style.outlineColor));
    const page = lum(rgb(getComputedStyle(document.body).backgroundColor === "rgba(0, 0, 0, 0)" ? "rgb(244, 246, 250)" : getComputedStyle(document.body).backgroundColor));
    const ratio = (Math.max(ring, page) + 0.05) / (Math.min(ring, page) + 0.05);
    return { width: style.outlineWidth, style: style.outlineStyle, ratio };
  });
  if (ring.width !== "3px" || ring.style === "none" || ring.ratio < 3) throw new Error(`focus ring ${JSON.stringify(ring)}`);
  await page.keyboard.press("Enter");
  await page.getByTestId("test-result").getByRole("heading", { name: "Connected" }).waitFor();
  if (!(await focusedInside(page, "[data-testid='test-result']"))) throw new Error("focus did not move to the test result");
  // "Connected", once: not again in the API's words ("Connection successful") under the heading
  if (/Connection successful/.test(await page.getByTestId("test-result").innerText())) throw new Error("the test result says it connected twice");
  await page.getByTestId("announcer").filter({ hasText: "Connected" }).waitFor();
  await checkA11y(page, "connector with a connection test result");
  await shot("03-connection-tested");
  // Nothing stored yet: the Records tab says so alone, without a search, columns and downloads
  // that would act on nothing.
  await page.getByText("No records yet: sync the connector.").waitFor();
  for (const [what, count] of [
    ["a records search", await page.getByRole("search", { name: "Search records" }).count()],
    ["a download button", await page.getByRole("button", { name: /^Download / }).count()],
  ]) {
    if (count) throw new Error(`the records of a connector never synced offer ${what}`);
  }
  // The sync log's records_total (the demo API's announced total, 120) drives the progress bar.
  await tabTo(page, "Sync now");
  // From the press on, the history never says "No syncs yet" (before the start answers, then
  // before the history is read again): a flag set by any state of the page that says both.
  await page.evaluate(() => {
    const saysNoSyncs = () => {
      const starting = Array.from(document.querySelectorAll("button")).some((button) => /^(Starting…|Sync now)$/.test(button.textContent ?? "") && button.disabled);
      const history = Array.from(document.querySelectorAll("h2")).find((h) => h.textContent === "Sync history")?.closest("section");
      return (starting || document.querySelector("[data-testid='sync-progress']") !== null) && (history?.textContent ?? "").includes("No syncs yet.");
    };
    window.__noSyncsAfterSyncNow = false;
    window.__noSyncsObserver = new MutationObserver(() => {
      if (saysNoSyncs()) window.__noSyncsAfterSyncNow = true;
    });
    window.__noSyncsObserver.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  await page.keyboard.press("Enter");

  // 4. Live progress: the run is followed while it runs (elapsed, pages, records, records/s, the
  //    bar against the announced total).
  const progress = page.getByTestId("sync-progress");
  await progress.getByText("RUNNING", { exact: true }).waitFor({ timeout: 30_000 });
  if (!(await focusedInside(page, ".focus-target"))) throw new Error("focus did not move to the sync's progress");
  // Cancel sync asks first, saying the committed records stay; Escape keeps the run going. (The
  // first sync runs: the details say SYNCING, not NEVER SYNCED.)
  await progress.getByRole("button", { name: "Cancel sync" }).click();
  const cancelQuestion = page.getByRole("alertdialog", { name: /^Cancel run #\d+ of Demo Users API\?$/ });
  await cancelQuestion.getByText("Records already committed stay stored", { exact: false }).waitFor();
  if ((await page.evaluate(() => document.activeElement?.textContent)) !== "Keep it running") throw new Error("the cancel question's focus is not on Keep it running");
  await checkA11y(page, "the question before a sync is cancelled");
  await page.keyboard.press("Escape");
  await cancelQuestion.waitFor({ state: "detached" });
  if (/NEVER SYNCED/.test(await page.getByRole("heading", { name: "Details" }).locator("..").innerText())) throw new Error("the details say NEVER SYNCED during the first sync");
  const bar = progress.getByRole("progressbar", { name: "Records synced of the announced total" });
  await bar.waitFor();
  if ((await bar.getAttribute("aria-valuemax")) !== "120" || (await bar.getAttribute("aria-valuemin")) !== "0") throw new Error("the progress bar's range is not 0-120");
  await checkA11y(page, "a running sync");
  await shot("04-sync-running", true);
  await progress.getByText("SUCCESS", { exact: true }).waitFor({ timeout: 40_000 });
  const processed = await progress.getByTestId("records-processed").innerText();
  if (processed.replace(/\D/g, "") !== "120") throw new Error(`records processed shows ${processed}`);
  await page.waitForFunction(() => document.querySelector("[data-testid='sync-progress'] [role='progressbar']")?.getAttribute("aria-valuenow") === "120");
  const rate = await progress.getByTestId("records-per-second").innerText();
  if (!/\d/.test(rate)) throw new Error(`records/s shows ${rate}`);
  await page.getByTestId("sync-notices").getByText("ended:").waitFor();
  const history = page.getByRole("table", { name: "Sync history" });
  await history.getByText("SUCCESS").first().waitFor();
  if (await page.evaluate(() => (window.__noSyncsObserver.disconnect(), window.__noSyncsAfterSyncNow))) throw new Error('the sync history said "No syncs yet" after Sync now');
  if (!(await history.getByRole("cell", { name: "Web UI", exact: true }).count())) throw new Error("the UI-started sync is not shown as triggered by the Web UI");

  // 5. The records table: numeric sort, columns, search, raw JSON.
  const records = page.getByRole("table", { name: "Records" });
  await records.waitFor();
  const firstIds = async () =>
    page.evaluate(() => Array.from(document.querySelectorAll('table[aria-label="Records"] tbody tr:not(.raw-row) td:first-child')).slice(0, 3).map((td) => td.textContent));
  const ascending = await firstIds();
  if (ascending.join(",") !== "1,2,3") throw new Error(`records sorted as ${ascending}`);
  // The default columns: the targets of the connector's field mappings, in the rules' order.
  const headerNames = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('table[aria-label="Records"] thead th')).map((th) => (th.querySelector("button")?.firstChild?.textContent ?? th.textContent).trim()),
    );
  const defaultHeaders = (await headerNames()).join(",");
  if (defaultHeaders !== "External id,full_name,city,joined,Last written,Raw") throw new Error(`the records table shows ${defaultHeaders} at first`);
  // Every header in the tables' one style (capitals), a sortable one (a button) included.
  const headerCases = await records.evaluate((table) => Array.from(table.querySelectorAll("thead th"), (th) => getComputedStyle(th.querySelector("button") ?? th).textTransform));
  if (new Set(headerCases).size !== 1 || headerCases[0] !== "uppercase") throw new Error(`the records table's headers are written ${headerCases}`);
  await records.getByRole("button", { name: /External id/ }).click();
  await page.waitForFunction(() => document.querySelector('table[aria-label="Records"] tbody td')?.textContent === "120");
  // Sort by a data field from its header (the API sorts; aria-sort says how), then the other way.
  const columnValues = (index) =>
    page.evaluate((i) => Array.from(document.querySelectorAll('table[aria-label="Records"] tbody tr:not(.raw-row)')).map((tr) => tr.children[i].textContent), index);
  for (const [direction, arrow] of [["ascending", "data.full_name"], ["descending", "-data.full_name"]]) {
    await records.getByRole("button", { name: /^full_name/ }).click();
    await page.waitForURL((url) => url.searchParams.get("r_sort") === arrow);
    await page.waitForFunction((d) => document.querySelector('table[aria-label="Records"] th[aria-sort="' + d + '"]')?.textContent.startsWith("full_name"), direction);
    await page.waitForFunction(
      (d) => {
        const cells = Array.from(document.querySelectorAll('table[aria-label="Records"] tbody tr:not(.raw-row)')).map((tr) => tr.children[1].textContent.toLowerCase());
        return cells.length === 20 && cells.every((cell, i) => i === 0 || (d === "ascending" ? cells[i - 1] <= cell : cells[i - 1] >= cell));
      },
      direction,
    );
  }
  const sortedNames = await columnValues(1);
  if (new Set(sortedNames).size < 2) throw new Error(`the sorted names: ${sortedNames}`);
  await checkA11y(page, "records sorted by a data field, descending");
  await page.getByText(/^Columns \(/).click();
  // The picker: the primary key's field, the shown ones, then the rest in the upstream's order (the
  // schema's positions), not the stored records' sorted keys (active, address.city, email, ...).
  const picked = (await page.locator(".column-picker label").allInnerTexts()).slice(0, 7).join(",");
  if (picked !== "id,full_name,city,joined,username,email,phone") throw new Error(`the column picker lists ${picked} first`);
  const columnsBefore = await records.locator("thead th").count();
  await page.locator(".column-picker input[type=checkbox]:not(:checked)").first().check();
  await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Records"] thead th').length === n + 1, columnsBefore);
  await page.getByLabel("Search in").selectOption("full_name"); // seed_demo maps name → full_name
  await page.getByLabel("Search text").fill("a");
  await page.getByRole("search", { name: "Search records" }).getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/r_in=full_name/);
  await records.locator("tbody tr").first().waitFor();
  await page.getByLabel("Search in").selectOption("__external_id");
  await page.getByLabel("Search text").fill("7");
  await page.getByRole("search", { name: "Search records" }).getByRole("button", { name: "Search" }).click();
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('table[aria-label="Records"] tbody tr');
    return rows.length === 1 && rows[0].textContent.startsWith("7");
  });
  await records.getByRole("button", { name: /^JSON/ }).click();
  await page.getByTestId("raw-json").waitFor();
  await checkA11y(page, "records table with a column picked, a search and raw JSON");
  await shot("05-records", true);

  // 6. Charts of the connector's runs, rendered with data.
  await page.reload();
  await page.getByTestId("chart-records").locator("[data-testid='chart-bar'] rect").first().waitFor();

  // 7. A sync's own page: progress, log with milliseconds and a level filter, dates with their
  //    zone, and its log lines from the detail call (no events/ call).
  const apiCalls = [];
  const countCalls = (request) => apiCalls.push(new URL(request.url()).pathname);
  page.on("request", countCalls);
  await page.getByRole("table", { name: "Sync history" }).getByRole("link").first().click();
  await page.getByRole("heading", { name: /^Run #\d+$/ }).waitFor();
  await page.locator(".event time").first().waitFor();
  page.off("request", countCalls);
  if (apiCalls.some((p) => p.endsWith("/events/"))) throw new Error(`the sync page fetched its log lines twice: ${apiCalls}`);
  const started = await page.locator(".details dd").filter({ hasText: /\d{4}/ }).first().innerText();
  if (!/(UTC|GMT|[+-]\d{1,2}(:\d\d)?)\s*$/.test(started)) throw new Error(`a date without its time zone: ${started}`);
  const time = await page.locator(".event time").first().innerText();
  if (!/\d\d:\d\d:\d\d\.\d{3}/.test(time)) throw new Error(`log time without milliseconds: ${time}`);
  await page.getByLabel(/: level$/).selectOption("error");
  await page.getByText("No line at this level.").waitFor();
  await checkA11y(page, "a finished sync's page");
  await shot("06-sync-log", true);

  // 8. The wizard: errors on the first step; the preview step refusing a denied address (focus
  //    back on the endpoint), showing a wrong key's failure, then the demo upstream's detected
  //    pagination and records; pin it; mappings; pagination fields; create.
  await page.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await page.getByRole("link", { name: "New connector" }).click();
  await page.getByRole("heading", { name: "New connector" }).waitFor();
  const wizard = page.getByRole("form", { name: "New connector" });
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByText("Give the connector a name.").waitFor();
  if (!(await focusedInside(page, "#wizard-name"))) throw new Error("focus did not go to the first invalid field");
  await checkA11y(page, "wizard with errors");
  await shot("07-wizard-errors");
  // Leaving with something typed asks first, in the app's dialog; "Stay" keeps it.
  await wizard.getByLabel("Name").fill("Billing API"); // pagination left on auto: the preview detects it
  await page.getByRole("link", { name: "Syncs", exact: true }).click();
  const leaveDialog = page.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
  await leaveDialog.waitFor();
  await checkA11y(page, "wizard asking before leaving");
  await leaveDialog.getByRole("button", { name: "Stay on this page" }).click();
  await leaveDialog.waitFor({ state: "detached" });
  if ((await wizard.getByLabel("Name").inputValue()) !== "Billing API" || new URL(page.url()).pathname !== "/connectors/new") throw new Error("Stay did not keep the wizard");
  await wizard.getByLabel("API endpoint").fill("http://169.254.169.254/latest");
  await wizard.getByLabel("API key").fill("wrong-key");
  // A search endpoint's POST body, on the first step: refused on its field when it is not an object.
  await wizard.getByLabel("Request method").selectOption("POST");
  await wizard.getByLabel("Request body (JSON object)").fill("[1, 2]");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByText("The request body must be a JSON object ({…}), not a list.").waitFor();
  await checkA11y(page, "wizard with a POST body refused");
  await wizard.getByLabel("Request method").selectOption("GET");
  // The preview step fetches the preview as it is entered.
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByText(/No preview/).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "wizard-api_endpoint");
  await checkA11y(page, "wizard with the preview's refusal");
  await wizard.getByLabel("API endpoint").fill(`http://127.0.0.1:${apiPort}/users`);
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByTestId("preview-error").getByText(/HTTP 401/).waitFor();
  await checkA11y(page, "wizard preview of a wrong key");
  await wizard.getByRole("button", { name: "Back" }).click();
  await wizard.getByLabel("API key").fill("demo-key");
  await wizard.getByRole("button", { name: "Next" }).click();
  const previewResult = wizard.getByTestId("preview-result");
  await previewResult.waitFor();
  const detected = await previewResult.getByTestId("preview-pagination").innerText();
  if (!/^page \(detected\)/.test(detected)) throw new Error(`the preview detected ${detected}`);
  // The first three records, the rest on request: the step stays short.
  const previewRegion = previewResult.getByRole("region", { name: "Sample records, raw and transformed" });
  if ((await previewRegion.locator("tbody tr").count()) !== 3) throw new Error(`the preview shows ${await previewRegion.locator("tbody tr").count()} records at first`);
  const previewHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  if (previewHeight > 3200) throw new Error(`the wizard's preview step is ${previewHeight} px tall`);
  if (!(await focusedInside(page, "[data-testid='preview-result']"))) throw new Error("focus did not move to the preview");
  await page.getByTestId("announcer").filter({ hasText: "Preview ready" }).waitFor();
  await previewResult.getByRole("button", { name: "Pin this pagination" }).click();
  await previewResult.getByText("Pinned into the form.").waitFor();
  await previewResult.getByRole("button", { name: "Show all 20 records (17 more)" }).click();
  await previewRegion.locator("tbody tr").nth(19).waitFor();
  await previewResult.getByRole("region", { name: "Sample records, raw and transformed" }).getByText("Raw JSON").first().click();
  await checkA11y(page, "wizard preview with detected pagination and records");
  await shot("08a-wizard-preview", true);
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Add a rule" }).click();
  // The preview's field paths are offered as the source path is typed (a datalist the browser shows).
  const sourceList = await wizard.getByLabel("Source path (rule 1)").getAttribute("list");
  const offered = sourceList ? await page.locator(`datalist#${sourceList} option`).evaluateAll((options) => options.map((option) => option.value)) : [];
  if (!offered.includes("name") || !offered.includes("address.city")) throw new Error(`the source path offers ${offered.join(", ") || "nothing"}`);
  await wizard.getByLabel("Source path (rule 1)").fill("name");
  await wizard.getByLabel("Target field (rule 1)").fill("full_name");
  await wizard.getByRole("button", { name: "Show before / after" }).click();
  const wizardAfter = wizard.getByRole("region", { name: "Sample records before and after the rules" });
  await wizardAfter.locator("tbody tr").first().waitFor();
  await wizardAfter.locator("tbody tr").first().locator("td").nth(2).getByText("full_name (new)", { exact: true }).waitFor();
  await wizardAfter.locator("tbody tr").first().locator("td").nth(1).getByText("name (dropped)", { exact: true }).waitFor();
  await checkA11y(page, "wizard rules with a before/after from the preview");
  await shot("08-wizard-mappings", true);
  await wizard.getByRole("button", { name: "Next" }).click();
  if ((await wizard.getByLabel("Pagination", { exact: true }).inputValue()) !== "page") throw new Error("the pinned pagination is not in the form");
  // The refused and the 401 previews were of settings the form no longer has: no warning of them.
  if (await wizard.getByTestId("preview-failed-warning").count()) throw new Error("the last step warns about an earlier preview's failure");
  if ((await wizard.getByLabel("Page parameter", { exact: true }).inputValue()) !== "page") throw new Error("the pinned page parameter is not in the form");
  await wizard.getByLabel("Max pages per sync").fill("10");
  // A page size in words is refused on its field, before anything is sent.
  const pageSize = wizard.getByLabel("Page size", { exact: true });
  const pinnedSize = await pageSize.inputValue();
  await pageSize.fill("fifty");
  await wizard.getByRole("button", { name: "Create connector" }).click();
  await wizard.getByText("Enter a whole number from 1 to 100,000.").waitFor();
  if (!(await focusedInside(page, "#wizard-pg-page_size"))) throw new Error("focus did not go to the page size");
  await checkA11y(page, "wizard with a page size refused");
  await pageSize.fill(pinnedSize);
  await wizard.getByRole("button", { name: "Create connector" }).click();
  await page.getByRole("heading", { name: "Billing API" }).waitFor();
  // the key is stored; an 8-character key is too short for a last-four hint (core.secret_fields)
  if (!(await page.getByText("stored", { exact: true }).isVisible())) throw new Error("the new key is not shown as stored");
  const created = await apiAs(page, base, "GET", `/api/demo-extension/connectors/?search=Billing`);
  const billing = created.results.find((c) => c.name === "Billing API");
  if (billing?.pagination?.type !== "page" || billing.max_pages !== 10) throw new Error(`the wizard saved ${JSON.stringify(billing)}`);

  // 8a. Edit the rules as fields: the wizard's rule is a row; a rule with no target is refused on
  //     its input; JSON and back; sample records before and after. Then the browser's Back button
  //     with unsaved edits: the app's dialog, Stay keeps them, Discard leaves.
  const billingUrl = page.url();
  const dialogsBefore = nativeDialogs;
  await page.getByRole("button", { name: "Edit" }).click();
  let rulesForm = page.getByRole("form", { name: "Edit connector" });
  if ((await rulesForm.getByLabel("Source path (rule 1)").inputValue()) !== "name") throw new Error("the saved rule is not a row of the edit form");
  await rulesForm.getByRole("button", { name: "Add a rule" }).click();
  await rulesForm.getByLabel("Target field (rule 2)").fill("id");
  await rulesForm.getByLabel("Convert to (rule 2)").selectOption("int");
  await rulesForm.getByLabel("Required (rule 2)").check();
  await rulesForm.getByRole("button", { name: "Add a rule" }).click();
  await rulesForm.getByLabel("Source path (rule 3)").fill("email");
  await rulesForm.getByRole("button", { name: "Save changes" }).click();
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Target field (rule 3)");
  if ((await rulesForm.getByLabel("Target field (rule 3)").getAttribute("aria-invalid")) !== "true") throw new Error("the rule without a target is not marked");
  await checkA11y(page, "edit form with a refused rule");
  await shot("09b-rules-error", true);
  await rulesForm.getByRole("button", { name: "Remove rule 3" }).click();
  await rulesForm.getByRole("button", { name: "JSON", exact: true }).click();
  const rulesJson = JSON.parse(await rulesForm.getByLabel("Rules as JSON").inputValue());
  if (JSON.stringify(rulesJson) !== JSON.stringify({ field_mappings: { name: "full_name" }, type_conversions: { id: "int" }, required: ["id"] }))
    throw new Error(`the rules as JSON: ${JSON.stringify(rulesJson)}`);
  await checkA11y(page, "edit form with the rules as JSON");
  await rulesForm.getByRole("button", { name: "JSON", exact: true }).click();
  await rulesForm.getByRole("button", { name: "Show before / after" }).click();
  const editAfter = rulesForm.getByRole("region", { name: "Sample records before and after the rules" });
  await editAfter.locator("tbody tr").nth(2).waitFor();
  await rulesForm.getByRole("button", { name: "Show all 20 records (17 more)" }).click();
  await editAfter.locator("tbody tr").nth(19).waitFor();
  await checkA11y(page, "edit form with rules and their before/after");
  await shot("09c-rules-before-after", true);
  await page.goBack();
  const backDialog = page.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
  await backDialog.waitFor();
  if (page.url() !== billingUrl) throw new Error(`Back left the page at once: ${page.url()}`);
  if (!(await focusedInside(page, "[role='alertdialog']"))) throw new Error("focus is not in the dialog");
  await checkA11y(page, "the Back button asking about unsaved edits");
  await shot("09d-back-with-unsaved-edits");
  await page.keyboard.press("Escape"); // the safe choice: stay
  await backDialog.waitFor({ state: "detached" });
  rulesForm = page.getByRole("form", { name: "Edit connector" });
  if (page.url() !== billingUrl || (await rulesForm.getByLabel("Target field (rule 2)").inputValue()) !== "id") throw new Error("Stay did not keep the edits");
  await page.goBack();
  await backDialog.getByRole("button", { name: "Discard and leave" }).click();
  await page.getByRole("heading", { name: "New connector" }).waitFor(); // the page before: the wizard
  if (nativeDialogs !== dialogsBefore) throw new Error("a native browser dialog asked about unsaved edits");
  await page.goto(billingUrl);
  await page.getByRole("heading", { name: "Billing API" }).waitFor();

  // 8b. Edit: replace the key with a wrong one (the stored one is shown as set, never its value);
  //     the failed sync offers "Start a new sync" and no Resume.
  await page.getByRole("button", { name: "Edit" }).click();
  const editForm = page.getByRole("form", { name: "Edit connector" });
  await editForm.getByRole("group", { name: /^API key Set/ }).waitFor();
  await editForm.getByRole("button", { name: "Replace API key" }).click();
  await editForm.getByLabel("API key", { exact: true }).fill("wrong-key");
  await checkA11y(page, "edit form replacing a stored key");
  await editForm.getByRole("button", { name: "Save changes" }).click();
  await editForm.waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Sync now" }).click();
  await page.getByTestId("sync-progress").getByText("FAILED", { exact: true }).waitFor({ timeout: 40_000 });
  await page.getByTestId("sync-progress").getByRole("link").first().click();
  await page.getByRole("button", { name: "Start a new sync" }).waitFor();
  if (await page.getByRole("button", { name: /Resume/ }).count()) throw new Error("Resume offered on a sync without a checkpoint");
  await checkA11y(page, "a failed sync that cannot resume");
  await shot("09-failed-sync", true);

  // 8c. A basic connector (user name + key): editing its name keeps the stored user name.
  const basic = await apiAs(page, base, "POST", "/api/demo-extension/connectors/", {
    name: "Basic API",
    api_endpoint: `http://127.0.0.1:${apiPort}/users`,
    auth_type: "basic",
    auth_username: "billing-user",
    api_key: "basic-secret",
    sync_frequency: "MANUAL",
  });
  if (!basic.has_auth_username || "auth_username" in basic) throw new Error(`the API returned ${JSON.stringify(basic)}`);
  await page.goto(`${base}/connectors/${basic.id}`);
  await page.getByRole("heading", { name: "Basic API" }).waitFor();
  await page.getByRole("button", { name: "Edit" }).click();
  const basicForm = page.getByRole("form", { name: "Edit connector" });
  await basicForm.getByRole("group", { name: "User name Set" }).waitFor();
  await checkA11y(page, "edit form of a basic connector with stored credentials");
  await shot("09a-edit-basic", true);
  await basicForm.getByLabel("Name", { exact: true }).fill("Basic API renamed");
  await basicForm.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("heading", { name: "Basic API renamed" }).waitFor();
  const kept = await apiAs(page, base, "GET", `/api/demo-extension/connectors/${basic.id}/`);
  if (!kept.has_auth_username || !kept.has_api_key || kept.auth_type !== "basic") throw new Error(`the edit lost a credential: ${JSON.stringify(kept)}`);

  // 8d. Sync now in the connectors list: a sync already running (started through the API) is a
  //     409, said in the row, which follows that run to its end and shows how it ended.
  await page.goto(`${base}/connectors`);
  const demoLink = page.getByRole("link", { name: "Demo Users API", exact: true });
  const demoId = Number((await demoLink.getAttribute("href")).split("/").pop());
  const demoRow = page.getByRole("row").filter({ has: demoLink });
  // A row's actions on one line at 1280 px, also with the sync's state under them (Delete wrapped
  // under Sync now and Pause).
  async function rowActionsOnOneLine(when) {
    const tops = [];
    for (const name of [/^Sync now|^Syncing/, /^Pause/, /^Delete/]) tops.push(Math.round((await demoRow.getByRole("button", { name }).boundingBox()).y));
    if (new Set(tops).size !== 1) throw new Error(`the connectors list's row actions are on several lines ${when}: tops ${tops.join(", ")}`);
  }
  await rowActionsOnOneLine("at 1280 px");
  // A first sync started from its row: the Last sync column says it runs, never NEVER SYNCED
  // beside the row's run (a flag set by any state of the row that says both), then how it ended.
  const basicLink = page.getByRole("link", { name: "Basic API renamed", exact: true });
  const basicRow = page.getByRole("row").filter({ has: basicLink });
  if ((await basicRow.locator('td[data-label="Last sync"]').innerText()) !== "NEVER SYNCED") throw new Error("the basic connector was synced before");
  await basicRow.evaluate((row) => {
    window.__neverSyncedWhileRunning = false;
    window.__firstSyncObserver = new MutationObserver(() => {
      const busy = Array.from(row.querySelectorAll("button")).some((button) => /^(Starting…|Syncing…)/.test(button.textContent ?? ""));
      if (busy && row.querySelector('td[data-label="Last sync"]')?.textContent === "NEVER SYNCED") window.__neverSyncedWhileRunning = true;
    });
    window.__firstSyncObserver.observe(row, { childList: true, subtree: true, characterData: true });
  });
  await basicRow.getByRole("button", { name: /^Sync now/ }).click();
  await basicRow.getByTestId("row-sync-status").getByRole("link", { name: /^Run #\d+$/ }).waitFor();
  await basicRow.getByRole("button", { name: /^Sync now/ }).waitFor({ timeout: 40_000 });
  await page.waitForFunction((row) => !/NEVER SYNCED|FIRST SYNC/.test(row.querySelector('td[data-label="Last sync"]')?.textContent ?? ""), await basicRow.elementHandle());
  if (await page.evaluate(() => (window.__firstSyncObserver.disconnect(), window.__neverSyncedWhileRunning))) throw new Error("the connectors list said NEVER SYNCED beside a first sync under way");
  const apiRun = await apiAs(page, base, "POST", `/api/demo-extension/connectors/${demoId}/sync_data/?wait=0`);
  await demoRow.getByRole("button", { name: /^Sync now/ }).click();
  const rowStatus = demoRow.getByTestId("row-sync-status");
  await rowStatus.getByText("A sync of this connector is already in progress", { exact: false }).waitFor();
  await rowStatus.getByRole("link", { name: `Run #${apiRun.id}` }).waitFor();
  await rowActionsOnOneLine("with the row's sync refused under them");
  await checkA11y(page, "connectors list with a row's sync refused as already running");
  await shot("08d-list-sync-conflict");
  await rowStatus.getByText("SUCCESS", { exact: true }).waitFor({ timeout: 40_000 });
  await demoRow.getByRole("button", { name: /^Sync now/ }).waitFor();
  await checkA11y(page, "connectors list with a row's sync ended");

  // 9. A sync started here ends while the user is on another page: a notice says so; the
  //    Syncs page refreshes itself while it runs.
  await page.goto(`${base}/connectors`);
  await page.getByRole("link", { name: "Demo Users API" }).first().click();
  await page.getByRole("button", { name: "Full refresh" }).click();
  await checkA11y(page, "a full refresh's confirmation");
  await page.getByRole("alertdialog").getByRole("button", { name: "Start the full refresh" }).click();
  await page.getByTestId("sync-progress").waitFor();
  await page.getByRole("link", { name: "Syncs", exact: true }).click();
  await page.getByRole("heading", { name: "Syncs" }).waitFor();
  await page.getByTestId("sync-notices").getByText(/ended: SUCCESS/).waitFor({ timeout: 40_000 });

  // 10. The Syncs page: filters kept in the address and across a reload.
  await page.getByLabel("Status").selectOption("FAILED");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/status=FAILED/);
  await page.reload();
  await page.getByRole("heading", { name: "Syncs" }).waitFor();
  if ((await page.getByLabel("Status").inputValue()) !== "FAILED") throw new Error("the status filter did not survive a reload");
  await page.getByRole("table", { name: "Syncs" }).locator("tbody .badge").first().waitFor();
  const statuses = await page.getByRole("table", { name: "Syncs" }).locator("tbody .badge").allInnerTexts();
  if (!statuses.length || statuses.some((s) => s !== "FAILED")) throw new Error(`filtered syncs show ${statuses}`);
  await checkA11y(page, "syncs page filtered");
  await shot("10-syncs-filtered");

  // 11. The dashboard's charts with data.
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await page.getByTestId("chart-syncs-per-day").locator("rect").first().waitFor();
  // Its legend lists the statuses the chart holds, no others (the activity the chart was drawn from).
  const { days } = await apiAs(page, base, "GET", "/api/demo-extension/connectors/stats/history/?days=30");
  const held = ["PENDING", "RUNNING", "SUCCESS", "PARTIAL", "FAILED", "CANCELLED"].filter((status) => days.some((day) => (day.syncs[status] ?? 0) > 0));
  const legendItems = await page.getByTestId("chart-syncs-per-day").getByRole("list", { name: "Legend" }).getByRole("listitem").allInnerTexts();
  if (legendItems.some((status) => !held.includes(status)) || !legendItems.includes("SUCCESS") || !legendItems.includes("FAILED"))
    throw new Error(`the syncs chart's legend lists ${legendItems}, its days hold ${held}`);
  await checkA11y(page, "dashboard with charts");
  await shot("11-dashboard", true);

  await dataOut({ page, base, checkA11y, shot, log }); // downloads, schema tab, a PostgreSQL destination

  // 12. Members: the last-admin rule; invite a new email (the link shown once), accept it in a fresh
  // browser (signed in as a viewer of the tenant: no write controls); a revoked invitation's link fails;
  // the admin sees the new member, changes its role and removes it.
  await page.getByRole("link", { name: "Members", exact: true }).click();
  await page.getByRole("heading", { name: "Members", exact: true }).waitFor();
  const me = page.getByTestId("member-admin@demo.local");
  if (!(await me.getByRole("button", { name: /Remove/ }).isDisabled())) throw new Error("the last admin can be removed");
  await me.getByText("LAST ADMIN").waitFor();
  const invite = async (email, role) => {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role", { exact: true }).selectOption(role);
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    const card = page.getByTestId("invitation-link");
    await card.getByRole("heading", { name: `Invitation link for ${email}` }).waitFor();
    await card.getByText("This link is shown only once").waitFor();
    const link = await card.getByLabel("Accept link").inputValue();
    if (!link.startsWith(`${base}/invitations/accept?token=`)) throw new Error(`unexpected accept link ${link}`);
    await page.getByTestId(`invitation-${email}`).waitFor();
    return link;
  };
  const revokedLink = await invite("revoked@demo.local", "editor");
  await page.getByTestId("invitation-revoked@demo.local").getByRole("button", { name: /Revoke/ }).click();
  const revokeDialog = page.getByRole("alertdialog", { name: "Revoke the invitation of revoked@demo.local?" });
  if (!(await focusedInside(page, "[role='alertdialog']"))) throw new Error("focus is not in the revoke dialog");
  await checkA11y(page, "revoke an invitation dialog");
  await revokeDialog.getByRole("button", { name: "Revoke the invitation" }).click();
  await page.getByTestId("invitation-revoked@demo.local").waitFor({ state: "detached" });
  await page.getByTestId("announcer").filter({ hasText: "The invitation of revoked@demo.local was revoked." }).waitFor();
  const colleagueLink = await invite("colleague@demo.local", "editor"); // an account of another tenant
  const newbieLink = await invite("newbie@demo.local", "viewer");
  if ((await page.evaluate(() => document.activeElement?.id)) !== "invitation-link-heading") throw new Error("focus is not on the one-time link");
  await checkA11y(page, "members page with a one-time invitation link");
  await shot("12-members-invitation");

  const invitee = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: "reduce" });
  const inviteePage = await invitee.newPage();
  inviteePage.setDefaultTimeout(20_000);
  inviteePage.on("pageerror", (error) => pageErrors.push(`invitee: ${error}`));
  currentPage = inviteePage;
  const newbiePassword = `e2e-${Math.random().toString(36).slice(2)}-Nb!`;
  // The revoked invitation's link: a clear refusal, no session.
  const revokedAnswer = await inviteePage.goto(revokedLink);
  if (revokedAnswer?.status() !== 200) throw new Error(`the accept page answered ${revokedAnswer?.status()}`);
  await inviteePage.getByRole("heading", { name: "Accept the invitation" }).waitFor();
  await checkA11y(inviteePage, "accept page");
  await inviteePage.getByLabel("Password").fill(newbiePassword);
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.getByTestId("accept-error").filter({ hasText: "This invitation is not valid" }).waitFor();
  await checkA11y(inviteePage, "accept page, revoked invitation");
  await shot("12-accept-revoked", false, inviteePage);
  if (await inviteePage.evaluate(() => window.sessionStorage.getItem("migrateiq.tokens"))) throw new Error("a revoked invitation signed in");
  // The new email's link: a name and a password, then signed in to the tenant as a viewer.
  await inviteePage.goto(newbieLink);
  await inviteePage.getByLabel("Your name (new accounts only)").fill("New Bie");
  await inviteePage.getByLabel("Password").fill("short");
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.locator("#accept-password-error").waitFor();
  if ((await inviteePage.getByLabel("Password").getAttribute("aria-invalid")) !== "true") throw new Error("the refused password is not marked");
  await checkA11y(inviteePage, "accept page, refused password");
  await inviteePage.getByLabel("Password").fill(newbiePassword);
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.getByRole("heading", { name: "Dashboard" }).waitFor();
  if (new URL(inviteePage.url()).pathname !== "/") throw new Error(`the invitee landed on ${inviteePage.url()}`);
  await inviteePage.getByTestId("who").locator("summary").click();
  const profile = inviteePage.getByTestId("who");
  await profile.locator(".role-viewer").waitFor(); // open: signed in with the invited role...
  const profileText = await profile.innerText();
  if (!profileText.includes("newbie@demo.local") || !profileText.includes("(demo)")) throw new Error(`the invitee profile menu says ${profileText}`); // ...as the new account, in the tenant
  await checkA11y(inviteePage, "dashboard of the invited viewer");
  await shot("12-invitee-dashboard", false, inviteePage);
  await inviteePage.getByRole("link", { name: "Connectors", exact: true }).first().click();
  // .first(): a notice of a sync that just ended may link the same connector.
  await inviteePage.getByRole("link", { name: "Demo Users API" }).first().waitFor();
  if (await inviteePage.getByRole("link", { name: "New connector" }).count()) throw new Error("the invited viewer sees New connector");
  for (const name of [/^Pause/, /^Delete/]) if (await inviteePage.getByRole("button", { name }).count()) throw new Error(`the invited viewer sees ${name}`);
  if (await inviteePage.getByRole("link", { name: "Members", exact: true }).count()) throw new Error("the invited viewer sees Members");
  // The link works once.
  await invitee.clearCookies();
  await inviteePage.evaluate(() => window.sessionStorage.clear());
  await inviteePage.goto(newbieLink);
  await inviteePage.getByLabel("Password").fill(newbiePassword);
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.getByTestId("accept-error").filter({ hasText: "This invitation is not valid" }).waitFor();
  // An existing account joins with its own password only; then it is an editor here.
  await inviteePage.goto(colleagueLink);
  await inviteePage.getByLabel("Password").fill("not-the-colleagues-password");
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.locator("#accept-password-error").filter({ hasText: "Invalid email or password." }).waitFor();
  await inviteePage.getByLabel("Password").fill(otherPassword);
  await inviteePage.getByRole("button", { name: "Accept and sign in" }).click();
  await inviteePage.getByRole("heading", { name: "Dashboard" }).waitFor();
  await inviteePage.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await inviteePage.getByRole("link", { name: "New connector" }).waitFor();
  await invitee.close();
  currentPage = page;

  // The admin sees the new member (no longer pending), changes its role and removes it.
  await page.reload();
  const newbie = page.getByTestId("member-newbie@demo.local");
  await newbie.waitFor();
  if ((await newbie.getByLabel("Role of newbie@demo.local").inputValue()) !== "viewer") throw new Error("the new member is not a viewer");
  if (await page.getByTestId("invitation-newbie@demo.local").count()) throw new Error("an accepted invitation is still pending");
  if ((await page.getByLabel("Role of colleague@demo.local").inputValue()) !== "editor") throw new Error("the colleague is not an editor");
  await newbie.getByLabel("Role of newbie@demo.local").selectOption("editor");
  await page.getByTestId("announcer").filter({ hasText: "newbie@demo.local is now editor." }).waitFor();
  await checkA11y(page, "members page");
  await shot("12-members");
  await newbie.getByRole("button", { name: /Remove/ }).click();
  await page.getByRole("alertdialog", { name: "Remove newbie@demo.local?" }).getByRole("button", { name: "Remove the member" }).click();
  await newbie.waitFor({ state: "detached" });

  // 12a. The admins' pages of the webhooks and audit modules (e2e/admin-pages.mjs).
  await adminPages({ page, base, receiver, checkA11y, shot, log });

  // 13. Unknown addresses: the app's own page, a 404 status, and the page title.
  const missing = await page.goto(`${base}/connectors/abc`);
  if (missing?.status() !== 404) throw new Error(`/connectors/abc answered ${missing?.status()}`);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  if ((await title()) !== "Page not found · MigrateIQ") throw new Error(`title is ${await title()}`);
  await checkA11y(page, "page not found");
  const api404 = await page.request.get(`${base}/api/nope/`);
  if (api404.status() !== 404 || !(api404.headers()["content-type"] ?? "").includes("json")) throw new Error("unknown API address is not a JSON 404");

  // 14. A narrow window.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/connectors`);
  // The list stacks each connector: its actions are on the screen, not past a sideways scroll.
  const firstRow = page.getByRole("table", { name: "Connectors" }).getByRole("row").nth(1);
  for (const name of [/^Sync now/, /^Pause|^Resume/, /^Delete/]) {
    const box = await firstRow.getByRole("button", { name }).boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 390) throw new Error(`${name} is off-screen at 390 px: ${JSON.stringify(box)}`);
  }
  await checkA11y(page, "connectors list at 390 px");
  await shot("13-connectors-narrow");
  // Deleting asks in the app's dialog, which says what goes; Cancel keeps the connector.
  await firstRow.getByRole("button", { name: /^Delete/ }).click();
  const deleteDialog = page.getByRole("alertdialog", { name: /^Delete the connector / });
  await deleteDialog.getByText("This cannot be undone.", { exact: false }).waitFor();
  await checkA11y(page, "delete a connector dialog at 390 px");
  await shot("13-connectors-delete-dialog");
  await deleteDialog.getByRole("button", { name: "Cancel" }).click();
  await deleteDialog.waitFor({ state: "detached" });
  await page.getByRole("link", { name: "Demo Users API" }).first().click();
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  await page.getByRole("table", { name: "Records" }).waitFor();
  // The records' data keeps most of the box: the raw column as wide as its button, the key's name
  // wrapped (they took 226 of 328 px, leaving 102 for the data).
  const recordsRoom = await page.getByRole("table", { name: "Records" }).evaluate((table) => {
    const box = table.closest(".table-wrap").clientWidth;
    const first = table.querySelector("thead th").getBoundingClientRect().width;
    const raw = table.querySelector("thead th.pinned-end").getBoundingClientRect().width;
    return Math.round(box - first - raw);
  });
  if (recordsRoom < 150) throw new Error(`the records table leaves ${recordsRoom} px of data in view at 390 px`);
  // Previous and Next on one line (Next was alone on the line under Previous).
  const pagerTops = await Promise.all(["← Previous", "Next →"].map(async (name) => Math.round((await page.getByRole("navigation", { name: "record pages" }).getByRole("button", { name }).boundingBox()).y)));
  if (pagerTops[0] !== pagerTops[1]) throw new Error(`the records pager's buttons are on two lines at 390 px: ${pagerTops}`);
  await checkA11y(page, "connector page at 390 px");
  await shot("13-connector-narrow", true);
  // Nothing wider than the window: the Further credentials fieldset (its long example URL wraps;
  // a credential's row included) in the edit form and the wizard; the records search keeps room
  // for its placeholder.
  const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
  if ((await pageWidth()) > 390) throw new Error(`the connector page is ${await pageWidth()} px wide at 390 px`);
  const search = page.getByRole("searchbox", { name: "Search text" });
  const placeholderRoom = await search.evaluate((input) => {
    const context = document.createElement("canvas").getContext("2d");
    const style = getComputedStyle(input);
    context.font = style.font;
    return input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - context.measureText(input.placeholder).width;
  });
  if (placeholderRoom < 0) throw new Error(`the records search cuts its placeholder at 390 px (${placeholderRoom} px short)`);
  // The Schema tab with its field profile: a card per field, every value in the window without
  // scrolling sideways (the box does not scroll, the page neither).
  await page.getByRole("tab", { name: "Schema" }).click();
  // Several syncs of the demo connector learnt nothing new after the first: the schema says when a
  // sync last checked it, apart from when it last changed ("last updated" kept the first's time).
  const schemaWhen = await page.getByTestId("schema-updated").innerText();
  if (!/^Inferred from the stored records; last checked .+ \(no change since\), last changed .+\.$/.test(schemaWhen)) throw new Error(`the schema says: ${schemaWhen}`);
  await page.getByRole("button", { name: "Profile fields" }).click();
  const schemaTable = page.getByRole("table", { name: "Inferred fields" });
  await schemaTable.getByRole("columnheader", { name: "Present" }).waitFor({ state: "attached" });
  if ((await pageWidth()) > 390) throw new Error(`the schema tab with its profile is ${await pageWidth()} px wide at 390 px`);
  const schemaBox = await schemaTable.evaluate((table) => {
    const box = table.closest(".table-wrap");
    const cells = [...table.querySelectorAll("tbody td")].map((cell) => cell.getBoundingClientRect());
    return { scrolls: box.scrollWidth > box.clientWidth, right: Math.max(...cells.map((cell) => cell.right)), left: Math.min(...cells.map((cell) => cell.left)) };
  });
  if (schemaBox.scrolls || schemaBox.left < 0 || schemaBox.right > 390) throw new Error(`the schema's fields are not cards within 390 px: ${JSON.stringify(schemaBox)}`);
  await checkA11y(page, "schema tab with the field profile at 390 px");
  await shot("13-schema-profile-narrow", true);
  for (const [name, address, form] of [
    ["edit form", `/connectors/${demoId}/edit`, "Edit connector"],
    ["wizard", "/connectors/new", "New connector"],
  ]) {
    await page.goto(`${base}${address}`);
    const narrowForm = page.getByRole("form", { name: form });
    await narrowForm.getByRole("group", { name: "Further credentials" }).waitFor();
    if ((await pageWidth()) > 390) throw new Error(`the ${name} is ${await pageWidth()} px wide at 390 px`);
  }
  // (the wizard's) a credential's row: its select on a line of its own, name and value beside
  const narrowWizard = page.getByRole("form", { name: "New connector" });
  await narrowWizard.getByRole("button", { name: "Add a credential" }).click();
  if ((await pageWidth()) > 390) throw new Error(`the wizard with a further credential is ${await pageWidth()} px wide at 390 px`);
  const valueBox = await narrowWizard.getByLabel("Credential value 1").boundingBox();
  if (!valueBox || valueBox.width < 80) throw new Error(`a further credential's value is ${valueBox?.width} px wide at 390 px`);
  await shot("13-wizard-narrow-credentials");
  await narrowWizard.getByRole("button", { name: "Cancel" }).click();
  const narrowLeave = page.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
  await narrowLeave.getByRole("button", { name: "Discard and leave" }).click();
  await page.getByRole("heading", { name: "Connectors", exact: true }).waitFor();
  // The navigation folds behind a Menu button: the bar is one line, the links come on request and
  // Escape folds them again with the focus on the button.
  const topbarHeight = (await page.locator(".topbar").boundingBox())?.height ?? 0;
  if (topbarHeight > 64) throw new Error(`the top bar is ${topbarHeight} px tall at 390 px`);
  const menuButton = page.getByRole("button", { name: "Menu" });
  if (await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Syncs" }).isVisible()) throw new Error("the navigation is not folded at 390 px");
  await menuButton.click();
  if ((await menuButton.getAttribute("aria-expanded")) !== "true") throw new Error("the Menu button does not say it is open");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Syncs" }).waitFor();
  await checkA11y(page, "navigation menu open at 390 px");
  await shot("13-menu-open");
  await page.keyboard.press("Escape");
  if ((await menuButton.getAttribute("aria-expanded")) !== "false") throw new Error("Escape does not close the menu");
  if ((await page.evaluate(() => document.activeElement?.textContent)) !== "Menu") throw new Error("the focus is not back on the Menu button");
  // Webhooks: an endpoint and a delivery are cards, the endpoint's actions on the screen; no
  // scrolling box the keyboard cannot reach.
  await page.goto(`${base}/webhooks`);
  await page.getByRole("table", { name: "Webhook deliveries" }).waitFor();
  const endpointCard = page.getByTestId("endpoint-Ops alerts");
  for (const name of [/^Send test/, /^Edit/, /^Delete/]) {
    const box = await endpointCard.getByRole("button", { name }).boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 390) throw new Error(`the endpoint's ${name} is off-screen at 390 px: ${JSON.stringify(box)}`);
  }
  if ((await pageWidth()) > 390) throw new Error(`the webhooks page is ${await pageWidth()} px wide at 390 px`);
  await checkA11y(page, "webhooks page at 390 px");
  await shot("13-webhooks-narrow", true);
  // The audit trail's filters: two a row, their hints under them, so the events start on the first
  // screens rather than under a form a screen tall; nothing wider than the window.
  await page.goto(`${base}/audit`);
  await page.getByRole("table", { name: "Audit events" }).waitFor();
  if ((await pageWidth()) > 390) throw new Error(`the audit trail is ${await pageWidth()} px wide at 390 px`);
  const auditFilters = await page.getByRole("form", { name: "Audit filters" }).boundingBox();
  if (!auditFilters || auditFilters.height > 450) throw new Error(`the audit filters are ${auditFilters?.height} px tall at 390 px`);
  await checkA11y(page, "audit trail at 390 px");
  await shot("13-audit-narrow", true);
  await page.setViewportSize({ width: 1280, height: 900 });

  // 14a. Dark: the system's preference is followed; axe on the main pages in dark. The Theme
  //      choice (profile menu) overrides it and is remembered across a reload; System goes back.
  const pageBackground = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.emulateMedia({ colorScheme: "dark" });
  const darkPages = [
    ["dashboard", "/", () => page.getByTestId("chart-syncs-per-day").locator("rect").first().waitFor()],
    ["connectors list", "/connectors", () => page.getByRole("link", { name: "Demo Users API" }).first().waitFor()],
    ["connector page with records sorted", `/connectors/${demoId}?r_sort=-data.city`, () => page.getByRole("table", { name: "Records" }).waitFor()],
    ["syncs page", "/syncs", () => page.getByRole("table", { name: "Syncs" }).waitFor()],
    ["sync page", `/sync-logs/${apiRun.id}`, () => page.locator(".event time").first().waitFor()],
    ["destinations", "/destinations", () => page.getByRole("heading", { name: "Destinations" }).waitFor()],
    ["members", "/members", () => page.getByTestId("member-admin@demo.local").waitFor()],
    ["wizard", "/connectors/new", () => page.getByRole("heading", { name: "New connector" }).waitFor()],
    ["webhooks page", "/webhooks", () => page.getByRole("table", { name: "Webhook deliveries" }).waitFor()],
    ["audit trail", "/audit", () => page.getByRole("table", { name: "Audit events" }).waitFor()],
  ];
  for (const [name, address, ready] of darkPages) {
    await page.goto(`${base}${address}`);
    await ready();
    if ((await pageBackground()) !== "rgb(15, 19, 26)") throw new Error(`the ${name} is not dark: ${await pageBackground()}`);
    await checkA11y(page, `${name} in dark`);
  }
  await page.goto(`${base}/connectors/${demoId}?r_sort=-data.city`);
  await page.getByRole("table", { name: "Records" }).waitFor();
  await page.getByTestId("who").locator("summary").click();
  // System, Light and Dark side by side (at the app's 15 px root font, "Dark" wrapped at 17.5rem)
  const themeRows = await page.locator(".profile-panel .theme-option").evaluateAll((options) => new Set(options.map((option) => Math.round(option.getBoundingClientRect().top))).size);
  if (themeRows !== 1) throw new Error(`the theme choices take ${themeRows} lines in the profile menu`);
  await checkA11y(page, "profile menu with the theme choice in dark");
  await shot("14a-dark-connector", true);
  await page.getByTestId("who").getByRole("radio", { name: "Light" }).check();
  if ((await pageBackground()) !== "rgb(244, 246, 250)") throw new Error(`Light did not apply: ${await pageBackground()}`);
  await page.reload();
  await page.getByRole("table", { name: "Records" }).waitFor();
  if ((await pageBackground()) !== "rgb(244, 246, 250)") throw new Error("the Light choice was not remembered");
  await page.getByTestId("who").locator("summary").click();
  await page.getByTestId("who").getByRole("radio", { name: "System" }).check();
  if ((await pageBackground()) !== "rgb(15, 19, 26)") throw new Error("System did not go back to the dark preference");
  await page.getByTestId("who").locator("summary").click();
  await page.emulateMedia({ colorScheme: "light" });

  // 15. A viewer sees no write controls.
  await page.getByTestId("who").locator("summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Email").fill("viewer@demo.local");
  await page.getByLabel("Password").fill(otherPassword);
  await page.getByLabel("Tenant (optional)").fill("demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  // back to the page the session ended on: the demo connector
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  await page.getByRole("table", { name: "Sync history" }).waitFor();
  for (const name of ["Test connection", "Sync now", "Full refresh", "Edit", "Delete"]) {
    if (await page.getByRole("button", { name, exact: true }).count()) throw new Error(`a viewer sees ${name}`);
  }
  await checkA11y(page, "connector page as a viewer");
  await shot("14-viewer");
  await page.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await page.getByRole("link", { name: "Demo Users API" }).first().waitFor();
  if (await page.getByRole("link", { name: "New connector" }).count()) throw new Error("a viewer sees New connector");
  for (const name of [/^Pause/, /^Delete/]) if (await page.getByRole("button", { name }).count()) throw new Error(`a viewer sees ${name}`);
  if (await page.getByRole("link", { name: "Members", exact: true }).count()) throw new Error("a viewer sees Members");
  for (const name of ["Webhooks", "Audit"]) if (await page.getByRole("link", { name, exact: true }).count()) throw new Error(`a viewer sees ${name}`);
  await page.goto(`${base}/webhooks`);
  await page.getByText("Only the tenant's admins manage its webhooks").waitFor();
  await page.goto(`${base}/audit`);
  await page.getByText("Only the tenant's admins can see its audit trail").waitFor();
  await checkA11y(page, "audit page as a viewer");

  // The worker's beat ticked: the background work runs, and no page says it stopped.
  const installation = await apiAs(page, base, "GET", "/api/status/");
  if (installation.background.state !== "running") throw new Error(`the background work is not running: ${JSON.stringify(installation)}`);
  if (await page.getByTestId("background-stopped").count()) throw new Error("a page says the background work stopped while it runs");

  // 16. Sign out: every tab of the session is signed out; a reload stays signed out.
  const viewerTab = await context.newPage();
  viewerTab.on("pageerror", (error) => pageErrors.push(String(error)));
  await viewerTab.goto(`${base}/connectors`);
  await viewerTab.getByRole("link", { name: "Demo Users API" }).first().waitFor();
  await page.getByTestId("who").locator("summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await viewerTab.getByRole("heading", { name: "Sign in" }).waitFor();
  await viewerTab.close();
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.emulateMedia({ colorScheme: "dark" });
  await checkA11y(page, "sign-in page in dark");
  await shot("16-sign-in-dark");

  if (worker.exitCode !== null) throw new Error(`the worker exited:\n${worker.output.join("")}`);
  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  if (nativeDialogs) throw new Error(`${nativeDialogs} native browser dialog(s) appeared: every question is the app's own dialog`);
  log(`PASSED (axe: ${axeChecks.length} pages and states, no violations)`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`[e2e] FAILED: ${error instanceof Error ? error.stack : error}`);
  if (currentPage) {
    const file = path.join(SHOTS, "failure.png");
    await currentPage.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`[e2e] the page at the failure: ${file}`);
  }
  for (const child of children) {
    console.error(`--- ${child.label} output (last lines) ---\n${child.output.slice(-40).join("")}`);
  }
} finally {
  clearTimeout(deadline);
  await cleanup();
}
process.exit(failed ? 1 : 0);
