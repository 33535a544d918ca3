import { z } from "@hono/zod-openapi";
import { HTTP_URL_PATTERN } from "../lib/openapi.ts";
import { policyEnvironment } from "./policy-environment.ts";
import { checkOutboundUrl, STANDARD_PORTS, type UrlPurpose, urlPolicy } from "./url-policy.ts";

const ports = `${STANDARD_PORTS.slice(0, -1).join(", ")} or ${STANDARD_PORTS.at(-1)}`;

const SCHEMES: Record<UrlPurpose, string> = {
  probe: "An http or https URL",
  webhook: "An https URL (http is accepted in development only)",
};

/** What the OpenAPI document says about such a field: the policy in one paragraph. */
export const outboundUrlDescription = (purpose: UrlPurpose, what: string) =>
  `${SCHEMES[purpose]} ${what}. Refused with 422: a user name or password in the URL; ` +
  "loopback addresses and localhost (allowed only when the API runs in development); " +
  "private, link-local (cloud metadata), carrier-grade NAT, multicast, broadcast, " +
  "unspecified, reserved and documentation addresses in any spelling (decimal, octal, hex, " +
  "short forms); IPv6 addresses that carry an IPv4 address (mapped, compatible, NAT64, 6to4, " +
  "Teredo); single-label and private-use names (.local, .internal, .lan, …); ports other " +
  `than ${ports} (any port in development). Redirects are never followed.`;

/**
 * A request-body field holding a user-supplied outbound URL, checked by the
 * outbound URL policy for `purpose`. The route must carry the `outboundPolicy()`
 * middleware so development gets its exemptions; without it the production policy
 * applies. The value is kept as sent (the policy parses it the way fetch() will).
 */
export const outboundUrlSchema = (purpose: UrlPurpose, what: string, example: string) =>
  z
    .string()
    .max(2048, "must be at most 2048 characters")
    .superRefine((value, ctx) => {
      if (value.length > 2048) return; // already refused by max(): one message per field
      const verdict = checkOutboundUrl(value, urlPolicy(purpose, policyEnvironment()));
      if (!verdict.ok) ctx.addIssue({ code: "custom", message: verdict.detail ?? verdict.error });
    })
    .openapi({
      format: "uri",
      pattern: HTTP_URL_PATTERN,
      description: outboundUrlDescription(purpose, what),
      example,
    });
