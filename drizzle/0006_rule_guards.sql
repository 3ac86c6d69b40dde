CREATE TABLE `pending_rule_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` text NOT NULL,
	`kind` text NOT NULL,
	`request` text NOT NULL,
	`guards` text NOT NULL,
	`reason` text NOT NULL,
	`requested_by` text NOT NULL,
	`requested_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`status` text NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`decision_reason` text
);
--> statement-breakpoint
CREATE INDEX `pending_rule_changes_status` ON `pending_rule_changes` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `rule_shadow_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` text NOT NULL,
	`rule_version` integer NOT NULL,
	`incident_id` integer NOT NULL,
	`at` integer NOT NULL,
	`differences` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rule_shadow_results_rule_incident` ON `rule_shadow_results` (`rule_id`,`rule_version`,`incident_id`);--> statement-breakpoint
ALTER TABLE `rule_revisions` ADD `confirmed_by` text;