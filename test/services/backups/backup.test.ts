import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

import { getKeyring } from "../../../src/lib/crypto.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { backupPrefix, manifestKey } from "../../../src/services/backups/manifest.ts";
import { r2Source } from "../../../src/services/backups/objects.ts";
import {
  createSchemaFromManifest,
  d1Target,
  RestoreError,
  restoreBackup,
} from "../../../src/services/backups/restore.ts";
import { verifyBackup } from "../../../src/services/backups/verify.ts";
import { PRODUCTION_VARS, type Session, sealAudit, seedUser } from "../../helpers.ts";
import { createServer } from "../../routes/servers/fixtures.ts";
import { backupNow, contents, ring } from "./helpers.ts";

let op: Session;

beforeAll(async () => {
  op = await seedUser({ role: "operator" });
  await seedUser({ role: "admin" });
  for (let i = 0; i < 30; i++) await createServer(op.access_token, { tags: [`t${i % 3}`] });
  const now = Date.now();
  const tricky = [
    "naïve café — 日本語 ✓",
    'quote " and \\ backslash',
    "line\nbreak\r\nand tab\t",
    "needle in a haystack",
    "",
  ];
  await env.DB.batch(
    tricky.map((message, i) =>
      env.DB.prepare(
        "insert into submissions (id, name, email, message, ip, file_size, created_at) values (?, ?, ?, ?, ?, ?, ?)",
      ).bind(
        uuidv7(now + i),
        `Name ${i}`,
        `s${i}@example.com`,
        message,
        null,
        i * 1.5,
        nowIso(now + i),
      ),
    ),
  );
  await sealAudit();
});

const restoreInto = async (id: string, keys?: ReadonlyMap<string, CryptoKey>) => {
  const source = r2Source(env.BACKUPS);
  const keyring = await ring();
  const verified = await verifyBackup(source, id, keys ?? keyring.all);
  if (!verified.ok) throw new RestoreError(verified.error);
  return restoreBackup({
    source,
    manifest: verified.value.manifest,
    keys: keys ?? keyring.all,
    target: d1Target(env.RESTORE_DRILL),
    createSchema: createSchemaFromManifest,
    force: true,
  });
};

describe("backup → verify → restore", () => {
  it("reproduces every row of every table, and the full-text index", async () => {
    const { id, manifest } = await backupNow();
    const before = await contents(env.DB);
    const restored = await restoreInto(id);
    const after = await contents(env.RESTORE_DRILL);
    // The backup's own row was read while it was running; every other row is as backed up.
    before.backups = before.backups!.filter((r) => (r as { id: string }).id !== id);
    after.backups = after.backups!.filter((r) => (r as { id: string }).id !== id);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]);
    expect(restored.rows.servers).toBe(30);

    // Tables come from sqlite_master: FTS shadow tables and internal ones are not data.
    const names = manifest.tables.map((t) => t.name);
    expect(names).toContain("submissions");
    expect(names).toContain("audit_logs");
    expect(names.some((n) => n.startsWith("submissions_fts"))).toBe(false);
    expect(names).not.toContain("d1_migrations");
    expect(manifest.schema.fts).toEqual(["submissions_fts"]);
    // Parents before children.
    expect(names.indexOf("users")).toBeLessThan(names.indexOf("servers"));
    // The schema version is the newest migration applied.
    expect(manifest.schema_version).toBe(env.TEST_MIGRATIONS.at(-1)!.name.replace(/\.sql$/, ""));
    expect(manifest.encryption?.key_id).toBe((await ring()).current.id);
    expect(manifest.files.every((f) => f.stored_sha256.length === 64)).toBe(true);

    const match = await env.RESTORE_DRILL.prepare(
      "select s.message from submissions_fts f join submissions s on s.seq = f.rowid where submissions_fts match 'haystack'",
    ).all();
    expect(match.results).toEqual([{ message: "needle in a haystack" }]);
  });

  it("stores nothing readable: every object is encrypted", async () => {
    const { id, manifest } = await backupNow();
    for (const f of manifest.files) {
      const object = await env.BACKUPS.get(`${backupPrefix(id)}${f.name}`);
      const bytes = new Uint8Array(await object!.arrayBuffer());
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("EPB1");
      // Not gzip (1f 8b) after the header, and no plain text from the rows.
      expect(new TextDecoder().decode(bytes)).not.toContain("example.com");
    }
  });
});

describe("tampering", () => {
  it("a flipped byte in any object fails verify, and restore before writing anything", async () => {
    const { id, manifest } = await backupNow();
    const source = r2Source(env.BACKUPS);
    const keys = (await ring()).all;
    for (const f of manifest.files) {
      const key = `${backupPrefix(id)}${f.name}`;
      const original = new Uint8Array(await (await env.BACKUPS.get(key))!.arrayBuffer());
      const flipped = original.slice();
      flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
      await env.BACKUPS.put(key, flipped);
      const verdict = await verifyBackup(source, id, keys);
      expect(verdict.ok, f.name).toBe(false);
      if (!verdict.ok) expect(verdict.error).toContain(f.name);
      // The scratch database holds a marker: a failed restore must not have touched it.
      await env.RESTORE_DRILL.batch([
        env.RESTORE_DRILL.prepare("create table if not exists marker (x)"),
      ]);
      await expect(restoreInto(id)).rejects.toThrow(RestoreError);
      await expect(
        restoreBackup({
          source,
          manifest,
          keys,
          target: d1Target(env.RESTORE_DRILL),
          createSchema: createSchemaFromManifest,
          force: true,
        }),
      ).rejects.toThrow(/verification failed, nothing written/);
      const marker = await env.RESTORE_DRILL.prepare(
        "select name from sqlite_master where name = 'marker'",
      ).first();
      expect(marker).not.toBeNull();
      await env.BACKUPS.put(key, original);
    }
    expect((await verifyBackup(source, id, keys)).ok).toBe(true);
  });

  it("a manifest rewritten to match a tampered object still fails: decryption authenticates", async () => {
    const { id, manifest } = await backupNow();
    const f = manifest.files.find((x) => x.table === "servers")!;
    const key = `${backupPrefix(id)}${f.name}`;
    const bytes = new Uint8Array(await (await env.BACKUPS.get(key))!.arrayBuffer());
    bytes[bytes.length - 20]! ^= 0x80;
    await env.BACKUPS.put(key, bytes);
    const { createHash } = await import("node:crypto");
    const forged = {
      ...manifest,
      files: manifest.files.map((x) =>
        x.name === f.name
          ? { ...x, stored_sha256: createHash("sha256").update(bytes).digest("hex") }
          : x,
      ),
    };
    await env.BACKUPS.put(manifestKey(id), JSON.stringify(forged));
    const verdict = await verifyBackup(r2Source(env.BACKUPS), id, (await ring()).all);
    expect(verdict).toMatchObject({ ok: false });
    if (!verdict.ok) expect(verdict.error).toMatch(/failed authentication/);
  });
});

describe("key rotation", () => {
  it("a backup made under the old key verifies and restores after the rotation", async () => {
    const oldKey = PRODUCTION_VARS.ENCRYPTION_KEY;
    const newKey = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXQ=";
    const before = await getKeyring(oldKey);
    const { id, manifest } = await backupNow({ sealing: before.current });
    expect(manifest.encryption?.key_id).toBe(before.current.id);

    const rotated = await getKeyring(newKey, oldKey);
    expect(rotated.current.id).not.toBe(before.current.id);
    expect((await verifyBackup(r2Source(env.BACKUPS), id, rotated.all)).ok).toBe(true);
    const restored = await restoreInto(id, rotated.all);
    expect(restored.rows.servers).toBe(30);

    const forgotten = await getKeyring(newKey);
    const verdict = await verifyBackup(r2Source(env.BACKUPS), id, forgotten.all);
    expect(verdict).toMatchObject({ ok: false });
    if (!verdict.ok) expect(verdict.error).toContain(before.current.id);
  });
});

describe("continuation", () => {
  it("splits large tables into parts and hands work to the next step when time runs out", async () => {
    const { id, manifest, steps } = await backupNow({ partRows: 7, pageRows: 3, budgetMs: 0 });
    const parts = manifest.files.filter((f) => f.table === "servers");
    expect(parts.map((p) => p.name)).toEqual([
      "servers.ndjson.gz",
      "servers.2.ndjson.gz",
      "servers.3.ndjson.gz",
      "servers.4.ndjson.gz",
      "servers.5.ndjson.gz",
    ]);
    expect(parts.map((p) => p.rows)).toEqual([7, 7, 7, 7, 2]);
    // One object per step once the budget is spent.
    expect(steps).toBe(manifest.files.length);
    const restored = await restoreInto(id);
    expect(restored.rows.servers).toBe(30);
  });
});

describe("consistency under concurrent writes", () => {
  it("keeps rows committed after the fence out, each row once, in a state it really had", async () => {
    const servers = async () =>
      (
        await env.DB.prepare("select id, name from servers order by rowid").all<{
          id: string;
          name: string;
        }>()
      ).results;
    const initial = await servers();
    const at = (i: number) => initial[i]!.id;
    const insertServer = (name: string) =>
      env.DB.prepare(
        "insert into servers (id, owner_id, name, host, port, environment, tags, status, version, created_at, updated_at) values (?, ?, ?, 'h.example.com', 443, 'production', '[]', 'unknown', 1, ?, ?) returning id",
      )
        .bind(uuidv7(), op.user.id, name, nowIso(), nowIso())
        .first<{ id: string }>();
    const rename = (id: string) =>
      env.DB.prepare(
        "update servers set name = name || '-renamed', version = version + 1 where id = ?",
      )
        .bind(id)
        .run();
    const remove = (id: string) =>
      env.DB.prepare("delete from servers where id = ?").bind(id).run();

    const late: string[] = [];
    let serversPages = 0;
    let usersPages = 0;
    const { manifest } = await backupNow({
      pageRows: 4,
      afterPage: async (table) => {
        // users is read before servers (parents first): these land before servers is read.
        if (table === "users" && usersPages++ === 0) {
          late.push((await insertServer("inserted-before-read"))!.id);
          await rename(at(20));
          await remove(at(21));
        }
        // After the first page of servers (rows 0-3) has been read.
        if (table === "servers" && serversPages++ === 0) {
          late.push((await insertServer("inserted-during-read"))!.id);
          await rename(at(1)); // already read: the backup keeps the old name
          await rename(at(10)); // not read yet: the backup has the new name
          await remove(at(2)); // already read: still in the backup
          await remove(at(11)); // not read yet: not in the backup
        }
      },
    });
    expect(serversPages).toBeGreaterThan(1);
    const restored = await restoreInto(manifest.id);
    const rows = (
      await env.RESTORE_DRILL.prepare("select id, name from servers order by rowid").all<{
        id: string;
        name: string;
      }>()
    ).results;
    const byId = new Map(rows.map((r) => [r.id, r.name]));
    expect(byId.size).toBe(rows.length); // no row twice
    for (const id of late) expect(byId.has(id)).toBe(false); // committed after the fence
    expect(byId.get(at(20))).toBe(`${initial[20]!.name}-renamed`);
    expect(byId.has(at(21))).toBe(false);
    expect(byId.get(at(1))).toBe(initial[1]!.name);
    expect(byId.get(at(10))).toBe(`${initial[10]!.name}-renamed`);
    expect(byId.get(at(2))).toBe(initial[2]!.name);
    expect(byId.has(at(11))).toBe(false);
    expect(rows).toHaveLength(initial.length - 2);
    expect(restored.rows.servers).toBe(manifest.tables.find((t) => t.name === "servers")!.rows);
    // Every restored row is either its state at the fence or a later one, never invented.
    for (const r of rows) expect(initial.some((i) => i.id === r.id)).toBe(true);
  });
});
