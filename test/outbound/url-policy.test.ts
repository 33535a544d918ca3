import { describe, expect, it } from "vitest";
import { checkOutboundUrl, type UrlRefusal, urlPolicy } from "../../src/outbound/url-policy.ts";

// Runs inside workerd: every spelling below goes through the runtime's own WHATWG URL
// parser, the same one fetch() uses, so what is checked is what would be fetched.
const production = urlPolicy("probe", "production");
const development = urlPolicy("probe", "development");

/** Attacks on a health-check URL in production, and the reason each one is refused. */
const REFUSED: [url: string, reason: UrlRefusal][] = [
  // Loopback in every spelling the URL parser folds into 127.0.0.1 / ::1 / localhost.
  ["http://127.0.0.1:9911/", "loopback"],
  ["http://127.0.0.1/", "loopback"],
  ["http://127.1/", "loopback"],
  ["http://127.0.1/", "loopback"],
  ["http://127.255.255.254/", "loopback"],
  ["http://2130706433/", "loopback"],
  ["http://0x7f000001/", "loopback"],
  ["http://0x7f.1/", "loopback"],
  ["http://0x7F.0x0.0x0.0x1/", "loopback"],
  ["http://0177.0.0.1/", "loopback"],
  ["http://017700000001/", "loopback"],
  ["http://127.000.000.001/", "loopback"],
  ["http://127.0.0.1./", "loopback"],
  ["http://%31%32%37.0.0.1/", "loopback"],
  ["http://１２７.０.０.１/", "loopback"],
  ["http://127。0。0。1/", "loopback"],
  ["http://127.0.0.1\\@example.com/", "loopback"],
  ["http:\\\\127.0.0.1/", "loopback"],
  [" http://127.0.0.1/ ", "loopback"],
  ["http://[::1]/", "loopback"],
  ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
  ["http://[0000::0001]:80/", "loopback"],
  ["http://localhost/", "loopback"],
  ["http://LOCALHOST./", "loopback"],
  ["http://LocalHost:8787/", "loopback"],
  ["http://api.localhost/", "loopback"],
  ["http://%6c%6f%63%61%6c%68%6f%73%74/", "loopback"],
  ["http://localhost%2e/", "loopback"],
  ["http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "loopback"],
  // Unspecified ("this host").
  ["http://0.0.0.0/", "unspecified"],
  ["http://0/", "unspecified"],
  ["http://0.1.2.3/", "unspecified"],
  ["http://[::]/", "unspecified"],
  // Link-local, including the cloud metadata endpoint.
  ["http://169.254.169.254/latest/meta-data/", "link_local"],
  ["http://0xa9fea9fe/", "link_local"],
  ["http://2852039166/", "link_local"],
  ["http://[fe80::1]/", "link_local"],
  ["http://[FE80::a:b:c:d]/", "link_local"],
  // RFC 1918 private networks and IPv6 unique-local / site-local.
  ["http://10.0.0.1/", "private"],
  ["http://10.1/", "private"],
  ["http://012.0.0.1/", "private"],
  ["http://172.16.0.1/", "private"],
  ["http://172.31.255.254/", "private"],
  ["http://192.168.1.1/", "private"],
  ["http://3232235777/", "private"],
  ["http://0300.0250.0.1/", "private"],
  ["http://[fc00::1]/", "private"],
  ["http://[fd12:3456:789a::1]/", "private"],
  ["http://[fec0::1]/", "private"],
  // Carrier-grade NAT, multicast, broadcast, reserved and documentation ranges.
  ["http://100.64.0.1/", "shared"],
  ["http://100.127.255.254/", "shared"],
  ["http://224.0.0.1/", "multicast"],
  ["http://239.255.255.250/", "multicast"],
  ["http://[ff02::1]/", "multicast"],
  ["http://255.255.255.255/", "broadcast"],
  ["http://240.0.0.1/", "reserved"],
  ["http://192.0.0.170/", "reserved"],
  ["http://192.0.2.10/", "reserved"],
  ["http://198.18.0.1/", "reserved"],
  ["http://203.0.113.9/", "reserved"],
  ["http://[2001:db8::1]/", "reserved"],
  ["http://[100::1]/", "reserved"],
  ["http://[3fff::1]/", "reserved"],
  ["http://[5f00::1]/", "reserved"],
  // IPv6 addresses that carry an IPv4 address: mapped, compatible, translated,
  // NAT64 (well-known and local-use), 6to4 and Teredo. Refused whatever they embed.
  ["http://[::ffff:127.0.0.1]/", "embedded_ipv4"],
  ["http://[::ffff:7f00:1]/", "embedded_ipv4"],
  ["http://[0:0:0:0:0:ffff:169.254.169.254]/", "embedded_ipv4"],
  ["http://[::ffff:8.8.8.8]/", "embedded_ipv4"],
  ["http://[::127.0.0.1]/", "embedded_ipv4"],
  ["http://[::ffff:0:127.0.0.1]/", "embedded_ipv4"],
  ["http://[64:ff9b::127.0.0.1]/", "embedded_ipv4"],
  ["http://[64:ff9b::10.0.0.1]/", "embedded_ipv4"],
  ["http://[64:ff9b:1::a00:1]/", "embedded_ipv4"],
  ["http://[2002:7f00:1::]/", "embedded_ipv4"],
  ["http://[2002:a9fe:a9fe::1]/", "embedded_ipv4"],
  ["http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "embedded_ipv4"],
  // Names that only mean something inside a private network.
  ["http://metadata.google.internal/computeMetadata/v1/", "internal_name"],
  ["http://printer.local/", "internal_name"],
  ["http://router.home.arpa/", "internal_name"],
  ["http://nas.lan/", "internal_name"],
  ["http://intranet/", "internal_name"],
  ["http://metadata./", "internal_name"],
  // Credentials in the URL (and the classic "looks like example.com" trick).
  ["https://user:pass@example.com/", "userinfo"],
  ["https://user@example.com/", "userinfo"],
  ["https://:pass@example.com/", "userinfo"],
  ["http://example.com@127.0.0.1/", "userinfo"],
  ["http://example.com%2F@10.0.0.1/", "userinfo"],
  // Other schemes.
  ["ftp://example.com/", "scheme"],
  ["file:///etc/passwd", "scheme"],
  ["gopher://example.com:70/_", "scheme"],
  ["ws://example.com/", "scheme"],
  ["javascript:alert(1)", "scheme"],
  ["data:text/plain,hi", "scheme"],
  // Ports other than 80, 443 and 8443.
  ["https://example.com:22/", "port"],
  ["http://example.com:6379/", "port"],
  ["https://example.com:0/", "port"],
  ["https://8.8.8.8:8080/", "port"],
  // Not URLs at all (the parser refuses them; so do we).
  ["http://[fe80::1%25eth0]/", "invalid"],
  ["http://256.1/", "invalid"],
  ["http://0x100000000/", "invalid"],
  ["http://1.2.3.4.5/", "invalid"],
  ["//example.com/", "invalid"],
  ["not a url", "invalid"],
  ["", "invalid"],
];

/** Ordinary public targets that must keep working. */
const ACCEPTED = [
  "https://example.com/healthz",
  "http://example.com/",
  "http://example.com:80/status",
  "https://example.com:443/",
  "https://example.com:8443/status?full=1",
  "HTTPS://Example.COM/Health",
  "https://example.com./",
  "https://münchen.de/",
  "https://xn--mnchen-3ya.de/",
  "https://localhost.example.com/",
  "https://local.example.com/",
  "https://web-1.eu.example.com/healthz#frag",
  "https://8.8.8.8/",
  "https://1.1.1.1:8443/",
  "https://11.0.0.1/",
  "https://172.15.255.254/",
  "https://172.32.0.1/",
  "https://100.63.255.254/",
  "https://100.128.0.1/",
  "https://169.255.0.1/",
  "https://192.169.0.1/",
  "https://[2606:4700:4700::1111]/",
  "https://[2001:4860:4860::8888]:8443/",
];

describe("outbound URL policy: production probes", () => {
  it(`has at least 30 attack spellings in the table (${REFUSED.length})`, () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(30);
  });

  it.each(REFUSED)("refuses %j (%s)", (url, reason) => {
    const verdict = checkOutboundUrl(url, production);
    expect(verdict.ok, `accepted ${url}`).toBe(false);
    if (!verdict.ok) {
      expect(verdict.error).toBe(reason);
      expect(verdict.detail).toMatch(/^must /);
    }
  });

  it.each(ACCEPTED)("accepts %j", (url) => {
    const verdict = checkOutboundUrl(url, production);
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    if (verdict.ok) expect(verdict.value.href).toBe(new URL(url).href);
  });

  it("takes a URL object as well as a string", () => {
    expect(checkOutboundUrl(new URL("http://10.0.0.1/"), production)).toMatchObject({
      ok: false,
      error: "private",
    });
  });

  it("staging is as strict as production", () => {
    expect(urlPolicy("probe", "staging")).toEqual(production);
  });
});

describe("outbound URL policy: development", () => {
  it.each([
    "http://127.0.0.1:8787/health/live",
    "http://localhost:8787/",
    "http://api.localhost:3000/",
    "http://[::1]:8787/",
    "https://example.com:9911/",
  ])("allows loopback and any port: %j", (url) => {
    expect(checkOutboundUrl(url, development).ok).toBe(true);
  });

  it.each<[string, UrlRefusal]>([
    ["http://10.0.0.1:8787/", "private"],
    ["http://169.254.169.254/", "link_local"],
    ["http://0.0.0.0:8787/", "unspecified"],
    ["http://[::ffff:127.0.0.1]:8787/", "embedded_ipv4"],
    ["http://[fd00::1]/", "private"],
    ["http://user:pw@localhost:8787/", "userinfo"],
    ["file:///etc/passwd", "scheme"],
    ["http://printer.local/", "internal_name"],
  ])("still refuses everything else: %j (%s)", (url, reason) => {
    expect(checkOutboundUrl(url, development)).toMatchObject({ ok: false, error: reason });
  });
});

describe("outbound URL policy: webhooks", () => {
  it("are https-only outside development, http allowed in development", () => {
    expect(
      checkOutboundUrl("http://example.com/hook", urlPolicy("webhook", "production")),
    ).toMatchObject({ ok: false, error: "scheme", detail: "must be an https URL" });
    expect(
      checkOutboundUrl("https://example.com/hook", urlPolicy("webhook", "production")).ok,
    ).toBe(true);
    expect(
      checkOutboundUrl("http://localhost:9000/hook", urlPolicy("webhook", "development")).ok,
    ).toBe(true);
  });
});
