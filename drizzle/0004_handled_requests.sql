CREATE TABLE `handled_requests` (
	`key` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `handled_requests_expiry` ON `handled_requests` (`expires_at`);