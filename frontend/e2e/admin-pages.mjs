// End-to-end steps for the admins' pages of the webhooks and audit modules (called once from
// run-e2e.mjs, signed in as the demo admin): a webhook receiver on 127.0.0.1 (started before the
// stack, so its address is in the egress allowlist) checks each request's signature; the Webhooks
// page creates an endpoint (its signing secret shown once), sends a test ping that the receiver
// verifies, shows it in the delivery log, and disables the endpoint; the Audit page lists the
// events and filters them. axe checks each state, and any console error fails the step.

import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";

/** A webhook receiver on 127.0.0.1 that answers 204 and keeps what it received. */
export async function startReceiver(port = 0) {
  const received = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { port: server.address().port, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Whether `request` is signed with `secret` as webhooks/README.md tells receivers to check. */
function signedWith(secret, request) {
  const parts = Object.fromEntries(String(request.headers["migrateiq-signature"] ?? "").split(",").map((item) => item.split("=", 2)));
  if (!parts.t || !parts.v1) return false;
  const expected = createHmac("sha256", secret).update(`${parts.t}.`).update(request.body).digest("hex");
  return expected.length === parts.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

export async function adminPages({ page, base, receiver, checkA11y, shot, log }) {
  const consoleErrors = [];
  const onConsole = (message) => message.type() === "error" && consoleErrors.push(message.text());
  page.on("console", onConsole);
  const nav = page.getByRole("navigation", { name: "Main" });

  // 1. Webhooks: none yet; create one (the secret shown once), ping it, see the log, disable it.
  await nav.getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
  await page.getByTestId("endpoints-empty").waitFor();
  await page.getByTestId("deliveries-empty").waitFor();
  await checkA11y(page, "webhooks page, no endpoint yet");
  await page.getByRole("button", { name: "New endpoint" }).click();
  const form = page.getByRole("form", { name: "New webhook endpoint" });
  await form.getByLabel("Name").fill("Ops alerts");
  await form.getByLabel("URL").fill(`http://127.0.0.1:${receiver.port}/migrateiq`);
  await form.getByRole("checkbox", { name: /load\.finished/ }).check();
  await checkA11y(page, "webhooks page, new endpoint form");
  await form.getByRole("button", { name: "Create endpoint" }).click();
  const card = page.getByTestId("signing-secret");
  await card.getByText("This signing secret is shown only once").waitFor();
  const secret = await card.getByLabel("Signing secret").inputValue();
  if (!/^whsec_\S{20,}$/.test(secret)) throw new Error(`the signing secret shown is ${secret}`);
  if ((await page.evaluate(() => document.activeElement?.id)) !== "signing-secret-heading") throw new Error("focus is not on the one-time secret");
  const row = page.getByTestId("endpoint-Ops alerts");
  await row.waitFor();
  if (!(await row.innerText()).includes(`…${secret.slice(-4)}`)) throw new Error("the endpoint's row does not show the secret's last four characters");
  await checkA11y(page, "webhooks page with the one-time signing secret");
  await shot("17-webhooks-secret", true);
  await card.getByRole("button", { name: "Done" }).click();
  await card.waitFor({ state: "detached" });
  if ((await page.content()).includes(secret)) throw new Error("the signing secret is still on the page after Done");

  await row.getByRole("button", { name: /^Send test/ }).click();
  const ping = page.getByTestId("ping-result");
  await ping.getByRole("heading", { name: "Test ping to Ops alerts delivered" }).waitFor();
  await ping.getByText("204", { exact: true }).waitFor();
  await page.getByTestId("announcer").filter({ hasText: "Test ping to Ops alerts delivered" }).waitFor();
  const pinged = receiver.received.at(-1);
  if (!pinged || pinged.headers["migrateiq-event"] !== "ping") throw new Error("the receiver got no ping");
  if (!signedWith(secret, pinged)) throw new Error("the ping is not signed with the secret the page showed");
  const deliveries = page.getByRole("table", { name: "Webhook deliveries" });
  await deliveries.getByRole("cell", { name: "ping", exact: true }).waitFor();
  await deliveries.getByText("SUCCESS", { exact: true }).waitFor();
  await checkA11y(page, "webhooks page with a test ping's result and the delivery log");
  await shot("17-webhooks-ping", true);
  await row.getByRole("button", { name: /^Disable/ }).click();
  await row.getByText("DISABLED", { exact: true }).waitFor();
  await row.getByRole("button", { name: /^Enable/ }).waitFor();
  log("admin pages: webhook endpoint created, pinged (signature verified) and disabled");

  // 2. The audit trail: the admin's own actions, newest first; a filter by action.
  await nav.getByRole("link", { name: "Audit", exact: true }).click();
  await page.getByRole("heading", { name: "Audit trail", level: 1 }).waitFor();
  const events = page.getByRole("table", { name: "Audit events" });
  await events.getByRole("cell", { name: "webhook.changed", exact: true }).first().waitFor();
  await checkA11y(page, "audit trail");
  await shot("18-audit", true);
  // Who: each email on one line at 1280 px, beside the long Details of a connector's creation.
  const brokenEmails = await events.evaluate((table) =>
    Array.from(table.querySelectorAll("td.audit-who > span:first-child"))
      // one line: every box of the text (one per text node) at the same height
      .filter((email) => new Set(Array.from(email.getClientRects(), (rect) => Math.round(rect.top))).size > 1)
      .map((email) => email.textContent),
  );
  if (brokenEmails.length) throw new Error(`the audit trail breaks ${brokenEmails[0]} across lines`);
  await page.getByLabel("Action").fill("member.added");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/action=member\.added/);
  await page.waitForFunction(() => {
    const cells = Array.from(document.querySelectorAll('table[aria-label="Audit events"] tbody tr td:nth-child(3)'));
    return cells.length > 0 && cells.every((cell) => cell.textContent === "member.added");
  });
  // A run's event names its connector by name (the API's objects[].name), not "connector #1" alone.
  await page.getByLabel("Action").fill("sync.started");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/action=sync\.started/);
  await events.getByRole("link", { name: /^Demo Users API \(connector #\d+\)$/ }).first().waitFor();
  await page.getByLabel("Action").fill("no.such.action");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByTestId("audit-empty").filter({ hasText: "No event matches these filters." }).waitFor();
  await checkA11y(page, "audit trail, nothing matches");

  page.off("console", onConsole);
  if (consoleErrors.length) throw new Error(`console errors on the admin pages: ${consoleErrors.join("; ")}`);
}
