ALTER TABLE `actions` ADD `namespace` text;--> statement-breakpoint
CREATE INDEX `actions_status` ON `actions` (`status`);--> statement-breakpoint
CREATE INDEX `actions_namespace` ON `actions` (`namespace`,`created_at`);--> statement-breakpoint
UPDATE `actions` SET `namespace` = CASE
  WHEN instr(substr(`target`, instr(`target`, '/') + 1), '/') > 0
    THEN substr(substr(`target`, instr(`target`, '/') + 1), 1, instr(substr(`target`, instr(`target`, '/') + 1), '/') - 1)
  WHEN substr(`target`, 1, instr(`target`, '/') - 1) = 'namespace'
    THEN substr(`target`, instr(`target`, '/') + 1)
END;
