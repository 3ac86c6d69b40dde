DROP INDEX `incidents_parent`;--> statement-breakpoint
CREATE INDEX `incidents_parent` ON `incidents` (`parent_id`,`status`);