import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { ConnectorInput } from "../api/types";
import { connector } from "../test/helpers";
import { ConnectorForm } from "./ConnectorForm";

describe("the connector edit form", () => {
  it("sends the request budget, empty limits as null", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    render(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    expect((screen.getByLabelText("Concurrent requests") as HTMLInputElement).value).toBe("4");
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "2" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({
      max_requests_per_second: 0.5,
      max_concurrent_requests: 2,
      max_requests_per_sync: null,
    });
  });

  it("refuses a budget that is not a number before sending it", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    render(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Requests per sync"), { target: { value: "lots" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    expect(await screen.findByText("Enter a number, or leave it empty for no limit.")).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("sends the time budget per sync in seconds, empty as null", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    render(<ConnectorForm connector={connector({ max_sync_seconds: 600 })} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Time budget per sync (seconds)") as HTMLInputElement;
    expect(field.value).toBe("600");
    fireEvent.change(field, { target: { value: "" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ max_sync_seconds: null });
  });
});
