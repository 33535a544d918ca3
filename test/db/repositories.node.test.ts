import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, createNodeDatabase } from "../../src/db/libsql-node.ts";
import { repositoriesContract } from "./repositories.contract.ts";

// A file database: libSQL runs a write batch as a transaction on its own
// connection, which a `:memory:` database would not share.
const file = join(mkdtempSync(join(tmpdir(), "edgepanel-contract-")), "contract.db");
const { db, client } = createNodeDatabase(`file:${file}`);
const ready = applyMigrations(client);

// Node has no KV: the revocation list (a side effect of refresh-token reuse, not a
// repository) goes to a map here.
const store = new Map<string, string>();
const kv = {
  get: async (k: string) => store.get(k) ?? null,
  put: async (k: string, v: string) => void store.set(k, v),
  delete: async (k: string) => void store.delete(k),
} as unknown as KVNamespace;

repositoriesContract(
  "libSQL file (Node)",
  async () => {
    await ready;
    return db;
  },
  () => kv,
);
