import { describe, expect, it } from "vitest";

import { isFormula, toCsv } from "./components/download";
import { groupByError } from "./components/Quarantine";
import { elapsedSeconds, recordsPerSecond } from "./components/LiveStats";
import { formatCount, formatDateTime, formatPercent, formatRate, formatRelative, formatSeconds, formatTimeMs, triggerLabel } from "./format";
import { syncLog } from "./test/helpers";

describe("formatting", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");

  it("writes a count with its noun in the right number", () => {
    expect(formatCount(1, "record")).toBe("1 record");
    expect(formatCount(0, "record")).toBe("0 records");
    expect(formatCount(1234, "page")).toBe("1,234 pages");
    expect(formatCount(1, "delivery", "deliveries")).toBe("1 delivery");
    expect(formatCount(2, "delivery", "deliveries")).toBe("2 deliveries");
  });

  it("says how far a time is, in the future or the past", () => {
    expect(formatRelative("2026-12-04T12:37:00Z", now)).toBe("in 37 min");
    expect(formatRelative("2026-12-04T14:05:00Z", now)).toBe("in 2 h 5 min");
    expect(formatRelative("2026-12-04T11:57:00Z", now)).toBe("3 min ago");
    expect(formatRelative("2026-12-04T12:00:20Z", now)).toBe("now");
    expect(formatRelative("2026-12-07T12:00:00Z", now)).toBe("in 3 d");
    expect(formatRelative(null, now)).toBe("—");
  });

  it("rounds before it splits into units: never 60 minutes or 60 seconds", () => {
    // a daily connector synced a moment ago: 23 h 59 min 40 s to go
    expect(formatRelative("2026-12-05T11:59:40Z", now)).toBe("in 1 d");
    expect(formatRelative("2026-12-04T12:59:50Z", now)).toBe("in 1 h");
    expect(formatRelative("2026-12-04T10:59:31Z", now)).toBe("1 h ago");
    expect(formatSeconds(179.6)).toBe("3 min 0 s");
    expect(formatSeconds(119.96)).toBe("2 min 0 s");
    expect(formatSeconds(59.94)).toBe("59.9 s");
    expect(formatSeconds(59.96)).toBe("1 min 0 s");
    expect(formatSeconds(0.9996)).toBe("1.0 s");
    expect(formatSeconds(0.046)).toBe("46 ms");
    expect(formatSeconds(61.4)).toBe("1 min 1 s");
    expect(formatSeconds(125.2)).toBe("2 min 5 s");
    expect(formatSeconds(3599.6)).toBe("1 h");
    expect(formatSeconds(3629)).toBe("1 h");
  });

  it("says a duration as a person would: milliseconds under a second, tenths under a minute, then minutes and seconds, then hours and minutes", () => {
    expect(formatSeconds(0.004)).toBe("4 ms");
    expect(formatSeconds(0)).toBe("0 ms");
    expect(formatSeconds(1.2)).toBe("1.2 s");
    expect(formatSeconds(184)).toBe("3 min 4 s");
    expect(formatSeconds(3720)).toBe("1 h 2 min");
    expect(formatSeconds(26 * 3600 + 5 * 60)).toBe("26 h 5 min");
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(Number.NaN)).toBe("—");
    expect(formatPercent(null)).toBe("—");
  });

  it("gives no rate to a run that handled no record, and a run's rate otherwise", () => {
    expect(formatRate(0, 2.9)).toBe("—"); // a failed run: "0/s" read as a measured speed
    expect(formatRate(5000, 6.7)).toBe("746/s");
    expect(formatRate(12, 4)).toBe("3.0/s");
    expect(formatRate(12, null)).toBe("—");
    expect(formatRate(1, 40)).toBe("0.025/s"); // one record every 40 s is not "0.0/s"
    expect(formatRate(2_500_000, 2)).toBe("1,250,000/s");
  });

  it("shows dates with their time zone and log times to the millisecond", () => {
    expect(formatDateTime("2026-12-04T12:00:00Z")).toMatch(/(UTC|GMT|[A-Z]{2,5}|[+-]\d)/);
    expect(formatTimeMs("2026-12-04T12:00:01.007Z")).toMatch(/^\d\d:\d\d:01\.007 \S+$/);
  });
});

describe("live progress figures", () => {
  it("use the time since the start while running and the duration once finished", () => {
    const started = "2026-12-04T12:00:00Z";
    const running = syncLog({ status: "RUNNING", started_at: started, records_processed: 500 });
    expect(elapsedSeconds(running, Date.parse("2026-12-04T12:00:10Z"))).toBe(10);
    expect(recordsPerSecond(running, Date.parse("2026-12-04T12:00:10Z"))).toBe(50);
    const done = syncLog({ status: "SUCCESS", started_at: started, duration_seconds: 4, records_processed: 100 });
    expect(elapsedSeconds(done, Date.parse("2026-12-04T13:00:00Z"))).toBe(4);
    expect(recordsPerSecond(syncLog({ started_at: null }), now())).toBeNull();
  });

  it("count a resumed run's earlier attempts, not the time it was stopped", () => {
    // started_at is the first start: the run failed after 6 s, was resumed an hour later
    const resumed = syncLog({
      status: "RUNNING",
      started_at: "2026-12-04T12:00:00Z",
      resumed_at: "2026-12-04T13:00:00Z",
      duration_seconds: 6,
      records_processed: 800,
    });
    expect(elapsedSeconds(resumed, Date.parse("2026-12-04T13:00:10Z"))).toBe(16);
    expect(recordsPerSecond(resumed, Date.parse("2026-12-04T13:00:10Z"))).toBe(50);
  });
});

describe("quarantine downloads", () => {
  it("writes CSV with quoting and neutralises spreadsheet formulas", () => {
    const csv = toCsv(
      [
        { external_id: "a,1", error: 'bad "x"', raw_payload: { id: 1 } },
        { external_id: "=cmd()", error: "line\nbreak", raw_payload: null },
      ],
      ["external_id", "error", "raw_payload"],
    );
    expect(csv).toBe('external_id,error,raw_payload\r\n"a,1","bad ""x""","{""id"":1}"\r\n\'=cmd(),"line\nbreak",\r\n');
  });

  it("neutralises a formula after leading blanks or in full-width forms, as the export does", () => {
    const hostile = [" =1+1", "\u00a0@SUM(A1)", "\u3000-2+3", "\n=1", "\u200b=1", "\t1", "\r1", "\uff1d1+1", "\uff0b1", "\uff0d1+1", "\uff20A1", "+1-555"];
    expect(hostile.filter((text) => !isFormula(text))).toEqual([]);
    expect(["a=b", "e-mail", "-20.5", "  -20.5", "+3", "1e-7", ""].filter(isFormula)).toEqual([]);
    expect(toCsv([{ v: " =1+1" }], ["v"])).toBe("v\r\n' =1+1\r\n");
  });

  it("groups quarantined records by their error, largest group first", () => {
    const item = (id: number, error: string) => ({ id, error, sync_log: 1, connector: 1, external_id: String(id), raw_payload: {}, page: 1, created_at: "" });
    const groups = groupByError([item(1, "a"), item(2, "b"), item(3, "b")]);
    expect(groups.map((g) => [g.error, g.items.length])).toEqual([
      ["b", 2],
      ["a", 1],
    ]);
  });
});

function now() {
  return Date.now();
}

describe("triggerLabel", () => {
  it("says what started a sync or a load in words, not the API's value (ui, api, manual)", () => {
    expect(["ui", "api", "schedule", "manual", "sync"].map(triggerLabel)).toEqual(["Web UI", "API", "Schedule", "Command line", "After a sync"]);
    expect(triggerLabel("webhook")).toBe("webhook"); // a value this build does not know: shown as sent
  });
});
