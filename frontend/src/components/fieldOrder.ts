import type { SchemaField } from "../api/types";

// The order in which a connector's records first showed its fields (the schema's `position`): the
// upstream's own order, which the stored records lose (their keys are sorted). The records table's
// columns and the Schema tab's rows follow it.

/** Each field of the schema (a dotted path) with the positions along its path, its parents' and its
 * own: the order in which the records first showed them (the upstream's own field order). */
export type FieldOrder = ReadonlyMap<string, readonly number[]>;

export function fieldOrder(fields: readonly SchemaField[] | undefined): FieldOrder {
  const order = new Map<string, number[]>();
  if (!Array.isArray(fields)) return order;
  const position = new Map<string, number>();
  for (const field of fields) if (typeof field.position === "number") position.set(field.path, field.position);
  for (const field of fields) {
    const own = position.get(field.path);
    const parts: readonly string[] = field.parts ?? [];
    if (own === undefined || parts.length === 0) continue;
    // An object not listed (a schema cut short) stands where its field does.
    order.set(
      field.path,
      parts.map((_part: string, index: number) => position.get(parts.slice(0, index + 1).join(".")) ?? own),
    );
  }
  return order;
}

export function comparePositions(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (!a || !b) return (a ? 0 : 1) - (b ? 0 : 1); // fields the schema does not know yet come after
  for (let index = 0; index < Math.min(a.length, b.length); index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
  return a.length - b.length;
}

/** The schema's fields in the order first seen, each object's fields right after it. */
export function inFirstSeenOrder<T extends SchemaField>(fields: readonly T[]): T[] {
  const order = fieldOrder(fields);
  return [...fields].sort((a, b) => comparePositions(order.get(a.path), order.get(b.path)));
}
