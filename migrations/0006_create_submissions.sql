CREATE TABLE `submissions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`message` text NOT NULL,
	`ip` text,
	`user_agent` text,
	`file_key` text,
	`file_name` text,
	`file_type` text,
	`file_size` integer,
	`file_sha256` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_id_unique` ON `submissions` (`id`);--> statement-breakpoint
CREATE INDEX `submissions_created_idx` ON `submissions` (`created_at`,`id`);--> statement-breakpoint
CREATE VIRTUAL TABLE `submissions_fts` USING fts5(`name`, `email`, `message`, content='submissions', content_rowid='seq', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `submissions_fts_insert` AFTER INSERT ON `submissions` BEGIN
  INSERT INTO `submissions_fts` (rowid, `name`, `email`, `message`) VALUES (new.`seq`, new.`name`, new.`email`, new.`message`);
END;
--> statement-breakpoint
CREATE TRIGGER `submissions_fts_delete` AFTER DELETE ON `submissions` BEGIN
  INSERT INTO `submissions_fts` (`submissions_fts`, rowid, `name`, `email`, `message`) VALUES ('delete', old.`seq`, old.`name`, old.`email`, old.`message`);
END;
--> statement-breakpoint
CREATE TRIGGER `submissions_fts_update` AFTER UPDATE OF `name`, `email`, `message` ON `submissions` BEGIN
  INSERT INTO `submissions_fts` (`submissions_fts`, rowid, `name`, `email`, `message`) VALUES ('delete', old.`seq`, old.`name`, old.`email`, old.`message`);
  INSERT INTO `submissions_fts` (rowid, `name`, `email`, `message`) VALUES (new.`seq`, new.`name`, new.`email`, new.`message`);
END;
