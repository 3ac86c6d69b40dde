ALTER TABLE `incidents` ADD `group_key` text;--> statement-breakpoint
CREATE INDEX `incidents_group` ON `incidents` (`cluster`,`group_key`,`id`);--> statement-breakpoint
CREATE INDEX `incidents_parent` ON `incidents` (`parent_id`);