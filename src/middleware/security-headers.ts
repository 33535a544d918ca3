import { secureHeaders } from "hono/secure-headers";

/**
 * Security headers on every response, with the strict default CSP for API
 * responses (JSON needs no scripts, styles or frames). HTML pages (docs, status)
 * set their own nonce-based CSP through `lib/html.ts`; `overwrite: false` keeps
 * theirs, and any other header a route set deliberately.
 */
export const securityHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
    strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    // API responses are read cross-origin by allowed dashboards through CORS.
    crossOriginResourcePolicy: "same-site",
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
    overwrite: false,
  });
