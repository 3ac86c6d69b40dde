PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_deliveries` (
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
	`ambiguous` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`ref` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_deliveries`("id", "outbox_key", "incident_id", "channel", "op", "approval_id", "status", "attempts", "not_before", "first_attempt_at", "ambiguous", "last_error", "ref", "created_at", "sent_at") SELECT "id", "outbox_key", "incident_id", "channel", "op", "approval_id", "status", "attempts", "not_before", "first_attempt_at", "ambiguous", "last_error", "ref", "created_at", "sent_at" FROM `deliveries`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
ALTER TABLE `__new_deliveries` RENAME TO `deliveries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_key` ON `deliveries` (`outbox_key`,`channel`,`op`);--> statement-breakpoint
CREATE INDEX `deliveries_queue` ON `deliveries` (`channel`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_incident` ON `deliveries` (`incident_id`,`id`);