CREATE TABLE `graphs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`moment` text NOT NULL,
	`spec` text NOT NULL,
	`png` blob,
	`error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `graphs_incident_moment` ON `graphs` (`incident_id`,`moment`);