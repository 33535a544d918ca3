CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`metric` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`value` real NOT NULL,
	`mean` real NOT NULL,
	`z_score` real NOT NULL,
	`threshold` real NOT NULL,
	`message` text NOT NULL,
	`raised_at` text NOT NULL,
	`cleared_at` text,
	CONSTRAINT "alerts_metric_check" CHECK("alerts"."metric" in ('requests', 'errors_4xx', 'errors_5xx')),
	CONSTRAINT "alerts_status_check" CHECK("alerts"."status" in ('open', 'cleared'))
);
--> statement-breakpoint
CREATE INDEX `alerts_status_idx` ON `alerts` (`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_metric_idx` ON `alerts` (`metric`) WHERE "alerts"."status" = 'open';