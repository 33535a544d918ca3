import type { createApiReference } from "@scalar/api-reference";

type Configuration = Parameters<typeof createApiReference>[1];

/**
 * Scalar's standalone bundle, served from `public/` as a static asset (see
 * `[assets]` in wrangler.toml and scripts/docs-assets.ts, which copies it there
 * from the installed, lockfile-pinned `@scalar/api-reference`).
 */
export const SCALAR_SCRIPT = "/docs/assets/scalar-api-reference.js";

/**
 * Scalar's settings. Everything it needs comes from this origin: no fonts from
 * fonts.scalar.com, no telemetry, no AI agent, MCP panel, developer toolbar or
 * "Open API Client" link (they use Scalar's services; the link would hand our
 * document's URL to client.scalar.com), and no request proxy — "send request"
 * goes straight to the server in /openapi.json, which is this origin, so
 * `connect-src 'self'` covers it. The bearer scheme is preselected by the
 * document's top-level `security` (openapi.ts), not here, so other tools see it too.
 */
export function scalarConfiguration(openApiPath: string) {
  return {
    url: openApiPath,
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    hideClientButton: true,
    showDeveloperTools: "never",
    // Document the JSON we serve; YAML would be a conversion in the browser.
    documentDownloadType: "json",
  } satisfies Configuration;
}

/** JSON that is safe inside a `<script>` element (no `</script>` or `<!--`). */
const scriptJson = (value: unknown) => JSON.stringify(value).replaceAll("<", "\\u003c");

/**
 * Runs before Scalar, as a nonce'd inline script:
 * - Scalar puts the nonce (from the csp-nonce meta tag) only on its own stylesheet;
 *   libraries it bundles create more `<style>` elements (its theme, the toast
 *   styles, CodeMirror's). Every `<style>` that *script* creates gets the nonce
 *   here. Markup the parser builds (e.g. HTML inside a rendered description) does
 *   not go through createElement, so injected `<style>` tags stay blocked.
 * - zod probes for JIT support with `new Function("")`, which this CSP (no
 *   'unsafe-eval') refuses and reports as a violation even though zod then uses
 *   its interpreter; `jitless` skips the probe. Zod reads its settings from
 *   `globalThis.__zod_globalConfig`.
 */
const BOOTSTRAP = `(() => {
  const nonce = document.currentScript.nonce;
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (tagName, options) {
    const element = createElement.call(this, tagName, options);
    if (element.localName === "style") element.nonce = nonce;
    return element;
  };
  globalThis.__zod_globalConfig = { jitless: true };
})();`;

/**
 * The API reference page. `htmlPage` stamps the response's nonce on the scripts
 * and into the csp-nonce meta tag, where Scalar looks for it. The empty icon
 * link keeps the browser from asking for /favicon.ico (a 404 in the console).
 */
export function docsPage({ openApiPath, title }: { openApiPath: string; title: string }) {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta property="csp-nonce">
    <link rel="icon" href="data:,">
    <title>${title}</title>
  </head>
  <body>
    <div id="app"></div>
    <script>${BOOTSTRAP}</script>
    <script src="${SCALAR_SCRIPT}"></script>
    <script>Scalar.createApiReference("#app", ${scriptJson(scalarConfiguration(openApiPath))});</script>
  </body>
</html>
`;
}
