CREATE TABLE `component_checks` (
	`id` text PRIMARY KEY NOT NULL,
	`component` text NOT NULL,
	`status` text NOT NULL,
	`latency_ms` integer,
	`error` text,
	`checked_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `component_checks_component_idx` ON `component_checks` (`component`,`checked_at`);--> statement-breakpoint
CREATE INDEX `component_checks_checked_idx` ON `component_checks` (`checked_at`);--> statement-breakpoint
CREATE TABLE `incident_updates` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`status` text NOT NULL,
	`message` text NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_updates_incident_idx` ON `incident_updates` (`incident_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`status` text NOT NULL,
	`impact` text NOT NULL,
	`component` text,
	`tag` text,
	`created_by` text,
	`resolved_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	CONSTRAINT "incidents_status_check" CHECK("incidents"."status" in ('investigating', 'identified', 'monitoring', 'resolved')),
	CONSTRAINT "incidents_impact_check" CHECK("incidents"."impact" in ('none', 'minor', 'major', 'critical'))
);
--> statement-breakpoint
CREATE INDEX `incidents_created_idx` ON `incidents` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `incidents_status_idx` ON `incidents` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `probe_daily` (
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`day` text NOT NULL,
	`checks` integer NOT NULL,
	`successes` integer NOT NULL,
	`degraded` integer NOT NULL,
	`p50_ms` integer,
	`p95_ms` integer,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`kind`, `subject`, `day`)
);
--> statement-breakpoint
CREATE INDEX `probe_daily_day_idx` ON `probe_daily` (`day`);--> statement-breakpoint
CREATE TABLE `status_page_tags` (
	`tag` text PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`published_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `server_checks_checked_idx` ON `server_checks` (`checked_at`);