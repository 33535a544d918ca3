CREATE TABLE `email_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`recipient` text NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_outbox_job_recipient_idx` ON `email_outbox` (`job_id`,`recipient`);--> statement-breakpoint
CREATE INDEX `email_outbox_created_idx` ON `email_outbox` (`created_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`owner_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`result` text,
	`traceparent` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text,
	`finished_at` text
);
--> statement-breakpoint
CREATE INDEX `jobs_owner_idx` ON `jobs` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_status_finished_idx` ON `jobs` (`status`,`finished_at`);--> statement-breakpoint
CREATE TABLE `server_checks` (
	`id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`job_id` text,
	`status` text NOT NULL,
	`http_status` integer,
	`latency_ms` integer,
	`error` text,
	`checked_at` text NOT NULL,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `server_checks_job_id_unique` ON `server_checks` (`job_id`);--> statement-breakpoint
CREATE INDEX `server_checks_server_idx` ON `server_checks` (`server_id`,`checked_at`,`id`);