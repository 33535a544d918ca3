-- Audit entries are written unsealed inside each mutation's batch and sealed into
-- the hash chain by the sequencer: seq becomes AUTOINCREMENT (assigned in commit
-- order, never reused) and prev_hash/hash nullable until sealed. No foreign key
-- refers to audit_logs, so the table is rebuilt without toggling enforcement.
-- Jobs keep their payload so that one committed but never sent can be re-sent.
CREATE TABLE `__new_audit_logs` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`created_at` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text,
	`summary` text,
	`ip` text,
	`user_agent` text,
	`request_id` text,
	`prev_hash` text,
	`hash` text
);
--> statement-breakpoint
INSERT INTO `__new_audit_logs`("seq", "id", "created_at", "actor_type", "actor_id", "action", "resource_type", "resource_id", "summary", "ip", "user_agent", "request_id", "prev_hash", "hash") SELECT "seq", "id", "created_at", "actor_type", "actor_id", "action", "resource_type", "resource_id", "summary", "ip", "user_agent", "request_id", "prev_hash", "hash" FROM `audit_logs`;--> statement-breakpoint
DROP TABLE `audit_logs`;--> statement-breakpoint
ALTER TABLE `__new_audit_logs` RENAME TO `audit_logs`;--> statement-breakpoint
CREATE UNIQUE INDEX `audit_logs_id_unique` ON `audit_logs` (`id`);--> statement-breakpoint
CREATE INDEX `audit_logs_created_idx` ON `audit_logs` (`created_at`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_logs_actor_idx` ON `audit_logs` (`actor_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_logs_action_idx` ON `audit_logs` (`action`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_logs_resource_idx` ON `audit_logs` (`resource_type`,`resource_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_logs_unsealed_idx` ON `audit_logs` (`seq`) WHERE hash IS NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `payload` text;--> statement-breakpoint
CREATE INDEX `jobs_status_created_idx` ON `jobs` (`status`,`created_at`);