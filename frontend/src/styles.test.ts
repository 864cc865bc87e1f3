import { beforeAll, describe, expect, it } from "vitest";

// Vitest hands CSS imports over empty, so the sheet is read from disk (through a module name in a
// variable: the type check knows the browser, not Node).
let css = "";
beforeAll(async () => {
  const fs = "node:fs";
  const { readFileSync } = (await import(/* @vite-ignore */ fs)) as { readFileSync: (path: string, encoding: "utf8") => string };
  css = readFileSync(decodeURIComponent(import.meta.url.replace(/^file:\/\//, "").replace(/[^/]+$/, "styles.css")), "utf8");
});

/** The declarations of the first rule whose selector list is exactly `selector`. */
function declarations(selector: string): string {
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return css.match(new RegExp(`(?:^|\\n)${escaped}\\s*\\{([^}]*)\\}`))?.[1] ?? "";
}

describe("the style sheet", () => {
  it("closes every rule it opens: an unclosed one nests the rest of the sheet under its selector, where nothing matches", () => {
    const code = css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/"[^"\n]*"/g, '""');
    let depth = 0;
    for (const char of code) {
      if (char === "{") depth += 1;
      if (char === "}") depth -= 1;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    // the field profile's share bars (after the schema changes' rules) are top-level rules
    expect(css).toMatch(/\n\.share-bar \{/);
    expect(code).toMatch(/\.schema-change-breaking \{\s*color: var\(--warning\);\s*\}/);
  });

  it("shows the account's name before the @ in a phone's bar, the domain hidden visually only, and the whole email wrapped in the menu", () => {
    const phone = css.slice(css.indexOf("@media (max-width: 640px)"));
    const domain = phone.match(/\.who-domain \{([^}]*)\}/)?.[1] ?? "";
    expect(domain).toMatch(/position:\s*absolute/);
    expect(domain).toMatch(/clip:\s*rect\(0 0 0 0\)/);
    expect(domain).not.toMatch(/display:\s*none/);
    expect(declarations(".profile-panel .who-full-email")).toMatch(/overflow-wrap:\s*anywhere/);
    // the menu's arrow keeps its distance from the name in the phone's flex summary too
    expect(declarations(".profile-menu summary::after")).toMatch(/margin-left:\s*0\.3em/);
  });

  it("keeps a connector row's Sync now, Pause and Delete on one line, the sync's state under them", () => {
    // a wrapping flex row let the table size the column to one button: Delete went to a second line at 1280 px
    const inner = declarations(".row-actions-inner");
    expect(inner).toMatch(/display:\s*grid/);
    expect(inner).toMatch(/grid-auto-flow:\s*column/);
    expect(inner).not.toMatch(/flex-wrap:\s*wrap/);
    const status = declarations(".row-sync-status");
    expect(status).toMatch(/grid-row:\s*2/);
    expect(status).toMatch(/grid-column:\s*1 \/ span 3/);
  });

  it("keeps an object the audit trail names on one line, in a Details column wide enough for it on a phone", () => {
    expect(declarations(".audit-table .audit-object")).toMatch(/white-space:\s*nowrap/);
    expect(declarations(".audit-table .audit-details")).toMatch(/min-width:\s*15rem/);
  });

  it("wraps a stacked cell's label on a phone, even in a cell that keeps its value on one line (a date)", () => {
    const phone = css.slice(css.indexOf("@media (max-width: 640px) {\n  .table-stack thead"));
    const label = phone.match(/\.table-stack td\[data-label\]::before \{([^}]*)\}/)?.[1] ?? "";
    expect(label).toMatch(/content:\s*attr\(data-label\)/);
    expect(label).toMatch(/white-space:\s*normal/);
  });

  it("keeps a failed load's error and a load's log in the window on a phone, where the load history scrolls sideways", () => {
    const rule = css.match(/\n\.load-error-row td > \*,\n\.load-log-row td > \* \{([^}]*)\}/)?.[1] ?? "";
    expect(rule).toMatch(/position:\s*sticky/);
    expect(rule).toMatch(/left:\s*0\.75rem/);
    expect(rule).toMatch(/max-width:\s*calc\(100vw - 6rem\)/);
  });

  it("lets the load history's column names take two lines, so its ten columns fit a laptop without hiding Log", () => {
    expect(declarations(".load-history th")).toMatch(/white-space:\s*normal/);
  });

  it("wraps a sync's progress label under its bar rather than squeezing the bar to a sliver on a phone", () => {
    expect(declarations(".progress")).toMatch(/flex-wrap:\s*wrap/);
    expect(declarations(".progress-track")).toMatch(/flex:\s*1 1 12rem/);
  });

  it("keeps the visually hidden text of a sideways-scrolling table inside it, so a phone does not scroll the whole page", () => {
    expect(declarations(".visually-hidden")).toMatch(/position:\s*absolute/);
    expect(declarations(".table-wrap")).toMatch(/overflow-x:\s*auto/);
    expect(declarations(".table-wrap")).toMatch(/position:\s*relative/);
  });

  it("pins the records table's Last written beside the raw column, at the raw column's fixed width from the edge", () => {
    expect(declarations(".records-table .pinned-end")).toMatch(/width:\s*var\(--pinned-end-width\)/);
    expect(css).toMatch(/\.records-table \.pinned-before-end \{\s*position: sticky;\s*right: var\(--pinned-end-width\);/);
  });

  it("leaves a phone's records table room for its data: a narrower raw column, the key's name wrapping, long values cut sooner", () => {
    const phone = css.match(/@media \(max-width: 640px\) \{\s*\.records-table \{([\s\S]*?)\n\}/)?.[1] ?? "";
    expect(phone).toMatch(/--pinned-end-width:\s*4\.75rem/);
    expect(phone).toMatch(/\.records-table thead th:first-child \{\s*white-space: normal;/);
    expect(phone).toMatch(/\.records-table \.cell-value \{\s*max-width: 11rem;/);
    // wider up, the raw column keeps the width Last written is pinned at
    expect(declarations(".records-table")).toMatch(/--pinned-end-width:\s*6\.5rem/);
  });

  it("gives the rules' \"Convert to\" column the width of its longest choice, so no choice is cut off", () => {
    const columns = declarations(".rule-head,\n.rule-row").match(/grid-template-columns:\s*([^;]+);/)?.[1]?.trim().split(/\s+(?![^(]*\))/);
    expect(columns).toHaveLength(8);
    expect(columns![4]).toBe("minmax(18rem, 1.1fr)"); // #, source, arrow, target, convert to, …
    // no column sized by content: the head's columns line up with the rows'
    expect(columns!.filter((column) => /content|auto/.test(column))).toEqual([]);
    // the row wraps before its columns' least widths no longer fit beside the page's margins
    expect(css).toMatch(/@media \(max-width: 1024px\) \{\s*\.rule-head \{\s*display: none;/);
  });

  it("stacks the connectors list's rows on a phone, each cell under its column's name, the actions in reach", () => {
    const phone = css.slice(css.indexOf(".table-stack thead"));
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.table-stack thead \{/);
    expect(phone).toMatch(/\.table-stack,\s*\.table-stack tbody,\s*\.table-stack tr,\s*\.table-stack td \{\s*display: block;/);
    expect(phone).toMatch(/\.table-stack td\[data-label\]::before \{\s*content: attr\(data-label\);/);
  });

  it("puts the Syncs and delivery filters two a row on a phone, so the list starts on the first screen", () => {
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.filter-grid\.filter-pairs \{\s*grid-template-columns: repeat\(2, minmax\(0, 1fr\)\);/);
    // after the grid's own columns, which would win otherwise
    expect(css.indexOf(".filter-grid.filter-pairs {")).toBeGreaterThan(css.indexOf(".filter-grid {"));
  });

  it("keeps a failing connector's error in the list as narrow as the dates beside it, and the card's width on a phone", () => {
    expect(css).toMatch(/\.run-error-text\.last-sync-error \{\s*max-width: 14rem;/);
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.run-error-text\.last-sync-error \{\s*max-width: none;/);
  });

  it("gives a failed run's error the card's whole width on a phone, not the narrow column of the cells' names", () => {
    expect(css).toMatch(/@media \(max-width: 640px\) \{[^@]*\.table\.table-stack td\.run-error \{\s*display: block;/);
    // after the stacked cells' grid, which would win otherwise
    expect(css.indexOf(".table.table-stack td.run-error {")).toBeGreaterThan(css.indexOf(".table.table-stack td {"));
    // a disabled-looking button while a download runs (aria-disabled keeps the focus on it)
    expect(css).toMatch(/\.btn:disabled,\s*\.btn\[aria-disabled="true"\] \{\s*opacity: 0\.55;/);
  });

  it("stacks the schema's fields on a phone too, a long nested path wrapping inside its card", () => {
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.table\.table-stack\.schema-fields td\.stack-title \{\s*overflow-wrap: anywhere;/);
    // and the preview's samples (emails, URLs: no spaces) inside the card of their field
    expect(css).toMatch(/\.table\.table-stack\.schema-fields td\[data-label="Samples"\] \{\s*overflow-wrap: anywhere;/);
  });

  it("lets a button with a sentence for a label wrap inside a phone's width (the empty full refresh's)", () => {
    expect(declarations(".btn")).toMatch(/white-space:\s*nowrap;/);
    expect(declarations(".btn-wrap")).toMatch(/white-space:\s*normal;/);
    expect(declarations(".btn-wrap")).toMatch(/max-width:\s*100%;/);
    // after .btn, which would win otherwise
    expect(css.indexOf(".btn-wrap {")).toBeGreaterThan(css.indexOf(".btn {"));
  });

  it("keeps \"Advanced: pagination as JSON\" a field's distance from the field under it (Max pages per sync)", () => {
    expect(declarations("details.advanced")).toMatch(/margin-bottom:\s*0\.9rem/);
    expect(declarations(".field")).toMatch(/margin-bottom:\s*0\.9rem/);
  });

  it("keeps the wizard's Back / Next row apart from the step's last button (the preview's)", () => {
    expect(declarations(".wizard-actions")).toMatch(/margin-top:\s*1rem/);
  });

  it("sets a phone's pager as the page's place on a line, then Previous and Next on one line at its ends", () => {
    const phone = css.match(/@media \(max-width: 640px\) \{\s*nav\.pager > span \{([\s\S]*?)\n\}/)?.[0] ?? "";
    expect(phone).toMatch(/nav\.pager > span \{\s*order: -1;\s*flex-basis: 100%;/);
    expect(phone).toMatch(/nav\.pager > \.btn:last-child \{\s*margin-left: auto;/);
  });

  it("keeps the Edit form's Save / Cancel apart from the preview's Fetch a preview above them, under a line", () => {
    const after = declarations(".preview + .actions");
    expect(after).toMatch(/margin-top:\s*1rem/);
    expect(after).toMatch(/border-top:\s*1px solid var\(--border\)/);
  });

  it("keeps the Further credentials fieldset inside a phone's width, its long example URL wrapping", () => {
    // a fieldset's default min-width is its content's: the URL widened the page by 4 px at 390 px
    expect(declarations(".kv-editor")).toMatch(/min-width:\s*0;/);
    expect(declarations(".kv-editor .hint")).toMatch(/overflow-wrap:\s*anywhere;/);
    // and a credential's row puts its select on a line of its own there
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.kv-row\.secret-param-row \{\s*grid-template-columns: 1fr 1fr auto;\s*\}\s*\.kv-row\.secret-param-row select \{\s*grid-column: 1 \/ -1;/);
  });

  it("gives the records search's text its placeholder's room on a phone: the field picker takes its own line", () => {
    const phone = css.match(/@media \(max-width: 640px\) \{\s*\.records-search \{\s*flex-wrap: wrap;\s*\}\s*\.records-search select \{([^}]*)\}/);
    expect(phone?.[1]).toMatch(/flex:\s*1 1 100%;/);
    expect(phone?.[1]).toMatch(/max-width:\s*none;/);
    // after the wider screens' cap of the picker, which would win otherwise
    expect(css.indexOf(phone![0])).toBeGreaterThan(css.indexOf(".records-search select {\n  width: auto;\n  max-width: 12rem;"));
  });

  it("writes a sortable column's name as the other headers (a button inherits no text-transform)", () => {
    expect(declarations(".table th")).toMatch(/text-transform:\s*uppercase;/);
    expect(declarations(".sort-button")).toMatch(/text-transform:\s*inherit;/);
    expect(declarations(".sort-button")).toMatch(/letter-spacing:\s*inherit;/);
  });

  it("keeps the audit trail's who on one line, so a wide Details column cannot break an email mid-word", () => {
    expect(declarations(".audit-table .audit-who")).toMatch(/white-space:\s*nowrap;/);
  });

  it("gives a further credential's select only the room it needs, its name and value the rest", () => {
    expect(declarations(".kv-row.secret-param-row")).toMatch(/grid-template-columns:\s*auto 1fr 1fr auto/);
  });

  it("writes each colour once for both themes (light-dark), following the system unless light or dark is picked", () => {
    const root = declarations(":root");
    const colours = Array.from(root.matchAll(/(--[a-z-]+):\s*([^;]+);/g)).filter(([, name]) => name !== "--radius");
    expect(colours.length).toBeGreaterThan(30);
    // every colour is a light-dark() pair, but the two that are the same in both themes
    const single = colours.filter(([, , value]) => !/^light-dark\(#[0-9a-f]{6}, #[0-9a-f]{6}\)$/.test(value!)).map(([, name]) => name);
    expect(single.sort()).toEqual(["--primary", "--primary-dark"]);
    // System: the browser picks from the system's preference; a pick fixes it
    expect(root).toMatch(/color-scheme:\s*light dark;/);
    expect(declarations(':root[data-theme="light"]').trim()).toBe("color-scheme: light;");
    expect(declarations(':root[data-theme="dark"]').trim()).toBe("color-scheme: dark;");
    // no second copy of the dark colours
    expect(css).not.toMatch(/prefers-color-scheme/);
    expect(css.match(/--bg:/g)).toHaveLength(1);
  });

  it("draws a checkbox among small buttons (Include deleted records) at their scale, not the page's 24 px box and 1rem label", () => {
    const buttonSize = declarations(".btn-small").match(/font-size:\s*([^;]+);/)?.[1];
    expect(declarations(".checkbox-compact")).toContain(`font-size: ${buttonSize};`);
    const box = declarations('.checkbox-compact input[type="checkbox"]');
    expect(box).toMatch(/width:\s*18px;/);
    expect(box).toMatch(/height:\s*18px;/);
    // the margin keeps a 24 px target's room around the smaller box
    expect(box).toMatch(/margin:\s*3px;/);
  });

  it("keeps a run's counters on one row at laptop widths and lists them a counter a row on a phone, none left alone", () => {
    // auto-fit columns of 140 px: seven counters fit the 1280 px page's card
    expect(declarations(".live-stats + .counters")).toMatch(/grid-template-columns:\s*repeat\(auto-fit, minmax\(140px, 1fr\)\);/);
    const phone = css.slice(css.indexOf("@media (max-width: 640px) {\n  .topbar"));
    expect(phone).toMatch(/\.live-stats \+ \.counters \{\s*grid-template-columns: 1fr;/);
    // each counter's name and figure on one line, at either end
    expect(phone).toMatch(/\.live-stats \+ \.counters > div \{\s*display: flex;\s*justify-content: space-between;/);
  });

  it("lists a running sync's five headline figures and a run's details a row each on a phone, none left alone, in columns on wider screens", () => {
    expect(declarations(".details,\n.counters")).toMatch(/grid-template-columns:\s*repeat\(auto-fill, minmax\(200px, 1fr\)\);/);
    const phone = css.slice(css.indexOf("@media (max-width: 640px) {\n  .topbar"));
    expect(phone).toMatch(/\.live-stats > \.counters,\s*\.run-details,\s*\.live-stats \+ \.counters \{\s*grid-template-columns: 1fr;/);
    expect(phone).toMatch(/\.live-stats > \.counters > div,\s*\.run-details > div,\s*\.live-stats \+ \.counters > div \{\s*display: flex;\s*justify-content: space-between;/);
  });

  it("shrinks the wizard's steps to a row of numbers on a phone, the labels still read by screen readers", () => {
    const phone = css.slice(css.indexOf(".steps .current .step-number {"));
    expect(phone).toMatch(/@media \(max-width: 640px\) \{\s*\.steps \{\s*flex-wrap: nowrap;/);
    const hidden = phone.match(/\.steps \.step-label \{([^}]*)\}/)?.[1] ?? "";
    // visually hidden, not display: none (which would take the labels from screen readers too)
    expect(hidden).toMatch(/position:\s*absolute;/);
    expect(hidden).toMatch(/clip:\s*rect\(0, 0, 0, 0\);/);
    expect(hidden).not.toMatch(/display:\s*none/);
  });

  it("lines a table's cells up on their first line's baseline, so code type and small type sit level with the text beside them", () => {
    expect(declarations(".table th,\n.table td")).toMatch(/vertical-align:\s*baseline;/);
  });

  it("sets a filter's From and Until days side by side on a phone, as two cells of the filter grid on wider screens", () => {
    expect(declarations(".day-range")).toMatch(/display:\s*contents;/);
    expect(css).toMatch(/@media \(max-width: 640px\) \{\s*\.day-range \{\s*display: grid;\s*grid-column: 1 \/ -1;\s*grid-template-columns: repeat\(2, minmax\(0, 1fr\)\);/);
  });

  it("keeps colours in variables: no literal colour outside the themes but the top bar's and the status colours", () => {
    const body = css.replace(/:root[^{]*\{[^}]*\}/g, "");
    const literals = Array.from(body.matchAll(/#[0-9a-fA-F]{3,6}\b/g), (m) => m[0].toLowerCase());
    const allowed = new Set(["#17203a", "#fff", "#ffffff", "#c9d3ee", "#aab4cf", "#16794a", "#a15c00", "#c4321c", "#5f6b7d", "#1d3fc4"]);
    expect(literals.filter((colour) => !allowed.has(colour))).toEqual([]);
  });
});
