import { Validator } from "@cfworker/json-schema";
import fc from "fast-check";

/**
 * fast-check arbitraries driven by the JSON Schemas of the OpenAPI document:
 * `validValue(schema)` yields values the document calls valid, `invalidValue(schema)`
 * values it calls invalid. Both are checked against the schema with
 * @cfworker/json-schema (no eval, so it runs inside workerd as well as in Node).
 *
 * Two constraints exist only in prose in the document, and the valid generator
 * honours them the way a careful client would: `date-time` values are generated
 * in the future (an API key's `expires_at` must be), and `uri` values name a
 * public-looking host on a default port (the outbound URL policy). String lengths
 * are checked in UTF-16 code units as well, as the document's description says.
 */

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  [keyword: string]: unknown;
};

/** Inlines every `#/…` reference (the document has no recursive schemas). */
export function inlineRefs(schema: unknown, root: unknown, depth = 0): JsonSchema {
  if (depth > 32) throw new Error("schema nesting too deep (a recursive $ref?)");
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, root, depth + 1)) as never;
  if (!schema || typeof schema !== "object") return schema as JsonSchema;
  const { $ref, ...rest } = schema as JsonSchema;
  const base = $ref
    ? inlineRefs(
        $ref
          .slice(2)
          .split("/")
          .reduce((node, key) => (node as Record<string, unknown> | undefined)?.[key], root),
        root,
        depth + 1,
      )
    : {};
  const out: JsonSchema = { ...base };
  for (const [key, value] of Object.entries(rest)) out[key] = inlineRefs(value, root, depth + 1);
  return out;
}

const validators = new WeakMap<JsonSchema, Validator>();

/** Whether `value` is valid for `schema`, by JSON Schema 2020-12 plus lengths in UTF-16 units. */
export function conforms(schema: JsonSchema, value: unknown): boolean {
  let v = validators.get(schema);
  if (!v) {
    v = new Validator(schema as never, "2020-12", true);
    validators.set(schema, v);
  }
  return v.validate(value).valid && utf16LengthsOk(schema, value);
}

function utf16LengthsOk(schema: JsonSchema, value: unknown): boolean {
  if (typeof value === "string")
    return (
      value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity)
    );
  if (Array.isArray(value) && schema.items)
    return value.every((v) => utf16LengthsOk(schema.items!, v));
  if (value && typeof value === "object" && schema.properties)
    return Object.entries(value).every(
      ([k, v]) => !schema.properties![k] || utf16LengthsOk(schema.properties![k], v),
    );
  return true;
}

const typesOf = (s: JsonSchema): string[] => {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.properties) return ["object"];
  if (s.items) return ["array"];
  if (s.pattern || s.format || s.minLength !== undefined) return ["string"];
  return ["string", "integer", "boolean", "object", "array", "null"];
};

/** One character of text: mostly ASCII, some Unicode (astral too), a few controls and lone surrogates. */
const textChar = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  },
);

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,6})?$/);
const future = fc
  .integer({ min: 3_600_000, max: 50 * 365 * 86_400_000 })
  .map((ms) => new Date(Date.now() + ms));

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  email: fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9_'+-]{1,16}(\.[A-Za-z0-9_+-]{1,8})?$/),
      fc.array(label, { minLength: 1, maxLength: 3 }),
      fc.constantFrom("com", "org", "dev", "io", "example"),
    )
    .map(([local, labels, tld]) => `${local}@${[...labels, tld].join(".")}`),
  uuid: fc.uuid(),
  "date-time": fc.oneof(
    future.map((d) => d.toISOString()),
    fc
      .tuple(future, fc.integer({ min: -12, max: 14 }))
      .map(([d, h]) =>
        new Date(d.getTime() + h * 3_600_000)
          .toISOString()
          .replace(/\.\d{3}Z$/, `${h < 0 ? "-" : "+"}${String(Math.abs(h)).padStart(2, "0")}:00`),
      ),
  ),
  uri: fc
    .tuple(
      fc.constantFrom("https", "http"),
      fc.array(label, { minLength: 2, maxLength: 4 }),
      fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { maxLength: 3 }),
      fc.option(fc.stringMatching(/^[a-z]{1,8}=[A-Za-z0-9]{0,8}$/), { nil: undefined }),
    )
    .map(
      ([scheme, host, path, query]) =>
        `${scheme}://${host.join(".")}.example/${path.join("/")}${query ? `?${query}` : ""}`,
    ),
};

function patternArbitrary(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    // A construct stringMatching cannot invert: generate text and keep what matches.
    const re = new RegExp(pattern, "u");
    return fc.string({ unit: textChar, maxLength: 40 }).filter((v) => re.test(v));
  }
}

function validString(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? min + 40;
  const re = s.pattern ? new RegExp(s.pattern, "u") : undefined;
  let arb: fc.Arbitrary<string>;
  if (s.format && FORMATS[s.format]) arb = FORMATS[s.format]!;
  else if (s.pattern && s.pattern !== "\\S") arb = patternArbitrary(s.pattern);
  else {
    const cap = Math.min(max, min + 40);
    arb = fc.oneof(
      { weight: 5, arbitrary: fc.string({ unit: textChar, minLength: min, maxLength: cap }) },
      // At the limit: where byte, column and code-unit counts disagree.
      { weight: 1, arbitrary: fc.string({ unit: textChar, minLength: max, maxLength: max }) },
      // White space alone: what a trimming validator turns into nothing.
      { weight: 1, arbitrary: fc.constantFrom(" ", "   ", "\t", " \n ") },
    );
  }
  return arb.filter((v) => v.length >= min && v.length <= max && (!re || re.test(v)));
}

function validOfType(s: JsonSchema, type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: s.minimum ?? -(2 ** 31), max: s.maximum ?? 2 ** 31 - 1 });
    case "number":
      return fc.double({
        min: s.minimum ?? -1e9,
        max: s.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case "string":
      return validString(s);
    case "array": {
      const item = s.items ? validValue(s.items) : fc.jsonValue();
      const minLength = s.minItems ?? 0;
      const maxLength = Math.min(s.maxItems ?? minLength + 5, minLength + 8);
      if (s.uniqueItems)
        return fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) });
      // Half the time drawn from a few values, so repeats are common where they are allowed.
      return fc.oneof(
        fc.array(item, { minLength, maxLength }),
        fc
          .array(item, { minLength: 1, maxLength: 3 })
          .chain((few) => fc.array(fc.constantFrom(...few), { minLength, maxLength })),
      );
    }
    default: {
      const props = s.properties ?? {};
      const keys = Object.keys(props);
      const required = (s.required ?? []).filter((k) => keys.includes(k));
      const optional = keys.filter((k) => !required.includes(k));
      // Which optional members to send: none, some, or all of them.
      const chosen = fc.oneof(
        { weight: 1, arbitrary: fc.constant<string[]>([]) },
        { weight: 3, arbitrary: fc.subarray(optional) },
        { weight: 2, arbitrary: fc.constant(optional) },
      );
      const record = chosen.chain((some) =>
        fc.record(
          Object.fromEntries([...required, ...some].map((k) => [k, validValue(props[k]!)])),
        ),
      );
      // Where the schema allows other members, a client may send some: they must be harmless.
      const extra =
        s.additionalProperties === false
          ? fc.constant({})
          : fc.option(
              fc.dictionary(
                fc.stringMatching(/^x_[a-z]{1,8}$/),
                typeof s.additionalProperties === "object"
                  ? validValue(s.additionalProperties)
                  : fc.jsonValue({ maxDepth: 1 }),
                { maxKeys: 2 },
              ),
              { nil: {}, freq: 4 },
            );
      return fc
        .tuple(record, extra)
        .map(([r, e]) => ({ ...e, ...r }) as Record<string, unknown>)
        .filter((o) => Object.keys(o).length >= (s.minProperties ?? 0));
    }
  }
}

const validCache = new WeakMap<JsonSchema, fc.Arbitrary<unknown>>();

/** Values `schema` accepts. */
export function validValue(s: JsonSchema): fc.Arbitrary<unknown> {
  let arb = validCache.get(s);
  if (!arb) {
    arb = buildValid(s);
    validCache.set(s, arb);
  }
  return arb;
}

function buildValid(s: JsonSchema): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if ("const" in s) arb = fc.constant(s.const);
  else if (s.enum) arb = fc.constantFrom(...s.enum);
  else if (s.anyOf ?? s.oneOf) {
    const { anyOf, oneOf, ...base } = s;
    arb = fc.oneof(...(anyOf ?? oneOf)!.map((branch) => validValue({ ...base, ...branch })));
  } else {
    const types = typesOf(s);
    arb =
      types.length === 1
        ? validOfType(s, types[0]!)
        : fc.oneof(
            ...types.map((t) => ({ weight: t === "null" ? 1 : 4, arbitrary: validOfType(s, t) })),
          );
  }
  return arb.filter((v) => conforms(s, v));
}

const anyJson = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: textChar, maxLength: 12 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Ways to break one level of `s`; object members and array items recurse. */
function breakers(s: JsonSchema, depth: number): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [anyJson];
  const types = typesOf(s);
  if (types.includes("string")) {
    if ((s.minLength ?? 0) > 0)
      out.push(fc.string({ unit: textChar, maxLength: (s.minLength ?? 1) - 1 }));
    if (s.maxLength !== undefined)
      out.push(fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 20 }));
    if (s.pattern || s.format || s.enum)
      out.push(fc.string({ unit: textChar, maxLength: 30 }), fc.stringMatching(/^[ -~]{0,30}$/));
  }
  if (types.includes("integer") || types.includes("number")) {
    if (s.minimum !== undefined)
      out.push(fc.integer({ min: -(2 ** 40), max: Math.ceil(s.minimum) - 1 }));
    if (s.maximum !== undefined)
      out.push(fc.integer({ min: Math.floor(s.maximum) + 1, max: 2 ** 40 }));
    if (types.includes("integer")) out.push(fc.double({ noNaN: true, noDefaultInfinity: true }));
  }
  if (types.includes("array") && s.items && depth < 4) {
    const item = validValue(s.items);
    if (s.maxItems !== undefined)
      out.push(fc.array(item, { minLength: s.maxItems + 1, maxLength: s.maxItems + 3 }));
    if (s.uniqueItems) out.push(item.map((v) => [v, v]));
    const bad = invalidValue(s.items, depth + 1);
    if (bad) out.push(fc.tuple(fc.array(item, { maxLength: 2 }), bad).map(([ok, b]) => [...ok, b]));
  }
  if (types.includes("object") && depth < 4) {
    const valid = validValue(s) as fc.Arbitrary<Record<string, unknown>>;
    for (const key of s.required ?? []) out.push(valid.map(({ [key]: _dropped, ...rest }) => rest));
    if (s.additionalProperties === false)
      out.push(valid.map((o) => ({ ...o, unexpected_member: 1 })));
    if ((s.minProperties ?? 0) > 0) out.push(fc.constant({}));
    for (const [key, prop] of Object.entries(s.properties ?? {})) {
      const bad = invalidValue(prop, depth + 1);
      if (bad) out.push(fc.tuple(valid, bad).map(([o, b]) => ({ ...o, [key]: b })));
    }
  }
  return out;
}

/** Values `schema` refuses, or undefined when it refuses nothing. */
export function invalidValue(s: JsonSchema, depth = 0): fc.Arbitrary<unknown> | undefined {
  if (Object.keys(s).length === 0) return undefined;
  return fc.oneof(...breakers(s, depth)).filter((v) => !conforms(s, v));
}
