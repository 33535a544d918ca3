import fc from "fast-check";
import {
  conforms,
  inlineRefs,
  invalidValue,
  type JsonSchema,
  validValue,
} from "./json-schema-arbitrary.ts";

/** One operation of the OpenAPI document, with every schema inlined. */
export interface Operation {
  id: string;
  method: string;
  path: string;
  params: Parameter[];
  query: Parameter[];
  body?: { schema: JsonSchema; required: boolean };
  responses: Record<string, { description: string; schema?: JsonSchema; mediaType?: string }>;
  /** The 400 response says an undeclared query parameter is refused. */
  strictQuery: boolean;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

type Content = Record<string, { schema: unknown }>;

/** The parts of an OpenAPI 3.1 document the fuzzer reads. */
export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; required?: boolean; schema: unknown }[];
        requestBody?: { required?: boolean; content?: Content };
        responses: Record<string, { description: string; content?: Content }>;
      }
    >
  >;
}

/** Every operation in the document. */
export function operations(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const parameters = (op.parameters ?? []).map((p) => ({
        in: p.in,
        name: p.name,
        required: Boolean(p.required),
        schema: inlineRefs(p.schema, doc),
      }));
      const json = op.requestBody?.content?.["application/json"];
      const responses = Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => {
          const [mediaType, content] = Object.entries(r.content ?? {})[0] ?? [];
          const schema = content ? inlineRefs(content.schema, doc) : undefined;
          return [status, { description: r.description, mediaType, schema }];
        }),
      );
      return {
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === "path"),
        query: parameters.filter((p) => p.in === "query"),
        body: json
          ? { schema: inlineRefs(json.schema, doc), required: Boolean(op.requestBody?.required) }
          : undefined,
        responses,
        strictQuery: /unknown_query_parameter/.test(responses["400"]?.description ?? ""),
      };
    }),
  );
}

/** What a generated request is meant to be. */
export type Kind =
  | "valid"
  | "invalid-body"
  | "invalid-query"
  | "invalid-path"
  | "unknown-query"
  | "malformed-json"
  | "wrong-media-type"
  | "missing-body";

/** A path parameter: an existing resource of the right kind, or a value as sent. */
export type PathValue = { fixture: number } | { value: string };

export interface Planned {
  kind: Kind;
  params: Record<string, PathValue>;
  query: [string, string][];
  /** `undefined`: no body. A string is sent as is. */
  body?: unknown;
  contentType?: string;
  /** Which credential to present; resolved by the caller. */
  credential: number;
  /** Swap in a real fixture value where the operation needs one (a refresh token, a login). */
  fixtureBody: boolean;
}

/**
 * A query or path value as it travels: integers in decimal, strings as they are,
 * except that a URL carries UTF-8, where a lone surrogate becomes U+FFFD.
 */
const wire = (v: unknown) =>
  (typeof v === "string" ? v : JSON.stringify(v)).replace(LONE_SURROGATE, "\uFFFD");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Whether the document accepts `text` for a parameter of `schema` (integers must be decimal). */
export function wireConforms(schema: JsonSchema, text: string): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("integer") || types.includes("number"))
    return /^-?\d+(\.\d+)?$/.test(text) && conforms(schema, Number(text));
  return conforms(schema, text);
}

/** Wire values the document accepts for a parameter. */
export const validParam = (p: Parameter) =>
  validValue(p.schema)
    .map(wire)
    .filter((t) => wireConforms(p.schema, t));

/** Whether any text at all is refused for a parameter (a bare string schema accepts every one). */
const refusesSomeText = ({ schema: s }: Parameter) =>
  s.enum !== undefined ||
  s.const !== undefined ||
  [s.type].flat().some((t) => t === "integer" || t === "number") ||
  (s.minLength ?? 0) > 0 ||
  s.maxLength !== undefined ||
  s.pattern !== undefined ||
  s.format !== undefined;

const invalidParam = (p: Parameter) =>
  fc
    .oneof(
      (invalidValue(p.schema) ?? fc.string()).map(wire),
      fc.string({ minLength: 1, maxLength: 40 }),
    )
    // Empty and dot segments would change which route the URL names.
    .filter((t) => t !== "" && t !== "." && t !== ".." && !wireConforms(p.schema, t));

function validQuery(query: Parameter[]): fc.Arbitrary<[string, string][]> {
  return fc
    .tuple(
      ...query.map((p) =>
        p.required
          ? validParam(p).map((v) => [p.name, v] as [string, string])
          : fc.option(
              validParam(p).map((v) => [p.name, v] as [string, string]),
              { nil: undefined, freq: 2 },
            ),
      ),
    )
    .map((pairs) => pairs.filter((p): p is [string, string] => p !== undefined));
}

function pathValues(op: Operation, valid: boolean): fc.Arbitrary<Record<string, PathValue>> {
  return fc.record(
    Object.fromEntries(
      op.params.map((p) => {
        const fixture = p.name === "id" ? fc.nat().map((n): PathValue => ({ fixture: n })) : null;
        const value = (valid || !refusesSomeText(p) ? validParam(p) : invalidParam(p)).map(
          (v): PathValue => ({ value: v }),
        );
        return [
          p.name,
          fixture && valid
            ? fc.oneof({ weight: 4, arbitrary: fixture }, { weight: 1, arbitrary: value })
            : value,
        ];
      }),
    ),
  );
}

/** The credential index is weighted by the caller's list: pick uniformly over `credentials` slots. */
export function plan(op: Operation, credentials: number): fc.Arbitrary<Planned> {
  const credential = fc.nat({ max: credentials - 1 });
  const base = {
    params: pathValues(op, true),
    query: validQuery(op.query),
    credential,
    fixtureBody: fc.boolean(),
  };
  const validBody = op.body
    ? op.body.required
      ? validValue(op.body.schema)
      : fc.option(validValue(op.body.schema), { nil: undefined, freq: 3 })
    : fc.constant(undefined);
  const kinds: { weight: number; arbitrary: fc.Arbitrary<Planned> }[] = [
    {
      weight: 10,
      arbitrary: fc.record({ ...base, body: validBody, kind: fc.constant("valid" as const) }),
    },
  ];
  const badBody = op.body && invalidValue(op.body.schema);
  if (op.body && badBody)
    kinds.push({
      weight: 6,
      arbitrary: fc.record({ ...base, body: badBody, kind: fc.constant("invalid-body" as const) }),
    });
  if (op.body) {
    kinds.push(
      {
        weight: 1,
        arbitrary: fc.record({
          ...base,
          body: fc.constantFrom('{"name": ', "{", "[1,]", "nul", '{"a":1}}'),
          kind: fc.constant("malformed-json" as const),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          ...base,
          body: validBody.map((b) => JSON.stringify(b ?? {})),
          contentType: fc.constantFrom("text/plain", "application/x-www-form-urlencoded"),
          kind: fc.constant("wrong-media-type" as const),
        }),
      },
    );
  }
  if (op.body?.required)
    kinds.push({
      weight: 1,
      arbitrary: fc.record({
        ...base,
        body: fc.constant(undefined),
        kind: fc.constant("missing-body" as const),
      }),
    });
  const refusable = op.query.filter(refusesSomeText);
  if (refusable.length)
    kinds.push({
      weight: 3,
      arbitrary: fc.record({
        ...base,
        body: validBody,
        query: fc
          .tuple(
            validQuery(op.query),
            fc.constantFrom(...refusable).chain((p) => invalidParam(p).map((v) => [p.name, v])),
          )
          .map(([ok, bad]) => [...ok.filter(([k]) => k !== bad[0]), bad as [string, string]]),
        kind: fc.constant("invalid-query" as const),
      }),
    });
  if (op.query.length)
    kinds.push({
      weight: 2,
      arbitrary: fc.record({
        ...base,
        body: validBody,
        query: fc
          .tuple(
            validQuery(op.query),
            fc.stringMatching(/^[a-z_]{1,12}$/).filter((k) => !op.query.some((p) => p.name === k)),
          )
          .map(([ok, name]) => [...ok, [name, "1"] as [string, string]]),
        kind: fc.constant("unknown-query" as const),
      }),
    });
  if (op.params.some(refusesSomeText))
    kinds.push({
      weight: 3,
      arbitrary: fc.record({
        ...base,
        body: validBody,
        params: pathValues(op, false),
        kind: fc.constant("invalid-path" as const),
      }),
    });
  return fc.oneof(...kinds);
}
