import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/client.ts";
import { submissions } from "../../../src/db/schema.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import {
  checkQuery,
  exportPage,
  insertSubmission,
  listSubmissions,
} from "../../../src/services/submissions/store.ts";

/**
 * The submissions store, FTS5 index and triggers included, on both drivers:
 * store.test.ts runs it on D1 (workerd), store.node.test.ts on libSQL (Node), both
 * from the same migrations.
 */
export function submissionsStoreContract(driver: string, getDb: () => Promise<Database>) {
  describe(`submissions store on ${driver}`, () => {
    const tag = `t${Math.random().toString(36).slice(2, 8)}`;
    const add = async (db: Database, message: string, at = Date.now()) => {
      const id = uuidv7(at);
      await db.batch([
        insertSubmission(db, {
          id,
          name: `Contract ${tag}`,
          email: `${tag}@example.com`,
          message,
          createdAt: nowIso(at),
        }),
      ]);
      return id;
    };

    it("indexes inserts for phrase and prefix search, with a snippet", async () => {
      const db = await getDb();
      const a = await add(db, `${tag} wants a quick brown quote`);
      const b = await add(db, `${tag} brown and quick, not the phrase`);
      const phrase = await listSubmissions(db, { q: `${tag} AND "quick brown"` }, { limit: 10 });
      expect(phrase.ok && phrase.value.rows.map((r) => r.id)).toEqual([a]);
      expect(phrase.ok && phrase.value.rows[0]!.snippet).toContain("<mark>quick brown</mark>");
      const prefix = await listSubmissions(db, { q: `${tag.slice(0, 5)}*` }, { limit: 10 });
      expect(prefix.ok && prefix.value.rows.map((r) => r.id)).toEqual([b, a]);
    });

    it("a malformed query is a value, not an exception", async () => {
      const db = await getDb();
      expect(await listSubmissions(db, { q: '"open' }, { limit: 5 })).toEqual({
        ok: false,
        error: "bad_query",
      });
      expect(await checkQuery(db, "AND OR")).toEqual({ ok: false, error: "bad_query" });
      expect(await checkQuery(db, "fine")).toEqual({ ok: true, value: true });
    });

    it("updates and deletes reach the index through the triggers", async () => {
      const db = await getDb();
      const id = await add(db, `${tag} original wording`);
      await db
        .update(submissions)
        .set({ message: `${tag} revised wording` })
        .where(eq(submissions.id, id));
      const old = await listSubmissions(db, { q: `${tag} AND original` }, { limit: 5 });
      expect(old.ok && old.value.rows).toEqual([]);
      const revised = await listSubmissions(db, { q: `${tag} AND revised` }, { limit: 5 });
      expect(revised.ok && revised.value.rows.map((r) => r.id)).toEqual([id]);
      await db.delete(submissions).where(eq(submissions.id, id));
      const gone = await listSubmissions(db, { q: `${tag} AND revised` }, { limit: 5 });
      expect(gone.ok && gone.value.rows).toEqual([]);
    });

    it("pages exports oldest first by id, filtered", async () => {
      const db = await getDb();
      const base = Date.now() - 10_000;
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await add(db, `${tag} export row ${i}`, base + i));
      const first = await exportPage(db, { q: `${tag} AND export` }, undefined, 2);
      expect(first.map((r) => r.id)).toEqual(ids.slice(0, 2));
      const next = await exportPage(db, { q: `${tag} AND export` }, first.at(-1)!.id, 10);
      expect(next.map((r) => r.id)).toEqual(ids.slice(2));
      const since = await exportPage(
        db,
        { since: nowIso(base + 3), q: `${tag} AND export` },
        undefined,
        10,
      );
      expect(since.map((r) => r.id)).toEqual(ids.slice(3));
    });
  });
}
