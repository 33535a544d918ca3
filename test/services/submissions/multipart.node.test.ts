import { describe, expect, it } from "vitest";
import {
  MultipartError,
  multipartBoundary,
  readMultipart,
  readText,
} from "../../../src/services/submissions/multipart.ts";

const enc = new TextEncoder();

/** `bytes` as a stream of chunks of `size` bytes: parsing must not depend on where chunks split. */
function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(body: Uint8Array, boundary: string, size: number) {
  const out: { name: string; filename: string | null; type: string | null; data: string }[] = [];
  for await (const part of readMultipart(streamOf(body, size), boundary)) {
    const chunks: Uint8Array[] = [];
    for await (const c of part.chunks) chunks.push(c);
    const data = new TextDecoder().decode(
      chunks.reduce((a, b) => {
        const m = new Uint8Array(a.length + b.length);
        m.set(a);
        m.set(b, a.length);
        return m;
      }, new Uint8Array()),
    );
    out.push({ name: part.name, filename: part.filename, type: part.contentType, data });
  }
  return out;
}

const B = "----edgepanelBoundary42";
const body = enc.encode(
  [
    "preamble to ignore",
    `--${B}`,
    'Content-Disposition: form-data; name="name"',
    "",
    "Ada",
    `--${B}`,
    'Content-Disposition: form-data; name="file"; filename="a \\"b\\".txt"',
    "Content-Type: text/plain",
    "",
    // Content that looks like the delimiter, but is not quite it (a sender picks a
    // boundary that does not occur in its content, so the whole one cannot).
    `line one\r\n--${B.slice(0, -1)}X not a boundary\r\n--${B.slice(0, 9)}`,
    `--${B}`,
    'Content-Disposition: form-data; name="empty"',
    "",
    "",
    `--${B}--`,
    "epilogue",
  ].join("\r\n"),
);

describe("readMultipart", () => {
  it.each([1, 2, 3, 7, 16, 64, 4096])(
    "gives the same parts whatever the chunk size (%i)",
    async (size) => {
      expect(await collect(body, B, size)).toEqual([
        { name: "name", filename: null, type: null, data: "Ada" },
        {
          name: "file",
          filename: 'a "b".txt',
          type: "text/plain",
          data: `line one\r\n--${B.slice(0, -1)}X not a boundary\r\n--${B.slice(0, 9)}`,
        },
        { name: "empty", filename: null, type: null, data: "" },
      ]);
    },
  );

  it("prefers the RFC 5987 filename*", async () => {
    const b = enc.encode(
      `--x\r\nContent-Disposition: form-data; name="file"; filename="fallback.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n\r\ndata\r\n--x--\r\n`,
    );
    expect((await collect(b, "x", 5))[0]!.filename).toBe("résumé.pdf");
  });

  it.each([
    ["no closing boundary", `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue`],
    ["no boundary at all", "just some text"],
    ["a part without Content-Disposition", "--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--"],
    [
      "a part without a name",
      '--x\r\nContent-Disposition: form-data; filename="f"\r\n\r\nv\r\n--x--',
    ],
    [
      "headers that never end",
      `--x\r\nContent-Disposition: form-data; name="a"\r\n${"X: y\r\n".repeat(3000)}`,
    ],
    ["garbage after a boundary", "--xjunk\r\n"],
  ])("refuses %s", async (_, text) => {
    await expect(collect(enc.encode(text), "x", 3)).rejects.toBeInstanceOf(MultipartError);
  });

  it("refuses more parts than allowed", async () => {
    const many = Array.from(
      { length: 3 },
      (_, i) => `--x\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv`,
    ).join("\r\n");
    const parts = readMultipart(streamOf(enc.encode(`${many}\r\n--x--`), 10), "x", { maxParts: 2 });
    await expect(
      (async () => {
        for await (const _ of parts);
      })(),
    ).rejects.toThrow(/more than 2 parts/);
  });

  it("skips parts the caller does not read", async () => {
    const names: string[] = [];
    for await (const part of readMultipart(streamOf(body, 5), B)) names.push(part.name);
    expect(names).toEqual(["name", "file", "empty"]);
  });

  it("readText refuses a field past its byte limit", async () => {
    async function* gen() {
      yield enc.encode("12345");
      yield enc.encode("678");
    }
    expect(await readText(gen(), 8)).toBe("12345678");
    expect(await readText(gen(), 7)).toBeNull();
  });
});

describe("multipartBoundary", () => {
  it.each([
    ["multipart/form-data; boundary=abc", "abc"],
    ['multipart/form-data; charset=utf-8; boundary="a b c"', "a b c"],
    ["MULTIPART/FORM-DATA;boundary=----WebKitFormBoundaryX", "----WebKitFormBoundaryX"],
    ["multipart/form-data", null],
    ["application/json; boundary=abc", null],
    [undefined, null],
  ])("%s → %s", (type, expected) => {
    expect(multipartBoundary(type)).toBe(expected);
  });
});
