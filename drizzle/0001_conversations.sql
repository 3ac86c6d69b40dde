CREATE TABLE `approval_votes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`approval_id` integer NOT NULL,
	`person` text NOT NULL,
	`channel` text NOT NULL,
	`vote` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`approval_id`) REFERENCES `approvals`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approval_votes_person` ON `approval_votes` (`approval_id`,`person`);--> statement-breakpoint
CREATE TABLE `audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`channel` text NOT NULL,
	`identity` text,
	`person` text,
	`input` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit` (`at`);--> statement-breakpoint
CREATE TABLE `channel_state` (
	`channel` text PRIMARY KEY NOT NULL,
	`healthy` integer NOT NULL,
	`since` integer NOT NULL,
	`reason` text,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`outbox_key` text NOT NULL,
	`incident_id` integer NOT NULL,
	`channel` text NOT NULL,
	`op` text NOT NULL,
	`approval_id` integer,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`not_before` integer NOT NULL,
	`first_attempt_at` integer,
	`ambiguous` integer DEFAULT false NOT NULL,
	`last_error` text,
	`ref` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_key` ON `deliveries` (`outbox_key`,`channel`,`op`);--> statement-breakpoint
CREATE INDEX `deliveries_queue` ON `deliveries` (`channel`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_incident` ON `deliveries` (`incident_id`,`id`);--> statement-breakpoint
CREATE TABLE `kv` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `threads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`channel` text NOT NULL,
	`handle` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `threads_incident_channel` ON `threads` (`incident_id`,`channel`);--> statement-breakpoint
-- Rows from before this migration get a code derived from their id, so the unique index holds.
ALTER TABLE `approvals` ADD `code` text NOT NULL DEFAULT '';--> statement-breakpoint
UPDATE `approvals` SET `code` = 'A' || `id` WHERE `code` = '';--> statement-breakpoint
ALTER TABLE `approvals` ADD `required_approvals` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `approvals` ADD `requested_by` text DEFAULT 'robosre' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_code` ON `approvals` (`code`);--> statement-breakpoint
ALTER TABLE `incidents` ADD `acknowledged_by` text;--> statement-breakpoint
ALTER TABLE `incidents` ADD `acknowledged_at` integer;--> statement-breakpoint
ALTER TABLE `incidents` ADD `silenced_until` integer;