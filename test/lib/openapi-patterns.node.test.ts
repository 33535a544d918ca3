import { z } from "@hono/zod-openapi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CIDR_PATTERN, parseCidr, parseIp } from "../../src/lib/cidr.ts";
import { HTTP_URL_PATTERN } from "../../src/lib/openapi.ts";
import { HostSchema } from "../../src/routes/servers/schemas.ts";

/**
 * The hand-written patterns the OpenAPI document carries promise no more than the
 * validators accept: every string a pattern admits passes the runtime check.
 */
describe("documented patterns", () => {
  it("HTTP_URL_PATTERN admits only URLs the URL parser and z.url accept", () => {
    const purgeUrl = z.url({ protocol: /^https?$/ });
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(HTTP_URL_PATTERN)), (url) => {
        expect(URL.canParse(url), url).toBe(true);
        expect(purgeUrl.safeParse(url).success, url).toBe(true);
        expect(new URL(url).protocol).toMatch(/^https?:$/);
      }),
      { numRuns: 2000 },
    );
  });

  it("HTTP_URL_PATTERN admits ordinary URLs", () => {
    const re = new RegExp(HTTP_URL_PATTERN, "u");
    for (const url of [
      "https://example.com",
      "http://web-1.eu.example.com:8443/healthz?full=1#x",
      "https://203.0.113.7/status",
      "https://[2001:db8::1]:443/",
    ])
      expect(re.test(url), url).toBe(true);
    for (const url of ["ftp://example.com", "https://", "https://a b.com", "https://1.2.3.256/"])
      expect(re.test(url), url).toBe(false);
  });

  it("CIDR_PATTERN admits only what parseCidr accepts (bar the documented mapped-prefix rule)", () => {
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(CIDR_PATTERN)), (cidr) => {
        if (parseCidr(cidr)) return;
        // The one documented exception: an IPv4-mapped IPv6 block with a prefix under 96.
        const [addr, prefix] = cidr.split("/");
        expect(
          parseIp(addr!)?.family === 4 && addr!.includes(":") && Number(prefix) < 96,
          cidr,
        ).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("CIDR_PATTERN admits canonical addresses and blocks", () => {
    const re = new RegExp(CIDR_PATTERN, "u");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.ipV4(), fc.option(fc.integer({ min: 0, max: 32 }))),
          fc.tuple(
            fc.ipV6().filter((ip) => !ip.includes(".")),
            fc.option(fc.integer({ min: 0, max: 128 })),
          ),
        ),
        ([ip, prefix]) => {
          const cidr = prefix === null ? ip : `${ip}/${prefix}`;
          expect(re.test(cidr), cidr).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("HostSchema accepts exactly what it did before its pattern lost its look-arounds", () => {
    const before =
      /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;
    const accepted = (v: string) =>
      before.test(v) || z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9.:-]{1,80}$/),
          fc.domain(),
          fc.ipV4(),
          fc.ipV6(),
          fc.string({ minLength: 60, maxLength: 70, unit: fc.constantFrom("a", "-", ".") }),
        ),
        (v) => {
          expect(HostSchema.safeParse(v).success, v).toBe(accepted(v.trim()));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
