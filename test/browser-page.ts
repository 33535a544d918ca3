import type { Browser, Page } from "playwright-core";

/**
 * A page of the app under test that reports into `problems` every CSP violation,
 * console error, uncaught exception, opened dialog and request leaving the app
 * (aborted as if offline): what a page that "works offline under the strict CSP"
 * must never produce. (In-page code is passed as strings: this project compiles
 * with the Workers' globals, not the DOM's.)
 */
export async function watchedPage(
  browser: Browser,
  appUrl: string,
  problems: string[],
  { width = 1280, height = 900 }: { width?: number; height?: number } = {},
): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height } });
  p.setDefaultTimeout(15_000);
  await p.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${appUrl}/`)) return route.continue();
    problems.push(`request outside the app: ${url}`);
    return route.abort("internetdisconnected");
  });
  await p.exposeFunction("reportViolation", (v: string) => problems.push(`CSP violation: ${v}`));
  await p.addInitScript(`
    document.addEventListener("securitypolicyviolation", (e) =>
      reportViolation(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
        " (" + e.sourceFile + ":" + e.lineNumber + ")"),
    );
  `);
  p.on("console", (m) => {
    if (m.type() === "error" || /Content.Security.Policy/i.test(m.text()))
      problems.push(`console ${m.type()}: ${m.text()}`);
  });
  p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  p.on("dialog", (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  return p;
}
