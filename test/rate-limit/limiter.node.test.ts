import { describe, expect, it } from "vitest";
import { addListMember } from "../../src/rate-limit/limiter.ts";

describe("addListMember: one RateLimit field, one member per policy", () => {
  it("starts the list, then appends distinct policies as list items", () => {
    const a = addListMember(null, '"login";q=10;w=60');
    expect(a).toBe('"login";q=10;w=60');
    expect(addListMember(a, '"anonymous";q=100;w=60')).toBe(
      '"login";q=10;w=60, "anonymous";q=100;w=60',
    );
  });

  it("never names a policy twice: the first report stands", () => {
    const field = '"login";r=0;t=42, "anonymous";r=90;t=60';
    expect(addListMember(field, '"login";r=9;t=60')).toBe(field);
    // A name that merely starts like a listed one is another policy.
    expect(addListMember('"login";r=1;t=1', '"login_ip";r=2;t=2')).toBe(
      '"login";r=1;t=1, "login_ip";r=2;t=2',
    );
  });
});
