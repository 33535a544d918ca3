import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { configuredPort, devOrigins, firstFreePort, portArgument } from "../../scripts/dev.ts";

describe("npm run dev settles the port before seeding", () => {
  it("reads --port N and --port=N as wrangler does", () => {
    expect(portArgument(["--port", "8899"])).toBe(8899);
    expect(portArgument(["--ip", "127.0.0.1", "--port=8899"])).toBe(8899);
    expect(portArgument(["--ip", "127.0.0.1"])).toBeUndefined();
    expect(() => portArgument(["--port", "http"])).toThrow(/--port/);
  });

  it("reads [dev] port from wrangler.toml, and only from [dev]", () => {
    expect(configuredPort('name = "x"\n[dev]\nip = "localhost"\nport = 9100\n[vars]\n')).toBe(9100);
    expect(
      configuredPort('name = "x"\n[[d1_databases]]\nport = 1\n[dev]\nip = "localhost"\n'),
    ).toBeUndefined();
    expect(configuredPort('name = "x"\n')).toBeUndefined();
  });

  it("skips a taken port, as wrangler would, so the seed names the port really served", async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen({ port: 0, host: "localhost" }, () =>
        resolve((taken.address() as { port: number }).port),
      ),
    );
    try {
      expect(await firstFreePort(port)).toBeGreaterThan(port);
    } finally {
      taken.close();
    }
  });

  it("allows the dev server's own origins", () => {
    expect(devOrigins(8899)).toBe("http://localhost:8899,http://127.0.0.1:8899");
  });
});
