import { describe, expect, it } from "vitest";
import { Coalescer } from "../../src/lib/coalesce.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Coalescer", () => {
  it("runs at once when idle, then at most once per interval, covering every call made meanwhile", async () => {
    const c = new Coalescer(100);
    let state = 0;
    const seen: number[] = [];
    const write = async () => {
      seen.push(state);
      await sleep(5);
    };
    state = 1;
    const first = c.run("k", write);
    const joined: Promise<void>[] = [];
    for (let i = 2; i <= 6; i++) {
      state = i;
      joined.push(c.run("k", write));
      await sleep(3);
    }
    await Promise.all([first, ...joined]);
    // The first call ran with state 1; the five later calls produced one trailing
    // run that saw the newest state.
    expect(seen).toEqual([1, 6]);
  });

  it("keeps keys apart", async () => {
    const c = new Coalescer(1_000);
    const ran: string[] = [];
    await Promise.all([
      c.run("a", async () => void ran.push("a")),
      c.run("b", async () => void ran.push("b")),
    ]);
    expect(ran.sort()).toEqual(["a", "b"]);
  });
});
