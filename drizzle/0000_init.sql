CREATE TABLE `actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`action_id` text NOT NULL,
	`action_class` text NOT NULL,
	`target` text NOT NULL,
	`why` text NOT NULL,
	`decision` text NOT NULL,
	`reasons` text NOT NULL,
	`status` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`before` text,
	`after` text,
	`result` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `actions_idempotency_key` ON `actions` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `actions_incident` ON `actions` (`incident_id`);--> statement-breakpoint
CREATE INDEX `actions_target` ON `actions` (`action_id`,`target`,`started_at`);--> statement-breakpoint
CREATE TABLE `approvals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`action_row_id` integer NOT NULL,
	`status` text NOT NULL,
	`prompt` text NOT NULL,
	`requested_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`reason` text,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`action_row_id`) REFERENCES `actions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_action` ON `approvals` (`action_row_id`);--> statement-breakpoint
CREATE INDEX `approvals_status` ON `approvals` (`status`);--> statement-breakpoint
CREATE TABLE `incident_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`incident_id` integer NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`summary` text NOT NULL,
	`data` text NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incident_events_incident` ON `incident_events` (`incident_id`,`id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subject` text NOT NULL,
	`subject_type` text NOT NULL,
	`cluster` text NOT NULL,
	`incident_type` text NOT NULL,
	`domain` text NOT NULL,
	`severity` text NOT NULL,
	`confidence` text NOT NULL,
	`status` text NOT NULL,
	`environment` text NOT NULL,
	`trigger` text NOT NULL,
	`trigger_params` text NOT NULL,
	`signal_sources` text NOT NULL,
	`resource_scope` text NOT NULL,
	`scope_node` text,
	`evidence_summary` text NOT NULL,
	`raw_evidence_refs` text NOT NULL,
	`approval_state` text NOT NULL,
	`parent_id` integer,
	`handler` text NOT NULL,
	`handler_state` text NOT NULL,
	`phase` text NOT NULL,
	`wake_at` integer,
	`occurrences` integer NOT NULL,
	`reopen_count` integer NOT NULL,
	`last_signal_status` text NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`resolved_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `incidents_subject_type` ON `incidents` (`subject`,`incident_type`,`id`);--> statement-breakpoint
CREATE INDEX `incidents_status` ON `incidents` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `incidents_scope_node` ON `incidents` (`cluster`,`scope_node`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`incident_id` integer,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`available_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`last_error` text,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_key` ON `outbox` (`key`);--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`status`,`available_at`);--> statement-breakpoint
CREATE TABLE `signals` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` integer,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
