// What to do about a destination's connection or load error, by the PostgreSQL client's words
// (libpq's messages, which the server passes on after "Could not connect: ").

const HINTS: [RegExp, string][] = [
  [/\bConnection refused\b/i, "Nothing accepted the connection: check the host and the port, and that PostgreSQL is running and listening there."],
  [/\bcould not translate host name\b|\bName or service not known\b|\bcould not be resolved\b/i, "No address was found for the host name: check the host."],
  [/\btimeout expired\b|\btimed out\b/i, "The server did not answer in time: check the host and the port, and that a firewall lets this MigrateIQ server through."],
  [/\bpassword authentication failed\b/i, "The server refused the user name or the password: check both (Edit, and type the password again)."],
  [/\bdatabase "[^"]*" does not exist\b/i, "The server has no database of that name: check the database."],
  [/\bno pg_hba\.conf entry\b/i, "The server does not let this MigrateIQ server in as that user to that database: add a pg_hba.conf entry for it, or check the SSL mode."],
  [/\bpermission denied for (?:schema|database)\b/i, "The user may not create tables there: grant it USAGE and CREATE on the target schema."],
];

/** What to do about a destination's error message; null when there is nothing to add. */
export function destinationErrorHint(message: string | null | undefined): string | null {
  if (!message) return null;
  return HINTS.find(([pattern]) => pattern.test(message))?.[1] ?? null;
}
