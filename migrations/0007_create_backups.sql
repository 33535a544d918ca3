CREATE TABLE `audit_archives` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`from_seq` integer NOT NULL,
	`to_seq` integer NOT NULL,
	`from_created_at` text NOT NULL,
	`to_created_at` text NOT NULL,
	`rows` integer NOT NULL,
	`prev_hash` text NOT NULL,
	`first_hash` text NOT NULL,
	`last_hash` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`key_id` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_archives_key_unique` ON `audit_archives` (`key`);--> statement-breakpoint
CREATE UNIQUE INDEX `audit_archives_to_seq_idx` ON `audit_archives` (`to_seq`);--> statement-breakpoint
CREATE TABLE `backup_drills` (
	`id` text PRIMARY KEY NOT NULL,
	`backup_id` text,
	`status` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`rto_seconds` real,
	`rpo_seconds` integer,
	`row_counts` text,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `backup_drills_started_idx` ON `backup_drills` (`started_at`,`id`);--> statement-breakpoint
CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`requested_by` text,
	`started_at` text NOT NULL,
	`finished_at` text,
	`size_bytes` integer,
	`row_counts` text,
	`schema_version` text,
	`bookmark` text,
	`key_id` text,
	`error` text,
	`progress` text,
	`verify_status` text,
	`verified_at` text,
	`verify_error` text
);
--> statement-breakpoint
CREATE INDEX `backups_started_idx` ON `backups` (`started_at`,`id`);