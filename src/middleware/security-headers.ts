import { secureHeaders } from "hono/secure-headers";

/**
 * Security headers on every response (SPEC §2): HSTS, `nosniff`, `X-Frame-Options:
 * DENY`, `Referrer-Policy` and, for API responses, the strict default CSP (JSON
 * needs no scripts, styles or frames) — the set OWASP's REST Security Cheat Sheet
 * asks of an API.
 *
 * Headers that only mean something to a browser rendering a document (COOP/CORP,
 * Origin-Agent-Cluster, Permissions-Policy) are added by `htmlPage` to the HTML
 * pages, not to every JSON answer: each header is work for every hop of every
 * response. Obsolete ones (X-XSS-Protection, X-Download-Options,
 * X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies) are not sent at all.
 * `overwrite: false` keeps a page's own nonce-based CSP.
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
    xContentTypeOptions: true,
    referrerPolicy: "no-referrer",
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    removePoweredBy: false,
    overwrite: false,
  });
