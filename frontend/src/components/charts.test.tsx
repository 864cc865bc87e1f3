import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { SYNC_STATUSES } from "../api/types";
import { BarChart, StatusDots, STATUS_COLOURS, STATUS_LEGEND, statusLegend } from "./charts";

describe("the bar chart", () => {
  it("draws one bar per label with stacked segments and a text summary", () => {
    render(
      <BarChart
        title="Syncs per day"
        unit="syncs"
        bars={[
          { label: "Dec 1", segments: [{ key: "SUCCESS", value: 3, colour: STATUS_COLOURS.SUCCESS }, { key: "FAILED", value: 1, colour: STATUS_COLOURS.FAILED }] },
          { label: "Dec 2", segments: [{ key: "SUCCESS", value: 0, colour: STATUS_COLOURS.SUCCESS }, { key: "FAILED", value: 2, colour: STATUS_COLOURS.FAILED }] },
        ]}
        legend={[{ key: "SUCCESS", colour: STATUS_COLOURS.SUCCESS }, { key: "FAILED", colour: STATUS_COLOURS.FAILED }]}
        testId="chart"
      />,
    );
    const chart = screen.getByTestId("chart");
    expect(chart.querySelectorAll("[data-testid='chart-bar']")).toHaveLength(2);
    expect(chart.querySelectorAll("rect")).toHaveLength(3); // a zero segment draws nothing
    expect(within(chart).getByRole("img").getAttribute("aria-label")).toBe("Syncs per day: 2 bars, 6 syncs in all, at most 4 in one.");
    expect(chart.querySelector(`rect[fill='${STATUS_COLOURS.FAILED}']`)).toBeTruthy();
    // the same numbers as a table
    const rows = within(chart).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual(["LabelSUCCESSFAILED", "Dec 131", "Dec 202"]);
  });

  it("lists in its legend only the statuses its bars hold, each in its own colour", () => {
    const day = (label: string, success: number, failed: number) => ({
      label,
      segments: SYNC_STATUSES.map((status) => ({ key: status, value: status === "SUCCESS" ? success : status === "FAILED" ? failed : 0, colour: STATUS_COLOURS[status] })),
    });
    render(<BarChart title="Syncs per day" unit="syncs" integer bars={[day("Dec 1", 2, 0), day("Dec 2", 0, 1)]} legend={STATUS_LEGEND} testId="chart" />);
    const legend = within(screen.getByTestId("chart")).getByRole("list", { name: "Legend" });
    const items = within(legend).getAllByRole("listitem");
    expect(items.map((item) => item.textContent)).toEqual(["SUCCESS", "FAILED"]);
    expect((items[1]?.querySelector(".legend-swatch") as HTMLElement).style.background).toBe("rgb(196, 50, 28)"); // FAILED's colour
    const [header] = within(screen.getByTestId("chart")).getAllByRole("row");
    expect(header?.textContent).toBe("LabelSUCCESSFAILED");
  });

  it("shows no legend for a chart whose bars hold nothing yet", () => {
    const empty = [{ label: "Dec 1", segments: SYNC_STATUSES.map((status) => ({ key: status, value: 0, colour: STATUS_COLOURS[status] })) }];
    render(<BarChart title="Syncs per day" unit="syncs" integer bars={empty} legend={STATUS_LEGEND} testId="chart" />);
    expect(within(screen.getByTestId("chart")).queryByRole("list", { name: "Legend" })).toBeNull();
    expect(statusLegend(["FAILED", "SUCCESS", "FAILED"])).toEqual([
      { key: "SUCCESS", colour: STATUS_COLOURS.SUCCESS },
      { key: "FAILED", colour: STATUS_COLOURS.FAILED },
    ]);
  });

  it("scales the tallest bar to the top of a rounded axis", () => {
    render(<BarChart title="Records" unit="records" bars={[{ label: "a", segments: [{ key: "records", value: 180, colour: "#000" }] }]} testId="c" />);
    const axis = Array.from(screen.getByTestId("c").querySelectorAll("text.chart-axis")).map((t) => t.textContent);
    expect(axis).toContain("200");
  });

  const ticks = (testId: string) => Array.from(screen.getByTestId(testId).querySelectorAll("svg > g[aria-hidden='true'] > text")).map((t) => t.textContent);
  const oneBar = (value: number) => [{ label: "a", segments: [{ key: "records", value, colour: "#000" }] }];

  it("shows whole-number ticks only for a count, 0 and 1 when the most is 0 or 1", () => {
    render(<BarChart title="None" unit="records" integer markZero bars={oneBar(0)} testId="zero" />);
    render(<BarChart title="One" unit="records" integer bars={oneBar(1)} testId="one" />);
    render(<BarChart title="Forty" unit="records" integer bars={oneBar(40)} testId="forty" />);
    expect(ticks("zero")).toEqual(["0", "1"]);
    expect(ticks("one")).toEqual(["0", "1"]);
    expect(ticks("forty")).toEqual(["0", "25", "50"]);
  });

  it("marks every whole number of a small count, up to the count itself", () => {
    render(<BarChart title="Three" unit="syncs" integer bars={oneBar(3)} testId="three" />);
    render(<BarChart title="Five" unit="syncs" integer bars={oneBar(5)} testId="five" />);
    render(<BarChart title="Seven" unit="syncs" integer bars={oneBar(7)} testId="seven" />);
    render(<BarChart title="Twenty-one" unit="syncs" integer bars={oneBar(21)} testId="twenty-one" />);
    expect(ticks("three")).toEqual(["0", "1", "2", "3"]);
    expect(ticks("five")).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(ticks("seven")).toEqual(["0", "5", "10"]);
    expect(ticks("twenty-one")).toEqual(["0", "5", "10", "15", "20", "25"]);
    // The tallest of three bars reaches the top of the axis, as the ticks say.
    const top = screen.getByTestId("three").querySelectorAll("svg > g[aria-hidden='true'] > line")[3];
    const bar = screen.getByTestId("three").querySelector("[data-testid='chart-bar'] rect");
    expect(bar?.getAttribute("y")).toBe(top?.getAttribute("y1"));
  });

  it("labels the ticks of a small measure with its significant digits", () => {
    render(<BarChart title="Duration" unit="s" bars={oneBar(0.025)} testId="duration" />);
    expect(ticks("duration")).toEqual(["0", "0.0125", "0.025"]);
  });

  it("labels 1,250 as 1,250, not 1.3k, and larger ticks in thousands to two decimals", () => {
    render(<BarChart title="Small" unit="records" integer bars={oneBar(2100)} testId="small" />);
    render(<BarChart title="Large" unit="records" integer bars={oneBar(21000)} testId="large" />);
    render(<BarChart title="Huge" unit="records" integer bars={oneBar(2_100_000)} testId="huge" />);
    expect(ticks("small")).toEqual(["0", "1,250", "2,500"]);
    expect(ticks("large")).toEqual(["0", "12.5k", "25k"]);
    expect(ticks("huge")).toEqual(["0", "1.25M", "2.5M"]);
  });

  it("says the exact numbers in its summary, its bars' titles and its table", () => {
    render(<BarChart title="Records" unit="records" integer bars={[{ label: "#1", segments: [{ key: "records", value: 1250, colour: "#000" }] }]} testId="exact" />);
    const chart = screen.getByTestId("exact");
    expect(within(chart).getByRole("img").getAttribute("aria-label")).toBe("Records: 1 bar, 1,250 records in all, at most 1,250 in one.");
    expect(chart.querySelector("[data-testid='chart-bar'] title")?.textContent).toBe("#1: records 1,250");
    expect(within(chart).getAllByRole("row")[1]?.textContent).toBe("#11,250");
  });

  it("keeps a mark in its colour on the baseline for a run's bar of 0, so a run that stored nothing is seen", () => {
    const bars = [
      { label: "#6", segments: [{ key: "records (FAILED)", value: 0, colour: STATUS_COLOURS.FAILED }] },
      { label: "#7", segments: [{ key: "records (SUCCESS)", value: 500, colour: STATUS_COLOURS.SUCCESS }] },
    ];
    render(<BarChart title="Records" unit="records" integer markZero bars={bars} testId="zero-bar" />);
    const marks = screen.getByTestId("zero-bar").querySelectorAll("[data-testid='chart-zero-mark']");
    expect(marks).toHaveLength(1);
    expect(marks[0]?.getAttribute("fill")).toBe(STATUS_COLOURS.FAILED);
  });

  it("leaves a day of 0 empty: no mark where nothing happened", () => {
    const day = (label: string, value: number) => ({ label, segments: [{ key: "SUCCESS", value, colour: STATUS_COLOURS.SUCCESS }] });
    render(<BarChart title="Syncs per day" unit="syncs" integer bars={[day("1 Dec", 0), day("2 Dec", 2)]} testId="empty-day" />);
    expect(screen.getByTestId("empty-day").querySelectorAll("[data-testid='chart-bar']")).toHaveLength(2);
    expect(screen.getByTestId("empty-day").querySelector("[data-testid='chart-zero-mark']")).toBeNull();
  });

  it("says so when there is no data", () => {
    render(<BarChart title="Records" unit="records" bars={[]} />);
    expect(screen.getByText("No data yet.")).toBeTruthy();
  });

  it("says there was nothing in the period instead of drawing an empty frame when every bar is 0", () => {
    const days = Array.from({ length: 30 }, (_, index) => ({ label: `${index + 1} Nov`, segments: [{ key: "SUCCESS", value: 0, colour: STATUS_COLOURS.SUCCESS }] }));
    render(<BarChart title="Syncs per day" unit="syncs" integer bars={days} testId="quiet" />);
    expect(within(screen.getByTestId("quiet")).getByText("No syncs in this period.")).toBeTruthy();
    expect(screen.getByTestId("quiet").querySelector("svg")).toBeNull();
    // runs of 0 records are runs: their slivers stay
    render(<BarChart title="Records per sync" unit="records" integer markZero bars={days.slice(0, 2)} testId="runs" />);
    expect(screen.getByTestId("runs").querySelectorAll("[data-testid='chart-zero-mark']")).toHaveLength(2);
  });
});

describe("the bar chart on a narrow screen", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("is drawn at the width it is laid out at, so its 11 px labels stay 11 px, with as many labels as fit", () => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(320); // a phone's card
    const bars = Array.from({ length: 30 }, (_, i) => ({ label: `${i + 1} Nov`, segments: [{ key: "SUCCESS", value: i, colour: STATUS_COLOURS.SUCCESS }] }));
    render(<BarChart title="Syncs per day" unit="syncs" bars={bars} testId="chart" />);
    const svg = within(screen.getByTestId("chart")).getByRole("img");
    expect(svg.getAttribute("viewBox")).toBe("0 0 320 180");
    const labels = Array.from(svg.querySelectorAll("[data-testid='chart-bar'] text"), (text) => text.textContent);
    expect(labels).toEqual(["1 Nov", "9 Nov", "17 Nov", "25 Nov"]); // 56 px each at most: none overlaps
  });

  it("keeps its drawing width where nothing is laid out", () => {
    render(<BarChart title="Syncs per day" unit="syncs" bars={[{ label: "Dec 1", segments: [{ key: "SUCCESS", value: 1, colour: STATUS_COLOURS.SUCCESS }] }]} testId="chart" />);
    expect(within(screen.getByTestId("chart")).getByRole("img").getAttribute("viewBox")).toBe("0 0 640 180");
  });
});

describe("the status dots", () => {
  it("show the latest runs newest first with their statuses as text", () => {
    const { container } = render(<StatusDots statuses={["RUNNING", "FAILED", "SUCCESS"]} />);
    expect(screen.getByRole("img", { name: "Latest runs, newest first: RUNNING, FAILED, SUCCESS" })).toBeTruthy();
    expect(container.querySelectorAll(".status-dot")).toHaveLength(3);
  });

  it("say when a connector has no runs", () => {
    render(<StatusDots statuses={[]} />);
    expect(screen.getByText("no runs")).toBeTruthy();
  });
});
