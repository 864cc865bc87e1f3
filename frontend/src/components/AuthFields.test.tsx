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

describe("further credentials (secret_params) in the authentication fields", () => {
  const saved = connector({ auth_type: "header", has_api_key: true, secret_param_names: { headers: ["DD-APPLICATION-KEY"], query: ["token"] } });

  it("names the stored ones, sends nothing untouched, {} when cleared", () => {
    render(<Harness saved={saved} />);
    expect(screen.getByText(/Stored: header DD-APPLICATION-KEY, query parameter token\./)).toBeTruthy();
    expect(screen.queryByLabelText("Credential value 1")).toBeNull();
    expect(authInput(latest).secret_params).toBeUndefined();
    fireEvent.click(screen.getByRole("button", { name: "Clear Further credentials" }));
    expect(screen.getByText(/Will be removed when you save\./)).toBeTruthy();
    expect(authInput(latest).secret_params).toEqual({});
    fireEvent.click(screen.getByRole("button", { name: "Keep the stored ones: Further credentials" }));
    expect(authInput(latest).secret_params).toBeUndefined();
  });

  it("replaces them with the typed rows, headers and query parameters apart, as password inputs", () => {
    render(<Harness saved={saved} />);
    fireEvent.click(screen.getByRole("button", { name: "Replace Further credentials" }));
    fireEvent.click(screen.getByRole("button", { name: "Remove credential 2" }));
    fireEvent.click(screen.getByRole("button", { name: "Type a new value for credential 1" }));
    const value = screen.getByLabelText("Credential value 1") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(value, { target: { value: "app-key-2" } });
    fireEvent.click(screen.getByRole("button", { name: "Add a credential" }));
    fireEvent.change(screen.getByLabelText("Sent as 2"), { target: { value: "query" } });
    fireEvent.change(screen.getByLabelText("Credential name 2"), { target: { value: " token " } });
    fireEvent.change(screen.getByLabelText("Credential value 2"), { target: { value: "tok-2" } });
    expect(authInput(latest).secret_params).toEqual({ headers: { "DD-APPLICATION-KEY": "app-key-2" }, query: { token: "tok-2" } });
  });

  it("starts a replacement from the stored names, a path's {secret:NAME} included, keeping their values", () => {
    const telegram = connector({ auth_type: "none", secret_param_names: { headers: ["X-Second"], path: ["token"] } });
    render(<Harness saved={telegram} />);
    expect(screen.getByText(/Stored: header X-Second, path \{secret:token\}\./)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Replace Further credentials" }));
    expect((screen.getByLabelText("Sent as 2") as HTMLSelectElement).value).toBe("path");
    expect((screen.getByLabelText("Credential name 2") as HTMLInputElement).value).toBe("token");
    expect(screen.queryByLabelText("Credential value 2")).toBeNull(); // kept: nothing to type
    expect(authInput(latest).secret_params).toEqual({ headers: { "X-Second": null }, path: { token: null } });
    fireEvent.click(screen.getByRole("button", { name: "Type a new value for credential 1" }));
    fireEvent.change(screen.getByLabelText("Credential value 1"), { target: { value: "second-2" } });
    expect(authInput(latest).secret_params).toEqual({ headers: { "X-Second": "second-2" }, path: { token: null } });
  });

  it("offers a key in the URL's path on a new connector", () => {
    function New() {
      const [values, setValues] = useState(() => initialAuth(undefined, { auth_type: "none" }));
      latest = values;
      return <AuthFields idPrefix="p" values={values} onChange={setValues} errors={{}} />;
    }
    render(<New />);
    expect(screen.getByText(/bot\{secret:token\}\/getUpdates/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Add a credential" }));
    fireEvent.change(screen.getByLabelText("Sent as 1"), { target: { value: "path" } });
    fireEvent.change(screen.getByLabelText("Credential name 1"), { target: { value: "token" } });
    fireEvent.change(screen.getByLabelText("Credential value 1"), { target: { value: "123:AAH" } });
    expect(authInput(latest)).toEqual({ auth_type: "none", secret_params: { path: { token: "123:AAH" } } });
  });

  it("offers them on a new connector, and says in the form's words that a moved endpoint needs them again", () => {
    const message = "Changing api_endpoint sends the credentials elsewhere: send secret_params again (or {} to remove them).";
    render(<AuthFields idPrefix="n" values={initialAuth()} onChange={() => {}} errors={{}} />);
    expect(screen.getByRole("button", { name: "Add a credential" })).toBeTruthy();
    render(<AuthFields idPrefix="e" values={initialAuth(saved)} onChange={() => {}} errors={{ secret_params: [message] }} connector={saved} />);
    expect(
      screen.getByText(
        "The endpoint's host changed: enter the further credentials again (the stored ones are not sent to another host), or choose Clear to remove them.",
      ),
    ).toBeTruthy();
  });
});
