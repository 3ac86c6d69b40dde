CREATE TABLE `custom_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`rule` text NOT NULL,
	`deleted` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rule_revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` text NOT NULL,
	`version` integer NOT NULL,
	`change` text NOT NULL,
	`rule` text NOT NULL,
	`diff` text NOT NULL,
	`reason` text NOT NULL,
	`by` text NOT NULL,
	`at` integer NOT NULL,
	`restored_from` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rule_revisions_rule_version` ON `rule_revisions` (`rule_id`,`version`);