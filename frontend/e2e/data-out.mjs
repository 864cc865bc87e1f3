// End-to-end steps for data out (called once from run-e2e.mjs, signed in as the demo admin after
// the demo connector has synced its 120 records): download a CSV of the records and check its
// header row and row count; the Schema tab lists address.city and profiles it; a PostgreSQL destination in a
// throwaway database (created here on 127.0.0.1:5432 and dropped on the way out, whatever
// happens): create, test, attach the demo connector, load, and see the load succeed with 120 rows,
// and the connector's page name the destination that loads it.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const PG = { host: "127.0.0.1", port: "5432", user: "postgres" };
export const DESTINATION_ALLOWLIST = `${PG.host}:${PG.port}`;

function psql(database, sql) {
  const result = spawnSync("psql", ["-h", PG.host, "-p", PG.port, "-U", PG.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`psql ${sql} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

export async function dataOut({ page, base, checkA11y, shot, log }) {
  // 1. Download the demo connector's records as CSV (fetched with the bearer token, saved by the browser).
  await page.goto(`${base}/connectors`);
  await page.getByRole("link", { name: "Demo Users API" }).first().click();
  await page.getByRole("heading", { name: "Demo Users API" }).waitFor();
  await page.getByRole("table", { name: "Records" }).waitFor();
  const connectorId = /\/connectors\/(\d+)/.exec(page.url())?.[1];
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const csv = readFileSync(await download.path(), "utf8");
  const lines = csv.split("\r\n").filter((line) => line !== "");
  const header = lines[0].split(",");
  const schema = await page.evaluate(async (id) => {
    const { access } = JSON.parse(window.sessionStorage.getItem("migrateiq.tokens"));
    const response = await fetch(`/api/demo-extension/connectors/${id}/schema/`, { headers: { Authorization: `Bearer ${access}` } });
    return response.json();
  }, connectorId);
  const expected = schema.fields.filter((field) => field.column).map((field) => field.path);
  if (header.join(",") !== expected.join(",")) throw new Error(`CSV header ${header} is not the schema's columns ${expected}`);
  if (!header.includes("address.city") || !header.includes("full_name")) throw new Error(`CSV header ${header}`);
  if (lines.length - 1 !== 120) throw new Error(`the CSV has ${lines.length - 1} records, not 120`);
  if (!download.suggestedFilename().endsWith(".csv")) throw new Error(`downloaded as ${download.suggestedFilename()}`);
  await page.getByTestId("download-done").waitFor();
  await checkA11y(page, "records after a CSV download");
  log(`data out: CSV downloaded (${header.length} columns, ${lines.length - 1} rows)`);

  // 2. The Schema tab.
  await page.getByRole("tab", { name: "Schema" }).click();
  const fields = page.getByRole("table", { name: "Inferred fields" });
  await fields.getByRole("cell", { name: "address.city", exact: true }).waitFor();
  await checkA11y(page, "connector schema tab");
  await shot("15-schema", true);
  // The field profile, on demand: every field of the 120 records, present in all of them.
  await page.getByRole("button", { name: "Profile fields" }).click();
  await fields.getByRole("columnheader", { name: "Present" }).waitFor();
  await page.getByTestId("schema-profile-summary").getByText("Presence and nulls in all 120 records.").waitFor();
  const cityRow = fields.getByRole("row").filter({ has: page.getByRole("cell", { name: "address.city", exact: true }) });
  // The column found by its heading, so that a column added to the table (or left out) does not move it.
  const presentIndex = (await fields.locator("thead th").allTextContents()).map((text) => text.trim()).indexOf("Present");
  const cityPresent = (await cityRow.getByRole("cell").nth(presentIndex).textContent())?.trim();
  if (cityPresent !== "100.0 %") throw new Error(`address.city is present in ${cityPresent} of the records, not 100.0 %`);
  await checkA11y(page, "connector schema tab with the field profile");
  await shot("15-schema-profile", true);
  log("data out: schema tab and its field profile");

  // 2b. The Changes tab: the change feed a page at a time, its page downloaded as NDJSON.
  await page.getByRole("tab", { name: "Changes" }).click();
  const changes = page.getByRole("table", { name: "Changes" });
  await changes.getByRole("row").nth(50).waitFor();
  const firstSummary = await page.getByTestId("changes-summary").textContent();
  if (!/^50 changes after sequence 0: .* More follow: next_after is /.test(firstSummary)) throw new Error(`the change feed's first page says: ${firstSummary}`);
  await checkA11y(page, "connector changes tab");
  await shot("15-changes", true);
  const [ndjson] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download NDJSON" }).click()]);
  const changeLines = readFileSync(await ndjson.path(), "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
  if (changeLines.length !== 50 || changeLines.some((change) => change.op !== "upsert" || typeof change.seq !== "number"))
    throw new Error(`the change feed's NDJSON holds ${changeLines.length} lines: ${JSON.stringify(changeLines[0])}`);
  await page.getByRole("button", { name: "Next changes →" }).click();
  await page.getByTestId("changes-summary").getByText(/^50 changes after sequence [1-9]/).waitFor();
  if (!new URL(page.url()).searchParams.get("c_after")) throw new Error(`the change feed's position is not in the address: ${page.url()}`);
  log("data out: changes tab paged and downloaded");

  // 3. A PostgreSQL destination in a throwaway database.
  const database = `migrateiq_e2e_dest_${process.pid}_${Date.now()}`;
  psql("postgres", `CREATE DATABASE ${database}`);
  try {
    await page.getByRole("link", { name: "Destinations", exact: true }).click();
    await page.getByRole("heading", { name: "Destinations", level: 1 }).waitFor();
    await page.getByText("No destination yet.").waitFor();
    await checkA11y(page, "destinations, none yet");
    await page.getByRole("button", { name: "New destination" }).click();
    await page.getByRole("button", { name: "Create destination" }).click();
    await page.getByRole("alert").filter({ hasText: "Not saved" }).waitFor();
    await checkA11y(page, "destination form with errors");
    await page.getByLabel("Name", { exact: true }).fill("E2E warehouse");
    await page.getByLabel("Host").fill(PG.host);
    await page.getByLabel("Database").fill(database);
    await page.getByLabel("Username").fill(PG.user);
    await page.getByLabel("SSL mode").selectOption("disable");
    await page.getByRole("button", { name: "Create destination" }).click();
    await page.getByRole("heading", { name: "E2E warehouse", level: 1 }).waitFor();

    await page.getByRole("button", { name: "Test connection" }).click();
    await page.getByTestId("destination-check").getByRole("heading", { name: "Connected" }).waitFor();
    const checkText = await page.getByTestId("destination-check").textContent();
    if (!/Signed in to PostgreSQL/.test(checkText) || checkText.match(/Connected/g).length !== 1) throw new Error(`the destination test says: ${checkText}`);

    await page.getByLabel("Connector", { exact: true }).selectOption({ label: "Demo Users API" });
    await page.getByLabel("Table name").fill("demo_users");
    await page.getByRole("button", { name: "Attach" }).click();
    await page.getByRole("table", { name: "Attached connectors" }).getByText("public.demo_users").waitFor();

    await page.getByRole("button", { name: "Load now" }).click();
    const loads = page.getByRole("table", { name: "Loads" });
    await loads.getByText("SUCCESS", { exact: true }).waitFor({ timeout: 40_000 });
    const row = loads.locator("tbody tr").first();
    // The column found by its heading, so that a column added to the table does not move it.
    const headings = (await loads.locator("thead th").allTextContents()).map((text) => text.trim().toLowerCase());
    const cell = (heading) => {
      const index = headings.indexOf(heading);
      if (index < 0) throw new Error(`the Loads table has no "${heading}" column: ${headings.join(", ")}`);
      return row.locator(":scope > td").nth(index);
    };
    const upserted = (await cell("rows upserted").innerText()).replace(/\D/g, "");
    const triggered = (await cell("triggered by").innerText()).trim();
    if (triggered !== "Web UI") throw new Error(`the load started with "Load now" shows triggered by "${triggered}"`);
    if (upserted !== "120") throw new Error(`the load shows ${upserted} rows upserted`);
    await row.getByRole("button", { name: /^Log/ }).click();
    await page.getByRole("list", { name: /^Log of load/ }).waitFor();
    const stored = psql(database, "SELECT count(*) FROM public.demo_users");
    if (stored !== "120") throw new Error(`the destination table has ${stored} rows`);
    await checkA11y(page, "destination with a successful load");
    await shot("16-destination-loaded", true);
    log(`data out: destination loaded (${stored} rows in ${database}.public.demo_users)`);

    // The connector's page says where its records are loaded, with the load's outcome.
    await page.goto(`${base}/connectors/${connectorId}`);
    const into = page.getByTestId("loaded-into");
    await into.getByRole("link", { name: "E2E warehouse" }).waitFor();
    const intoText = (await into.innerText()).replace(/\s+/g, " ");
    if (!/E2E warehouse, table public\.demo_users: SUCCESS/.test(intoText)) throw new Error(`the connector's "Loaded into" says: ${intoText}`);
    await checkA11y(page, "connector loaded into a destination");
    log("data out: the connector's page names the destination that loads it");
  } finally {
    psql("postgres", `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
