import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeFetch } from "../test/helpers";
import { Quarantine } from "./Quarantine";

describe("the quarantine", () => {
  it("shows a payload's big integers and long decimals exactly as the API sent them", async () => {
    fakeFetch(() => ({
      text:
        '{"count": 1, "next": null, "previous": null, "results": [{"id": 1, "sync_log": 3, "connector": 7, "external_id": "a", ' +
        '"raw_payload": {"id": 9007199254740993, "n": 12345678901234567890123, "p": 0.1000000000000000055511151231257827, "x": 1e400}, "error": "bad", "page": 1, "created_at": "2026-11-27T10:00:00Z"}]}',
    }));
    render(<Quarantine logId={3} failed={1} />);
    expect(await screen.findByText((text) => text.startsWith('{"id":9007199254740993,"n":12345678901234567890123,"p":0.1000000000000000055511151231257827,'))).toBeTruthy();
    expect(document.querySelector("pre.json-block")?.textContent).toContain('"n": 12345678901234567890123,');
    expect(document.querySelector("pre.json-block")?.textContent).toContain('"p": 0.1000000000000000055511151231257827,');
    expect(document.querySelector("pre.json-block")?.textContent).toContain('"x": 1e400');
  });
});
