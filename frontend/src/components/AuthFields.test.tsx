import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import type { Connector } from "../api/types";
import { connector } from "../test/helpers";
import { AuthFields, authInput, initialAuth, type AuthValues } from "./AuthFields";

let latest: AuthValues;

function Harness({ saved }: { saved: Connector }) {
  const [values, setValues] = useState(() => initialAuth(saved));
  latest = values;
  return <AuthFields idPrefix="t" values={values} onChange={setValues} errors={{}} connector={saved} />;
}

describe("write-only credentials in the authentication fields", () => {
  const saved = connector({ auth_type: "basic_key", has_api_key: true, api_key_last4: "9xyz", has_auth_password: false });

  it("shows a stored credential as set and a missing one as not set, and sends neither untouched", () => {
    render(<Harness saved={saved} />);
    expect(screen.getByRole("group", { name: "API key (sent as the user name) Set (…9xyz)" })).toBeTruthy();
    expect(screen.queryByLabelText("API key (sent as the user name)", { selector: "input" })).toBeNull();
    const password = screen.getByLabelText("Password (optional)", { selector: "input" });
    expect(document.getElementById(password.getAttribute("aria-describedby")!)!.textContent).toContain("Not set");
    expect(authInput(latest)).toEqual({ auth_type: "basic_key" });
  });

  it("replaces a stored credential with a typed one, or keeps it after all", () => {
    render(<Harness saved={saved} />);
    fireEvent.click(screen.getByRole("button", { name: "Replace API key (sent as the user name)" }));
    const input = screen.getByLabelText("API key (sent as the user name)", { selector: "input" });
    fireEvent.change(input, { target: { value: "sk_live_2" } });
    expect(authInput(latest)).toEqual({ auth_type: "basic_key", api_key: "sk_live_2" });
    fireEvent.click(screen.getByRole("button", { name: "Keep the stored one: API key (sent as the user name)" }));
    expect(screen.queryByLabelText("API key (sent as the user name)", { selector: "input" })).toBeNull();
    expect(authInput(latest)).toEqual({ auth_type: "basic_key" });
  });

  it("clears a stored credential with an empty string, and undoes that", () => {
    render(<Harness saved={saved} />);
    fireEvent.click(screen.getByRole("button", { name: "Clear API key (sent as the user name)" }));
    expect(screen.getByText("Will be removed when you save.")).toBeTruthy();
    expect(authInput(latest)).toEqual({ auth_type: "basic_key", api_key: "" });
    fireEvent.click(screen.getByRole("button", { name: "Keep it: API key (sent as the user name)" }));
    expect(authInput(latest)).toEqual({ auth_type: "basic_key" });
  });

  it("sends only the credentials of the chosen style", () => {
    render(<Harness saved={saved} />);
    fireEvent.change(screen.getByLabelText("Password (optional)", { selector: "input" }), { target: { value: "X" } });
    expect(authInput(latest)).toEqual({ auth_type: "basic_key", auth_password: "X" });
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "bearer" } });
    expect(authInput(latest)).toEqual({ auth_type: "bearer" }); // the typed password belongs to basic_key
  });
});
