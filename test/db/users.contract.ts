import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import {
  countUsers,
  createUser,
  deleteUser,
  findUserByEmail,
  findUserById,
  listUsers,
  updateUser,
} from "../../src/db/queries/users.ts";

/**
 * The data-layer contract: the same repository code and the same assertions run
 * against D1 (in workerd: users.test.ts) and libSQL (in Node: users.node.test.ts).
 */
export function usersRepositoryContract(driver: string, getDb: () => Promise<Database>) {
  describe(`users repository on ${driver}`, () => {
    it("makes the first user admin and later ones viewers", async () => {
      const db = await getDb();
      const first = await createUser(db, {
        email: "First@Example.com",
        name: "First",
        passwordHash: null,
      });
      const second = await createUser(db, {
        email: "second@example.com",
        name: "Second",
        passwordHash: null,
      });
      expect(first.ok && first.value.role).toBe("admin");
      expect(second.ok && second.value.role).toBe("viewer");
      expect(first.ok && first.value.email).toBe("first@example.com");
    });

    it("refuses a duplicate e-mail, case-insensitively, as a value not an exception", async () => {
      const db = await getDb();
      await createUser(db, { email: "dupe@example.com", name: "A", passwordHash: null });
      const again = await createUser(db, {
        email: " DUPE@example.com ",
        name: "B",
        passwordHash: null,
      });
      expect(again).toEqual({ ok: false, error: "email_taken" });
    });

    it("finds, updates and deletes", async () => {
      const db = await getDb();
      const created = await createUser(db, {
        email: "crud@example.com",
        name: "Crud",
        passwordHash: "x",
        role: "operator",
      });
      if (!created.ok) throw new Error("create failed");
      expect((await findUserByEmail(db, "CRUD@example.com"))?.id).toBe(created.value.id);
      const updated = await updateUser(db, created.value.id, { role: "viewer", disabled: true });
      expect(updated?.role).toBe("viewer");
      expect(updated?.disabledAt).not.toBeNull();
      expect(await deleteUser(db, created.value.id)).toBe(true);
      expect(await findUserById(db, created.value.id)).toBeUndefined();
      expect(await deleteUser(db, created.value.id)).toBe(false);
    });

    it("pages through every row exactly once in creation order", async () => {
      const db = await getDb();
      const before = await countUsers(db);
      for (let i = 0; i < 25; i++)
        await createUser(db, { email: `page-${i}@example.com`, name: `P${i}`, passwordHash: null });
      const seen: string[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await listUsers(db, { limit: 7, afterId });
        seen.push(...page.rows.map((r) => r.id));
        if (!page.hasMore) break;
        afterId = page.rows.at(-1)!.id;
      }
      expect(seen.length).toBe(before + 25);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(seen);
    });

    it("rejects an invalid role at the database level", async () => {
      const db = await getDb();
      await expect(
        createUser(db, {
          email: "bad-role@example.com",
          name: "X",
          passwordHash: null,
          role: "root" as never,
        }),
      ).rejects.toThrow();
    });
  });
}
