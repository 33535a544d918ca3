import { dereference, type Schema, validate } from "@cfworker/json-schema";

/**
 * The response half of the API contract: is a response one that `/openapi.json`
 * documents for the request's route template, method and status? Used by the
 * recorder in test/setup.ts on every response the workerd suite produces, and by
 * test/app/contract.test.ts on deliberately wrong ones.
 *
 * JSON Schema is evaluated by @cfworker/json-schema: it interprets schemas instead
 * of compiling them with `new Function()`, which workerd forbids.
 */

type Content = Record<string, { schema?: Schema }>;
type Documented = { description: string; content?: Content };
type Operation = { responses: Record<string, Documented> };
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

/**
 * Pages for people rather than API operations, answered outside the document: the
 * API reference and its assets, the document itself, and the HTML status page.
 * Their content type is checked, nothing else.
 */
const PAGES: [RegExp, RegExp][] = [
  [/^\/openapi\.json$/, /^application\/json$/],
  [/^\/docs$/, /^text\/html$/],
  [/^\/docs\/assets\//, /^(text|application)\/javascript$/],
  [/^\/status$/, /^text\/html$/],
  [/^\/admin$/, /^text\/html$/],
];

const PROBLEM = "application/problem+json";

/** What a path without an operation can answer: not found, wrong method, or the global middleware's. */
const NO_ROUTE = [404, 405, 413, 415, 500, 504];
/** …and under /api/, the IP rules' 403 and the global rate limiter's 429. */
const NO_API_ROUTE = [403, 429];

/** The validator's summaries of nested failures, which the nested errors say better. */
const WRAPPER_ERROR =
  /^(A subschema had errors|Property .* does not match|Items did not match|Array items did not match)/;

export interface Contract {
  /** Everything wrong with `response` as an answer to `method url` (empty: it conforms). Reads its body. */
  check(method: string, url: string, response: Response): Promise<string[]>;
}

interface Route {
  template: string;
  pattern: RegExp;
  methods: Record<string, Operation>;
}

/** Templates with fewer parameters first, so `/audit-logs/verify` wins over a `{id}` sibling. */
function routes(doc: OpenApiDocument): Route[] {
  return Object.entries(doc.paths)
    .map(([template, methods]) => ({
      template,
      methods,
      params: template.split("{").length - 1,
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+")}$`,
      ),
    }))
    .sort((a, b) => a.params - b.params);
}

/** A response body as the client reads it: decompressed, as text. */
async function bodyText(response: Response): Promise<string> {
  if (!response.body) return "";
  const encoding = response.headers.get("content-encoding");
  const stream =
    encoding === "gzip" || encoding === "deflate"
      ? response.body.pipeThrough(new DecompressionStream(encoding))
      : response.body;
  return new Response(stream).text();
}

const mediaType = (response: Response) =>
  (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

const COMPOSITIONS = ["allOf", "anyOf", "oneOf"] as const;
const REF_PREFIX = "#/components/schemas/";

/**
 * The document with every object schema closed (`unevaluatedProperties: false`):
 * a member the runtime sends but the document does not declare is drift too.
 * A schema that is one part of an `allOf`/`anyOf`/`oneOf` stays open (its siblings
 * declare the rest); the composition as a whole is closed instead, and a component
 * used as such a part is closed where it is used on its own. The Problem schema
 * stays open: RFC 9457 lets a problem carry extension members.
 */
function closed(doc: OpenApiDocument): OpenApiDocument {
  const parts = new Set<string>();
  const findParts = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) findParts(item);
      return;
    }
    if (!node || typeof node !== "object") return;
    const schema = node as Record<string, unknown>;
    for (const key of COMPOSITIONS)
      for (const part of (schema[key] as Schema[] | undefined) ?? [])
        if (part.$ref?.startsWith(REF_PREFIX)) parts.add(part.$ref.slice(REF_PREFIX.length));
    for (const value of Object.values(schema)) findParts(value);
  };
  findParts(doc);
  const OPEN = `${REF_PREFIX}Problem`;

  const open = (schema: Record<string, unknown>) =>
    !("additionalProperties" in schema) && !("unevaluatedProperties" in schema);
  const close = (node: unknown, part = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => close(n));
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      out[key] = (COMPOSITIONS as readonly string[]).includes(key)
        ? (value as unknown[]).map((n) => close(n, true))
        : close(value);
    if (part || !open(out) || out.$ref === OPEN) return out;
    const ref = typeof out.$ref === "string" ? out.$ref : "";
    const isObject =
      out.type === "object" ||
      (out.properties && !out.type) ||
      COMPOSITIONS.some((k) => k in out) ||
      (ref.startsWith(REF_PREFIX) && parts.has(ref.slice(REF_PREFIX.length)));
    if (isObject) out.unevaluatedProperties = false;
    return out;
  };
  const copy = close(doc.paths) as OpenApiDocument["paths"];
  const schemas = Object.fromEntries(
    Object.entries(doc.components.schemas).map(([name, schema]) => [
      name,
      close(schema, parts.has(name) || name === "Problem"),
    ]),
  ) as Record<string, Schema>;
  return { ...doc, paths: copy, components: { ...doc.components, schemas } };
}

export function contractFrom(served: OpenApiDocument): Contract {
  const doc = closed(served);
  // Indexes every schema of the document by its JSON pointer, so `#/components/…`
  // references resolve from any response schema validated below.
  const lookup = dereference(doc as unknown as Schema);
  const table = routes(doc);
  const problemOnly: Documented = {
    description: "",
    content: { [PROBLEM]: { schema: doc.components.schemas.Problem } },
  };

  /** Schema errors as `at <instance location> (<keyword location>): <error>`, the failing leaves only. */
  const schemaErrors = (schema: Schema, value: unknown) => {
    const { valid, errors } = validate(value, schema, "2020-12", lookup, false);
    if (valid) return [];
    const leaves = errors.filter((e) => !WRAPPER_ERROR.test(e.error));
    return (leaves.length ? leaves : errors).slice(0, 5).map(
      (e) =>
        `at ${e.instanceLocation || "#"} (${e.keywordLocation}): ${
          // What a closed object's `unevaluatedProperties: false` reports.
          e.error === "False boolean schema." ? "a member the schema does not declare" : e.error
        }`,
    );
  };

  async function checkDocumented(
    id: string,
    method: string,
    response: Response,
    documented: Documented,
  ): Promise<string[]> {
    const status = response.status;
    const type = mediaType(response);
    const text = await bodyText(response);
    const media = Object.entries(documented.content ?? {});
    if (media.length === 0) {
      return text === ""
        ? []
        : [`${id} → ${status}: documented without a body, but answered ${type || "a body"}`];
    }
    // HEAD answers GET's headers and no body.
    if (method === "HEAD") return [];
    const schema = documented.content?.[type]?.schema;
    if (!documented.content?.[type]) {
      return [
        `${id} → ${status}: content type ${type || "(none)"} is not documented (documented: ${media.map(([t]) => t).join(", ")})`,
      ];
    }
    if (!type.endsWith("json")) return [];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return [`${id} → ${status}: ${type} body is not JSON: ${text.slice(0, 80)}`];
    }
    const errors = schema ? schemaErrors(schema, json) : [];
    // The Problem schema cannot tie its `status` member to the response's.
    if (type === PROBLEM && (json as { status?: unknown })?.status !== status)
      errors.push(`problem status ${(json as { status?: unknown })?.status} ≠ HTTP ${status}`);
    return errors.map((e) => `${id} → ${status} ${type}: ${e}`);
  }

  return {
    async check(method, url, response) {
      method = method.toUpperCase();
      // A CORS preflight is the CORS middleware's, answered by the Fetch standard's rules.
      if (method === "OPTIONS") return [];
      const path = new URL(url).pathname.replace(/(.)\/$/, "$1");
      const status = response.status;
      const route = table.find((r) => r.pattern.test(path));
      if (!route) {
        const page = PAGES.find(([p]) => p.test(path));
        if (page && status < 400) {
          const type = mediaType(response);
          return page[1].test(type) || status === 304
            ? []
            : [`${method} ${path} → ${status}: content type ${type} is not what this page serves`];
        }
        // Anything else is no route of ours: a 404 (or 405 on a page) problem, or a
        // problem from the middleware in front of every route (src/app.ts).
        const possible = path.startsWith("/api/") ? [...NO_ROUTE, ...NO_API_ROUTE] : NO_ROUTE;
        if (!possible.includes(status))
          return [`${method} ${path} → ${status}: no operation documents this path`];
        return checkDocumented(`${method} ${path} (no operation)`, method, response, problemOnly);
      }
      const op = route.methods[(method === "HEAD" ? "GET" : method).toLowerCase()];
      const id = `${method} ${route.template}`;
      if (!op) {
        // Hono answers a method the path does not have with a 405 problem.
        const errors = await checkDocumented(id, method, response, problemOnly);
        return status === 405 ? errors : [`${id} → ${status}: no such operation`, ...errors];
      }
      const documented = op.responses[String(status)];
      if (!documented)
        return [
          `${id} → ${status}: status not documented (documented: ${Object.keys(op.responses).join(", ")})`,
        ];
      return checkDocumented(id, method, response, documented);
    },
  };
}

/** A response as the recorder keeps it: everything but a live body stream. */
export interface Recorded {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: ArrayBuffer | null;
}

/**
 * Every response the suite produces through the Worker, checked against the
 * document: test/setup.ts hooks the Worker's `fetch` and calls {@link record};
 * an `afterEach` there calls {@link drain} and fails the test whose responses do
 * not conform. Responses are kept as bytes and checked in the test's own context:
 * workerd does not let one request's I/O (the Worker's, behind
 * `exports.default.fetch`) be awaited from another's.
 */
let pending: Recorded[] = [];
let optedOut: string | undefined;
let contract: Contract | undefined;

/** How many responses were recorded in this file so far (for the recorder's own test). */
export const recorded = { count: 0 };

/** The document the recorder checks against (test/setup.ts loads it once per test file). */
export function useDocument(doc: OpenApiDocument): void {
  contract = contractFrom(doc);
}

/** Records one response; checked by {@link drain}. */
export function record(response: Recorded): void {
  if (optedOut || !contract) return;
  recorded.count++;
  pending.push(response);
}

/**
 * Records the response a test got from the Worker and returns it for the test to
 * read. The body is read once into memory (bytes and headers unchanged): the test
 * gets one copy, the check another, and neither waits on the other being read.
 */
export async function recordResponse(
  request: { method: string; url: string },
  response: Response,
): Promise<Response> {
  const body = response.body ? await response.arrayBuffer() : null;
  const { status, headers } = response;
  record({
    method: request.method,
    url: request.url,
    status,
    headers: new Headers(headers),
    body: body?.slice(0) ?? null,
  });
  return body ? new Response(body, response) : response;
}

/**
 * Opt-out for the current test only, for one that deliberately breaks the Worker
 * (a fake binding, a broken environment) in a way no client can meet. Say why.
 */
export function skipContractCheck(reason: string): void {
  if (!reason.trim()) throw new Error("skipContractCheck needs a reason");
  optedOut = reason;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * The recorded response rebuilt for the check. A 101 (a WebSocket upgrade) cannot
 * be constructed without its socket: it is checked as what it is to the contract,
 * a status and headers with no body.
 */
const replay = (status: number, headers: Headers, body: ArrayBuffer | null): Response =>
  status === 101
    ? ({ status, headers, body: null } as Response)
    : new Response(NULL_BODY.has(status) ? null : body, { status, headers });

/** The mismatches recorded since the last drain (and lifts the opt-out). */
export async function drain(): Promise<string[]> {
  const recorded = pending;
  pending = [];
  optedOut = undefined;
  if (!contract) return [];
  const c = contract;
  const results = await Promise.all(
    recorded.map(({ method, url, status, headers, body }) =>
      c
        .check(method, url, replay(status, headers, body))
        .catch((error: unknown) => [`${method} ${url}: could not be checked: ${String(error)}`]),
    ),
  );
  return results.flat();
}
