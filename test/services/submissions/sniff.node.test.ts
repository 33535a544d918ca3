import { describe, expect, it } from "vitest";
import { csvField, csvHeader } from "../../../src/services/submissions/csv.ts";
import {
  detectKind,
  sanitizeFileName,
  textChecker,
} from "../../../src/services/submissions/sniff.ts";

const enc = new TextEncoder();
const bytes = (...b: number[]) => new Uint8Array(b);

describe("detectKind (magic bytes, not names)", () => {
  it.each([
    ["pdf", enc.encode("%PDF-1.4\n"), "x.png"],
    ["png", bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), "x.pdf"],
    ["jpeg", bytes(0xff, 0xd8, 0xff, 0xe0), "x.txt"],
    ["gif", enc.encode("GIF89a...."), "x"],
    ["webp", enc.encode("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "), "x"],
    ["txt", enc.encode("hello, world\nsecond line\ttab"), "notes.md"],
    ["csv", enc.encode("a,b\r\n1,2\r\n"), "DATA.CSV"],
    ["txt", enc.encode("héllo ünïcode"), "x"],
  ])("%s", (kind, head, name) => {
    expect(detectKind(head, name, true)).toBe(kind);
  });

  it.each([
    ["HTML", "<!doctype html><p>x"],
    ["HTML after a BOM and spaces", "\ufeff  \n<HTML><body>"],
    ["SVG", "<svg onload=alert(1)>"],
    ["XML", '<?xml version="1.0"?>'],
    ["a script tag", "<script>alert(1)</script>"],
    ["an HTML comment", "<!-- x --><img src=x onerror=alert(1)>"],
  ])("refuses %s", (_, text) => {
    expect(detectKind(enc.encode(text), "file.txt", true)).toBeNull();
  });

  it("refuses binary that is none of the kinds, and empty files", () => {
    expect(detectKind(bytes(0x4d, 0x5a, 0x90, 0), "a.exe", true)).toBeNull();
    expect(detectKind(enc.encode("PK\u0003\u0004"), "a.zip", true)).toBeNull();
    expect(detectKind(new Uint8Array(), "a.txt", true)).toBeNull();
    expect(detectKind(bytes(0xc3, 0x28), "bad-utf8.txt", true)).toBeNull();
  });

  it("a UTF-8 sequence cut by the sample's end is fine unless the file ends there", () => {
    const cut = enc.encode("abc é").slice(0, -1);
    expect(detectKind(cut, "a.txt", false)).toBe("txt");
    expect(detectKind(cut, "a.txt", true)).toBeNull();
  });

  it("textChecker follows the rest of a text file", () => {
    const check = textChecker();
    expect(check(enc.encode("fine "))).toBe(true);
    expect(check(bytes(0xc3))).toBe(true); // half a character: wait for the rest
    expect(check(bytes(0xa9))).toBe(true);
    expect(check(null)).toBe(true);
    const binary = textChecker();
    expect(binary(bytes(0x41, 0x00))).toBe(false);
    const truncated = textChecker();
    expect(truncated(bytes(0xe2, 0x82))).toBe(true);
    expect(truncated(null)).toBe(false);
  });
});

describe("sanitizeFileName", () => {
  it.each([
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\x\\report.pdf", "report.pdf"],
    ["invoice\u202Efdp.exe", "invoicefdp.exe"],
    ['a"b;c\u0000d.txt', "abcd.txt"],
    ["...hidden", "hidden"],
    ["", "file"],
    ["   ", "file"],
    ["é".repeat(300), "é".repeat(200)],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });
});

describe("CSV fields (RFC 4180, formula neutralisation for spreadsheets)", () => {
  it.each([
    ["plain", "plain", "plain"],
    ['say "hi"', '"say ""hi"""', '"say ""hi"""'],
    ["a,b", '"a,b"', '"a,b"'],
    ["two\r\nlines", '"two\r\nlines"', '"two\r\nlines"'],
    ["=1+1", "=1+1", "'=1+1"],
    ["+31 6 1234", "+31 6 1234", "'+31 6 1234"],
    ["-1", "-1", "'-1"],
    ["@cmd", "@cmd", "'@cmd"],
    ["\tx", "\tx", "'\tx"],
    ["\rx", '"\rx"', '"\'\rx"'],
    ['=HYPERLINK("u","x")', '"=HYPERLINK(""u"",""x"")"', '"\'=HYPERLINK(""u"",""x"")"'],
    ["a=b", "a=b", "a=b"],
  ])("%j", (value, csv, xlsx) => {
    expect(csvField(value, "csv")).toBe(csv);
    expect(csvField(value, "xlsx_csv")).toBe(xlsx);
  });

  it("null is an empty field; numbers as they are; the BOM only for spreadsheets", () => {
    expect(csvField(null, "csv")).toBe("");
    expect(csvField(42, "xlsx_csv")).toBe("42");
    expect(csvHeader("xlsx_csv").startsWith("\ufeffid,")).toBe(true);
    expect(csvHeader("csv").startsWith("id,")).toBe(true);
  });
});
