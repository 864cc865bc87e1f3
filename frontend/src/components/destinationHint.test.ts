import { describe, expect, it } from "vitest";

import { destinationErrorHint } from "./destinationHint";

describe("what to do about a destination's error", () => {
  it("places PostgreSQL's connection errors: nothing listening, an unknown host, a timeout, a refused password, no such database, pg_hba", () => {
    expect(destinationErrorHint('Could not connect: connection to server at "127.0.0.1", port 8942 failed: Connection refused')).toMatch(/^Nothing accepted the connection/);
    expect(destinationErrorHint('Could not connect: could not translate host name "db.nowhere" to address: Name or service not known')).toMatch(/^No address was found/);
    expect(destinationErrorHint("Could not connect: timeout expired")).toMatch(/^The server did not answer in time/);
    expect(destinationErrorHint('Could not connect: FATAL:  password authentication failed for user "loader"')).toMatch(/^The server refused the user name or the password/);
    expect(destinationErrorHint('Could not connect: FATAL:  database "analytics" does not exist')).toBe("The server has no database of that name: check the database.");
    expect(destinationErrorHint('Could not connect: FATAL:  no pg_hba.conf entry for host "10.0.0.5", user "loader", database "analytics", no encryption')).toMatch(/pg_hba\.conf entry for it/);
    expect(destinationErrorHint("permission denied for schema public")).toMatch(/grant it USAGE and CREATE/);
  });

  it("adds nothing to an error it cannot place, nor to no error", () => {
    expect(destinationErrorHint("Could not connect: something new")).toBeNull();
    expect(destinationErrorHint("")).toBeNull();
    expect(destinationErrorHint(null)).toBeNull();
  });
});
