/**
 * Short, human-readable renderings of arbitrary argument values for error messages.
 *
 * Every error in this package names the offending argument, the value received and what was
 * expected; this module renders the "value received" part without ever dumping a huge array.
 *
 * @module
 */

const MAX_ITEMS = 8;

/**
 * Renders `value` compactly for an error message: numbers as written (`NaN`, `-Infinity`),
 * strings quoted, arrays as `[a,b,c]` (nested, truncated after 8 items), typed arrays as
 * `Float32Array(1000)`, functions as `function name`, other objects by constructor name.
 *
 * @param value - anything a caller passed.
 * @returns a one-line description, at most a few hundred characters.
 */
export function describeValue(value: unknown): string {
  return describe(value, 0);
}

function describe(value: unknown, depth: number): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
      return String(value);
    case "string":
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    case "symbol":
      return value.toString();
    case "function":
      return value.name ? `function ${value.name}` : "function";
    default:
      break;
  }
  if (ArrayBuffer.isView(value)) {
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? "TypedArray";
    const len = (value as { length?: unknown }).length;
    return typeof len === "number" ? `${ctor}(${len})` : ctor;
  }
  if (Array.isArray(value)) {
    if (depth > 2) return "[...]";
    const items = value.slice(0, MAX_ITEMS).map((v) => describe(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`... ${value.length - MAX_ITEMS} more`);
    return `[${items.join(",")}]`;
  }
  const ctorName = (value as { constructor?: { name?: string } }).constructor?.name;
  if (ctorName && ctorName !== "Object") {
    return ctorName;
  }
  if (depth > 1) return "{...}";
  const keys = Object.keys(value as object);
  const shown = keys
    .slice(0, MAX_ITEMS)
    .map((k) => `${k}: ${describe((value as Record<string, unknown>)[k], depth + 1)}`);
  if (keys.length > MAX_ITEMS) shown.push(`... ${keys.length - MAX_ITEMS} more`);
  return `{${shown.join(", ")}}`;
}
