import { secureHeaders } from "hono/secure-headers";

/**
 * The strict default policy for API responses: JSON needs no scripts, styles or
 * frames. HTML pages (docs, status, admin) set their own nonce-based CSP through
 * `lib/html.ts`; `overwrite: false` keeps theirs.
 */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const securityHeaders = () =>
  secureHeaders({
    strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    // API responses are read cross-origin by allowed dashboards through CORS.
    crossOriginResourcePolicy: "same-site",
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
    overwrite: false,
  });

/** Sets the API CSP when a route has not set a page-specific one. */
export const apiCsp = () =>
  async function apiCsp(c: { res: Response }, next: () => Promise<void>) {
    await next();
    if (!c.res.headers.has("Content-Security-Policy")) {
      c.res.headers.set("Content-Security-Policy", API_CSP);
    }
  };
