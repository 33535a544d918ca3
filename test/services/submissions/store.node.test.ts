import { applyMigrations, createNodeDatabase } from "../../../src/db/libsql-node.ts";
import { submissionsStoreContract } from "./store.contract.ts";

// One :memory: database for the file, migrated from the same SQL files D1 uses.
const { db, client } = createNodeDatabase(":memory:");
const ready = applyMigrations(client);

submissionsStoreContract("libSQL :memory: (Node)", async () => {
  await ready;
  return db;
});
