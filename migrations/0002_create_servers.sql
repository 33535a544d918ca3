CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`status` integer,
	`headers` text,
	`body` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `servers` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`name` text NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`environment` text NOT NULL,
	`tags` text NOT NULL,
	`status` text DEFAULT 'unknown' NOT NULL,
	`health_check_url` text,
	`last_checked_at` text,
	`credentials_enc` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "servers_port_check" CHECK("servers"."port" between 1 and 65535),
	CONSTRAINT "servers_environment_check" CHECK("servers"."environment" in ('production', 'staging', 'development')),
	CONSTRAINT "servers_status_check" CHECK("servers"."status" in ('unknown', 'up', 'degraded', 'down'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `servers_owner_name_unique` ON `servers` (`owner_id`,lower("name"));--> statement-breakpoint
CREATE INDEX `servers_owner_name_idx` ON `servers` (`owner_id`,`name`,`id`);--> statement-breakpoint
CREATE INDEX `servers_owner_created_idx` ON `servers` (`owner_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `servers_name_idx` ON `servers` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `servers_created_idx` ON `servers` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `servers_health_idx` ON `servers` (`health_check_url`);