// End-to-end test of the MigrateIQ web UI against a real stack, in Debian's Chromium.
//
// Starts, in a fresh temporary MIGRATEIQ_VAR_DIR: migrations, the demo upstream API
// (manage.py demo_api), the demo data (manage.py seed_demo) and the web server (runserver, syncs
// run inline); builds the UI; then signs in, opens the demo connector, tests the connection,
// syncs, and checks SUCCESS and the records. Screenshots of every step go to $E2E_SCREENSHOT_DIR
// (default /tmp/migrateiq-e2e). Every process it starts is stopped on the way out; the whole run
// is bounded by E2E_TIMEOUT_SECONDS (default 110).
//
//   node e2e/run-e2e.mjs            (from frontend/; or `npm run e2e`)

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(FRONTEND, "..");
const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");
const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.E2E_SCREENSHOT_DIR ?? "/tmp/migrateiq-e2e";
const TIMEOUT_SECONDS = Number(process.env.E2E_TIMEOUT_SECONDS ?? 110);

const started = Date.now();
const children = [];
let browser = null;
let currentPage = null;
let varDir = null;

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

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function stackEnv(extra) {
  const env = { ...process.env, ...extra };
  // The embedded default (SQLite, local cache, no broker) under the temporary var dir.
  for (const name of ["DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG"]) delete env[name];
  return env;
}

function manage(env, args) {
  const result = spawnSync(PYTHON, ["manage.py", ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`manage.py ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

function startBackground(name, env, args) {
  const child = spawn(PYTHON, ["manage.py", ...args], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON}: run \`make install\` (or set E2E_PYTHON)`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);

  log("building the UI");
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: FRONTEND, encoding: "utf8", timeout: 90_000 });
  if (build.status !== 0) throw new Error(`UI build failed:\n${build.stdout}\n${build.stderr}`);

  varDir = mkdtempSync(path.join(tmpdir(), "migrateiq-e2e-"));
  const apiPort = await freePort();
  const webPort = await freePort();
  const env = stackEnv({
    MIGRATEIQ_VAR_DIR: varDir,
    MIGRATEIQ_EGRESS_ALLOWLIST: `127.0.0.1:${apiPort}`,
    MIGRATEIQ_SYNC_RUNNER: "inline",
    MIGRATEIQ_HTTP_MAX_ATTEMPTS: "1",
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
  ]);
  await waitForHttp(`http://127.0.0.1:${apiPort}/users`, upstream);
  const seeded = manage(env, ["seed_demo", "--api-url", `http://127.0.0.1:${apiPort}/users`]);
  const password = /Password:\s+(\S+)/.exec(seeded)?.[1];
  if (!password) throw new Error(`seed_demo printed no password:\n${seeded}`);
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
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  currentPage = page;
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  const shot = async (name, fullPage = false) => {
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    log(`screenshot ${file}`);
  };

  // 1. Signed out: the UI sends us to the sign-in page; a wrong password shows the API's detail.
  await page.goto(`${base}/connectors`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Email").fill("admin@demo.local");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByLabel("Tenant (optional)").fill("demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  await shot("01-login-error");

  // 2. Sign in: back to the page asked for, with who we are and our role.
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Connectors" }).waitFor();
  const who = await page.getByTestId("who").innerText();
  if (!who.includes("admin@demo.local") || !who.toLowerCase().includes("admin")) throw new Error(`who am I shows ${who}`);
  await page.getByRole("link", { name: "Demo Users API" }).waitFor();
  await shot("02-connectors");

  // 3. Dashboard.
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await page.getByText("Records synced").waitFor();
  await shot("03-dashboard");

  // 4. The demo connector: test the connection.
  await page.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await page.getByRole("link", { name: "Demo Users API" }).click();
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  await page.getByRole("button", { name: "Test connection" }).click();
  const test = page.getByTestId("test-result");
  await test.getByRole("heading", { name: "Connected" }).waitFor();
  await shot("04-connection-tested");

  // 5. Sync now: the progress panel follows the run to SUCCESS; the records appear.
  await page.getByRole("button", { name: "Sync now" }).click();
  const progress = page.getByTestId("sync-progress");
  await progress.getByText("SUCCESS", { exact: true }).waitFor({ timeout: 30_000 });
  const processed = await progress.getByTestId("records-processed").innerText();
  if (processed.replace(/\D/g, "") !== "120") throw new Error(`records processed shows ${processed}`);
  await page.getByRole("table", { name: "Records" }).waitFor();
  const recordRows = await page.getByRole("table", { name: "Records" }).locator("tbody tr").count();
  if (recordRows < 1) throw new Error("no records listed after the sync");
  await page.getByRole("table", { name: "Sync history" }).getByText("SUCCESS").waitFor();
  await shot("05-synced", true);

  // 6. The records filter by external id.
  await page.getByLabel("Filter by external id").fill("7");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('table[aria-label="Records"] tbody tr');
    return rows.length === 1 && rows[0].textContent.startsWith("7");
  });

  // 7. The sync's own page: counters and log lines.
  await progress.getByRole("link").first().click();
  await page.getByRole("heading", { name: /^Sync #\d+$/ }).waitFor();
  await page.getByRole("heading", { name: "Log" }).waitFor();
  await page.locator(".event").first().waitFor();
  await shot("06-sync-log", true);

  // 8. A new connector: the API's validation errors show next to their fields; a wrong API key
  //    makes its sync fail with the upstream's answer, and the failed sync offers Resume.
  await page.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await page.getByRole("button", { name: "New connector" }).click();
  const form = page.getByRole("form", { name: "New connector" });
  await form.getByLabel("Name").fill("Billing API");
  await form.getByLabel("API endpoint").fill("http://169.254.169.254/latest");
  await form.getByLabel("API key").fill("wrong-key");
  await form.getByLabel("Transformation rules (JSON)").fill('{"type_conversions": {"id": "money"}}');
  await form.getByRole("button", { name: "Create connector" }).click();
  await form.locator(".field-invalid").first().waitFor();
  await shot("07-create-validation");
  await form.getByLabel("API endpoint").fill(`http://127.0.0.1:${apiPort}/users`);
  await form.getByLabel("Transformation rules (JSON)").fill('{"type_conversions": {"id": "int"}}');
  await form.getByRole("button", { name: "Create connector" }).click();
  await page.getByRole("heading", { name: "Billing API" }).waitFor();
  if (!(await page.getByText("stored (…-key)").isVisible())) throw new Error("the new key's last four are not shown");
  await page.getByRole("button", { name: "Sync now" }).click();
  await page.getByTestId("sync-progress").getByText("FAILED", { exact: true }).waitFor({ timeout: 30_000 });
  await page.getByTestId("sync-progress").getByRole("link").first().click();
  await page.getByRole("button", { name: "Resume" }).waitFor();
  await shot("08-failed-sync", true);

  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await page.getByRole("table", { name: "Recent syncs" }).getByText("FAILED", { exact: true }).waitFor();
  await shot("09-dashboard-after-syncs");

  // 9. A narrow window.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("link", { name: "Connectors", exact: true }).first().click();
  await page.getByRole("link", { name: "Demo Users API" }).click();
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  await shot("10-connector-narrow");
  await page.getByRole("table", { name: "Records" }).scrollIntoViewIfNeeded();
  await shot("11-records-narrow");

  // 10. Sign out: back to the sign-in page; a reload stays signed out.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();

  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  log("PASSED");
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
