import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client.ts";

export type Statement = BatchItem<"sqlite">;

/** A statement's result after commit, typed by the statement that produced it. */
export type Slot<T extends Statement> = { readonly statement: T };
export type ReadResult = <T extends Statement>(slot: Slot<T>) => T["_"]["result"];

/** `exists (select 1 from <table> where <where>)`, for `onlyIf` and `when`. */
export const rowExists = (table: SQLiteTable, where: SQL) =>
  sql`exists (select 1 from ${table} where ${where})`;

/**
 * One mutation = one D1 batch: the domain writes, the audit entry and every
 * outbox row (events, jobs) commit together in one transaction, in the order
 * they were added, or none does.
 *
 * A conditional write (versioned UPDATE/DELETE, "still active", "another admin
 * exists") declares its condition once with `onlyIf`, before anything else, and
 * repeats it in its own WHERE. Rows recorded before the write are inserted with
 * `INSERT … SELECT … WHERE <condition>`: evaluated inside the same transaction,
 * just before the write sees the same rows, so the audit entry and events exist
 * exactly when the write applied. Rows recorded after a write must say `when`
 * explicitly (a post-condition such as "the new row exists"). A unique or other
 * constraint failure aborts the whole batch.
 */
export class Mutation {
  readonly db: Database;
  readonly #statements: Statement[] = [];
  #condition: SQL | undefined;
  #wrote = false;

  constructor(db: Database) {
    this.db = db;
  }

  /** The precondition of the whole mutation; rows recorded before the write land only if it holds. */
  onlyIf(condition: SQL): this {
    if (this.#statements.length) throw new Error("onlyIf must come before any statement");
    this.#condition = condition;
    return this;
  }

  get precondition(): SQL | undefined {
    return this.#condition;
  }

  /** A domain write; read its result from `commit()`'s reader with the slot. */
  write<T extends Statement>(statement: T): Slot<T> {
    this.#wrote = true;
    this.#statements.push(statement);
    return { statement };
  }

  /** Puts a statement first in the batch (bookkeeping that must see the state before the writes). */
  protected first(statement: Statement): void {
    this.#statements.unshift(statement);
  }

  /**
   * Rows that record the mutation (audit entry, events, job rows), inserted only
   * when `when` holds — by default the precondition, which is only meaningful
   * before the write.
   */
  record<T extends SQLiteTable>(
    table: T,
    rows: T["$inferInsert"][],
    { when, ignoreDuplicates = false }: { when?: SQL; ignoreDuplicates?: boolean } = {},
  ): void {
    if (when === undefined && this.#condition && this.#wrote)
      throw new Error("rows guarded by the precondition must be recorded before the write");
    const condition = when ?? this.#condition;
    for (const row of rows) {
      const insert = insertIf(this.db, table, row, condition);
      this.#statements.push(ignoreDuplicates ? insert.onConflictDoNothing() : insert);
    }
  }

  /** Runs the batch; the reader gives each write's result by its slot. */
  async commit(): Promise<ReadResult> {
    if (!this.#statements.length) throw new Error("empty mutation");
    const statements = this.#statements;
    const results = await this.db.batch(statements as [Statement, ...Statement[]]);
    return (slot) => results[statements.indexOf(slot.statement)];
  }
}

/** `INSERT … SELECT <row> WHERE <condition>`: the row is inserted only if the condition holds. */
export const insertIf = <T extends SQLiteTable>(
  db: Database,
  table: T,
  row: T["$inferInsert"],
  condition: SQL | undefined,
) =>
  condition
    ? db.insert(table).select(selectIf(table, row, condition))
    : db.insert(table).values(row);

/**
 * `SELECT <row's values> WHERE <condition>`, in the table's column order, with
 * each value encoded by its column (JSON, booleans), for `INSERT … SELECT`.
 * Columns the row leaves out get their default or NULL (an INTEGER PRIMARY KEY
 * then assigns itself).
 */
function selectIf<T extends SQLiteTable>(table: T, row: T["$inferInsert"], condition: SQL): SQL {
  const values = Object.entries(getTableColumns(table))
    // What drizzle's INSERT lists too: every column but generated ones.
    .filter(([, column]) => column.generated === undefined)
    .map(([key, column]) => {
      const value = (row as Record<string, unknown>)[key];
      if (value === undefined && column.default !== undefined)
        return is(column.default, SQL) ? column.default : sql.param(column.default, column);
      if (value === undefined || value === null) return sql`null`;
      return sql.param(value, column);
    });
  return sql`select ${sql.join(values, sql`, `)} where ${condition}`;
}
