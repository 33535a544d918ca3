import { describe, expect, it } from "vitest";
import { addressBucket, ipInAny, parseCidr, parseIp } from "../../src/lib/cidr.ts";

describe("CIDR matching", () => {
  it.each([
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["203.0.113.9/32", "203.0.113.9", true],
    ["203.0.113.9/32", "203.0.113.10", false],
    ["203.0.113.9", "203.0.113.9", true],
    ["192.168.1.0/24", "192.168.1.255", true],
    ["192.168.1.0/24", "192.168.2.0", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["::/0", "2606:4700::1111", true],
    ["::/0", "1.2.3.4", false],
    ["0.0.0.0/0", "::1", false],
    ["::1/128", "::1", true],
    ["::1/128", "::2", false],
    ["2001:db8::1/128", "2001:0db8:0000:0000:0000:0000:0000:0001", true],
    // IPv4-mapped IPv6 is matched as the IPv4 it carries, both ways.
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["::ffff:10.0.0.0/104", "10.9.9.9", true],
    ["::ffff:10.0.0.0/104", "11.9.9.9", false],
  ])("%s contains %s: %s", (cidr, ip, expected) => {
    expect(ipInAny(ip, [cidr])).toBe(expected);
  });

  it.each([
    "10.0.0.0/33",
    "::/129",
    "300.1.1.1/8",
    "1.2.3/24",
    "abc",
    "1.2.3.4/-1",
    "1.2.3.4/8/9",
    "01.2.3.4",
    "2001:db8:::1/64",
    "",
  ])("refuses the malformed CIDR %j", (bad) => {
    expect(parseCidr(bad)).toBeNull();
  });

  it("never matches an unparsable address", () => {
    expect(parseIp("not-an-ip")).toBeNull();
    expect(ipInAny("not-an-ip", ["0.0.0.0/0", "::/0"])).toBe(false);
  });

  it("buckets IPv6 addresses by /64 for per-address limits, IPv4 by address", () => {
    expect(addressBucket("2001:db8:1:2::1")).toBe(addressBucket("2001:db8:1:2:ffff::9"));
    expect(addressBucket("2001:db8:1:2::1")).not.toBe(addressBucket("2001:db8:1:3::1"));
    expect(addressBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(addressBucket("::ffff:203.0.113.9")).toBe("203.0.113.9");
  });
});
