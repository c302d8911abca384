-- Create "appointments" table
CREATE TABLE `appointments` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `starts_at` datetime NOT NULL, `ends_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('SCHEDULED'), `billable` bool NOT NULL DEFAULT (true), `billed` bool NOT NULL DEFAULT (false), `location` text NOT NULL DEFAULT (''), `organization_id` text NOT NULL, `client_id` text NOT NULL, `provider_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `appointments_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `appointments_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `appointments_users_provider` FOREIGN KEY (`provider_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "appointment_organization_id" to table: "appointments"
CREATE INDEX `appointment_organization_id` ON `appointments` (`organization_id`);
-- Create index "appointment_client_id_starts_at" to table: "appointments"
CREATE INDEX `appointment_client_id_starts_at` ON `appointments` (`client_id`, `starts_at`);
-- Create index "appointment_provider_id_starts_at" to table: "appointments"
CREATE INDEX `appointment_provider_id_starts_at` ON `appointments` (`provider_id`, `starts_at`);
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` text NOT NULL, `occurred_at` datetime NOT NULL, `actor_kind` text NOT NULL, `actor_id` text NULL, `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `client_id` text NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `details` json NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `audit_events_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "auditevent_organization_id" to table: "audit_events"
CREATE INDEX `auditevent_organization_id` ON `audit_events` (`organization_id`);
-- Create index "auditevent_organization_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_occurred_at` ON `audit_events` (`organization_id`, `occurred_at`);
-- Create index "auditevent_organization_id_actor_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_actor_id_occurred_at` ON `audit_events` (`organization_id`, `actor_id`, `occurred_at`);
-- Create index "auditevent_organization_id_client_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_organization_id_client_id_occurred_at` ON `audit_events` (`organization_id`, `client_id`, `occurred_at`);
-- Create "business_units" table
CREATE TABLE `business_units` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `address` text NOT NULL DEFAULT (''), `external_id` text NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `business_units_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "businessunit_organization_id" to table: "business_units"
CREATE INDEX `businessunit_organization_id` ON `business_units` (`organization_id`);
-- Create index "businessunit_organization_id_name" to table: "business_units"
CREATE UNIQUE INDEX `businessunit_organization_id_name` ON `business_units` (`organization_id`, `name`);
-- Create index "businessunit_organization_id_external_id" to table: "business_units"
CREATE UNIQUE INDEX `businessunit_organization_id_external_id` ON `business_units` (`organization_id`, `external_id`);
-- Create "client_accesses" table
CREATE TABLE `client_accesses` (`id` text NOT NULL, `granted_at` datetime NOT NULL, `expires_at` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, `client_id` text NOT NULL, `granted_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `client_accesses_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `client_accesses_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `client_accesses_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `client_accesses_users_granted_by` FOREIGN KEY (`granted_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "clientaccess_organization_id" to table: "client_accesses"
CREATE INDEX `clientaccess_organization_id` ON `client_accesses` (`organization_id`);
-- Create index "clientaccess_user_id_client_id" to table: "client_accesses"
CREATE UNIQUE INDEX `clientaccess_user_id_client_id` ON `client_accesses` (`user_id`, `client_id`);
-- Create index "clientaccess_client_id" to table: "client_accesses"
CREATE INDEX `clientaccess_client_id` ON `client_accesses` (`client_id`);
-- Create "documents" table
CREATE TABLE `documents` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `title` text NOT NULL, `file_name` text NOT NULL, `content_type` text NOT NULL DEFAULT ('application/octet-stream'), `size_bytes` integer NOT NULL DEFAULT (0), `storage_key` text NOT NULL, `organization_id` text NOT NULL, `client_id` text NOT NULL, `uploaded_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `documents_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `documents_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `documents_users_uploaded_by` FOREIGN KEY (`uploaded_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "document_organization_id" to table: "documents"
CREATE INDEX `document_organization_id` ON `documents` (`organization_id`);
-- Create "emergency_accesses" table
CREATE TABLE `emergency_accesses` (`id` text NOT NULL, `reason` text NOT NULL, `started_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `ended_at` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, `client_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `emergency_accesses_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `emergency_accesses_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `emergency_accesses_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION);
-- Create index "emergencyaccess_organization_id" to table: "emergency_accesses"
CREATE INDEX `emergencyaccess_organization_id` ON `emergency_accesses` (`organization_id`);
-- Create index "emergencyaccess_user_id_client_id_expires_at" to table: "emergency_accesses"
CREATE INDEX `emergencyaccess_user_id_client_id_expires_at` ON `emergency_accesses` (`user_id`, `client_id`, `expires_at`);
-- Create index "emergency_accesses_one_open" to table: "emergency_accesses"
CREATE UNIQUE INDEX `emergency_accesses_one_open` ON `emergency_accesses` (`user_id`, `client_id`) WHERE ended_at IS NULL;
-- Create "homeworks" table
CREATE TABLE `homeworks` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `title` text NOT NULL, `instructions` text NOT NULL DEFAULT (''), `due_at` datetime NULL, `completed_at` datetime NULL, `organization_id` text NOT NULL, `client_id` text NOT NULL, `appointment_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `homeworks_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `homeworks_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `homeworks_appointments_appointment` FOREIGN KEY (`appointment_id`) REFERENCES `appointments` (`id`) ON DELETE SET NULL);
-- Create index "homework_organization_id" to table: "homeworks"
CREATE INDEX `homework_organization_id` ON `homeworks` (`organization_id`);
-- Create "invitations" table
CREATE TABLE `invitations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `email_normalized` text NOT NULL, `token_hash` blob NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `expires_at` datetime NOT NULL, `accepted_at` datetime NULL, `batch_id` text NULL, `organization_id` text NOT NULL, `invited_by_id` text NULL, `user_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `invitations_users_invited_by` FOREIGN KEY (`invited_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `invitations_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "invitations_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX `invitations_token_hash_key` ON `invitations` (`token_hash`);
-- Create index "invitation_organization_id" to table: "invitations"
CREATE INDEX `invitation_organization_id` ON `invitations` (`organization_id`);
-- Create index "invitation_organization_id_email_normalized" to table: "invitations"
CREATE INDEX `invitation_organization_id_email_normalized` ON `invitations` (`organization_id`, `email_normalized`);
-- Create index "invitation_one_pending_per_email" to table: "invitations"
CREATE UNIQUE INDEX `invitation_one_pending_per_email` ON `invitations` (`organization_id`, `email_normalized`) WHERE status = 'PENDING';
-- Create "invoices" table
CREATE TABLE `invoices` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `amount_cents` integer NOT NULL, `currency` text NOT NULL DEFAULT ('USD'), `status` text NOT NULL DEFAULT ('DRAFT'), `issued_at` datetime NULL, `due_at` datetime NULL, `organization_id` text NOT NULL, `client_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invoices_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `invoices_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION);
-- Create index "invoice_organization_id" to table: "invoices"
CREATE INDEX `invoice_organization_id` ON `invoices` (`organization_id`);
-- Create index "invoice_organization_id_number" to table: "invoices"
CREATE UNIQUE INDEX `invoice_organization_id_number` ON `invoices` (`organization_id`, `number`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `slug` text NOT NULL, `session_view_enabled` bool NOT NULL DEFAULT (false), `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `emergency_access_minutes` integer NOT NULL DEFAULT (60), `session_idle_minutes` integer NULL, PRIMARY KEY (`id`));
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX `organizations_slug_key` ON `organizations` (`slug`);
-- Create "outbox_messages" table
CREATE TABLE `outbox_messages` (`id` text NOT NULL, `kind` text NOT NULL, `payload` json NOT NULL, `created_at` datetime NOT NULL, `available_at` datetime NOT NULL, `attempts` integer NOT NULL DEFAULT (0), `delivered_at` datetime NULL, `last_error` text NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `outbox_messages_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "outboxmessage_organization_id" to table: "outbox_messages"
CREATE INDEX `outboxmessage_organization_id` ON `outbox_messages` (`organization_id`);
-- Create index "outboxmessage_delivered_at_available_at" to table: "outbox_messages"
CREATE INDEX `outboxmessage_delivered_at_available_at` ON `outbox_messages` (`delivered_at`, `available_at`);
-- Create "password_credentials" table
CREATE TABLE `password_credentials` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `hash` text NOT NULL, `must_change` bool NOT NULL DEFAULT (false), `temporary_expires_at` datetime NULL, `changed_at` datetime NOT NULL, `failed_attempts` integer NOT NULL DEFAULT (0), `locked_until` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `password_credentials_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `password_credentials_users_password_credential` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "password_credentials_user_id_key" to table: "password_credentials"
CREATE UNIQUE INDEX `password_credentials_user_id_key` ON `password_credentials` (`user_id`);
-- Create index "passwordcredential_organization_id" to table: "password_credentials"
CREATE INDEX `passwordcredential_organization_id` ON `password_credentials` (`organization_id`);
-- Create "patients" table
CREATE TABLE `patients` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `given_name` text NOT NULL, `family_name` text NOT NULL, `preferred_name` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('ACTIVE'), `restricted` bool NOT NULL DEFAULT (false), `date_of_birth` datetime NULL, `email` text NULL, `phone` text NULL, `address` text NULL, `gender` text NULL, `medical_record_number` text NULL, `diagnosis` text NULL, `organization_id` text NOT NULL, `business_unit_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `patients_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `patients_business_units_business_unit` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL);
-- Create index "patient_organization_id" to table: "patients"
CREATE INDEX `patient_organization_id` ON `patients` (`organization_id`);
-- Create index "patient_organization_id_business_unit_id_restricted_id" to table: "patients"
CREATE INDEX `patient_organization_id_business_unit_id_restricted_id` ON `patients` (`organization_id`, `business_unit_id`, `restricted`, `id`);
-- Create index "patient_organization_id_family_name_given_name" to table: "patients"
CREATE INDEX `patient_organization_id_family_name_given_name` ON `patients` (`organization_id`, `family_name`, `given_name`);
-- Create "portal_accesses" table
CREATE TABLE `portal_accesses` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `documents` bool NOT NULL DEFAULT (false), `sessions_homework` bool NOT NULL DEFAULT (false), `billing` bool NOT NULL DEFAULT (false), `surveys` bool NOT NULL DEFAULT (false), `alert_recipient` bool NOT NULL DEFAULT (false), `organization_id` text NOT NULL, `user_id` text NOT NULL, `client_id` text NOT NULL, `granted_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `portal_accesses_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `portal_accesses_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `portal_accesses_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `portal_accesses_users_granted_by` FOREIGN KEY (`granted_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "portalaccess_organization_id" to table: "portal_accesses"
CREATE INDEX `portalaccess_organization_id` ON `portal_accesses` (`organization_id`);
-- Create index "portalaccess_user_id_client_id" to table: "portal_accesses"
CREATE UNIQUE INDEX `portalaccess_user_id_client_id` ON `portal_accesses` (`user_id`, `client_id`);
-- Create index "portal_access_one_alert_recipient" to table: "portal_accesses"
CREATE UNIQUE INDEX `portal_access_one_alert_recipient` ON `portal_accesses` (`client_id`) WHERE alert_recipient;
-- Create "recovery_codes" table
CREATE TABLE `recovery_codes` (`id` text NOT NULL, `code_hash` blob NOT NULL, `created_at` datetime NOT NULL, `used_at` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `recovery_codes_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `recovery_codes_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "recoverycode_organization_id" to table: "recovery_codes"
CREATE INDEX `recoverycode_organization_id` ON `recovery_codes` (`organization_id`);
-- Create "roles" table
CREATE TABLE `roles` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `builtin` text NULL, `privileges` json NOT NULL, `external_id` text NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `roles_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "role_organization_id" to table: "roles"
CREATE INDEX `role_organization_id` ON `roles` (`organization_id`);
-- Create index "role_organization_id_name" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_name` ON `roles` (`organization_id`, `name`);
-- Create index "role_organization_id_builtin" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_builtin` ON `roles` (`organization_id`, `builtin`);
-- Create "scim_group_mappings" table
CREATE TABLE `scim_group_mappings` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `display_name` text NOT NULL, `external_id` text NULL, `target` text NOT NULL, `organization_id` text NOT NULL, `business_unit_id` text NULL, `role_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_group_mappings_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `scim_group_mappings_business_units_business_unit` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL, CONSTRAINT `scim_group_mappings_roles_role` FOREIGN KEY (`role_id`) REFERENCES `roles` (`id`) ON DELETE SET NULL);
-- Create index "scimgroupmapping_organization_id" to table: "scim_group_mappings"
CREATE INDEX `scimgroupmapping_organization_id` ON `scim_group_mappings` (`organization_id`);
-- Create index "scimgroupmapping_organization_id_display_name" to table: "scim_group_mappings"
CREATE UNIQUE INDEX `scimgroupmapping_organization_id_display_name` ON `scim_group_mappings` (`organization_id`, `display_name`);
-- Create index "scimgroupmapping_organization_id_external_id" to table: "scim_group_mappings"
CREATE UNIQUE INDEX `scimgroupmapping_organization_id_external_id` ON `scim_group_mappings` (`organization_id`, `external_id`);
-- Create "scim_tokens" table
CREATE TABLE `scim_tokens` (`id` text NOT NULL, `name` text NOT NULL, `token_hash` blob NOT NULL, `created_by_id` text NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NULL, `expires_at` datetime NULL, `revoked_at` datetime NULL, `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `scim_tokens_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "scim_tokens_token_hash_key" to table: "scim_tokens"
CREATE UNIQUE INDEX `scim_tokens_token_hash_key` ON `scim_tokens` (`token_hash`);
-- Create index "scimtoken_organization_id" to table: "scim_tokens"
CREATE INDEX `scimtoken_organization_id` ON `scim_tokens` (`organization_id`);
-- Create "sso_connections" table
CREATE TABLE `sso_connections` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `issuer` text NOT NULL, `client_id` text NOT NULL, `client_secret_sealed` blob NULL, `email_domains` json NULL, `enabled` bool NOT NULL DEFAULT (true), `auto_provision` bool NOT NULL DEFAULT (false), `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sso_connections_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "ssoconnection_organization_id" to table: "sso_connections"
CREATE INDEX `ssoconnection_organization_id` ON `sso_connections` (`organization_id`);
-- Create index "ssoconnection_organization_id_issuer" to table: "sso_connections"
CREATE UNIQUE INDEX `ssoconnection_organization_id_issuer` ON `sso_connections` (`organization_id`, `issuer`);
-- Create "seat_charges" table
CREATE TABLE `seat_charges` (`id` text NOT NULL, `amount_cents` integer NOT NULL, `days_remaining` integer NOT NULL, `days_in_term` integer NOT NULL, `reason` text NOT NULL, `charged_at` datetime NOT NULL, `organization_id` text NOT NULL, `subscription_id` text NOT NULL, `user_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `seat_charges_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `seat_charges_subscriptions_subscription` FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions` (`id`) ON DELETE NO ACTION, CONSTRAINT `seat_charges_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "seatcharge_organization_id" to table: "seat_charges"
CREATE INDEX `seatcharge_organization_id` ON `seat_charges` (`organization_id`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` text NOT NULL, `token_hash` blob NOT NULL, `method` text NOT NULL, `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `idle_timeout_seconds` integer NOT NULL, `mfa_satisfied_at` datetime NULL, `password_change_required` bool NOT NULL DEFAULT (false), `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `revoked_at` datetime NULL, `revoked_reason` text NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `sessions_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_token_hash_key` ON `sessions` (`token_hash`);
-- Create index "session_organization_id" to table: "sessions"
CREATE INDEX `session_organization_id` ON `sessions` (`organization_id`);
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX `session_user_id_revoked_at` ON `sessions` (`user_id`, `revoked_at`);
-- Create "session_notes" table
CREATE TABLE `session_notes` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `body` text NOT NULL DEFAULT (''), `transcript` text NOT NULL DEFAULT (''), `private` bool NOT NULL DEFAULT (false), `organization_id` text NOT NULL, `appointment_id` text NOT NULL, `author_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `session_notes_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `session_notes_appointments_appointment` FOREIGN KEY (`appointment_id`) REFERENCES `appointments` (`id`) ON DELETE NO ACTION, CONSTRAINT `session_notes_users_author` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "sessionnote_organization_id" to table: "session_notes"
CREATE INDEX `sessionnote_organization_id` ON `session_notes` (`organization_id`);
-- Create "staff_profiles" table
CREATE TABLE `staff_profiles` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `given_name` text NOT NULL, `family_name` text NOT NULL, `email` text NOT NULL, `phone` text NULL, `job_title` text NULL, `employee_number` text NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `organization_id` text NOT NULL, `business_unit_id` text NULL, `user_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `staff_profiles_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `staff_profiles_business_units_business_unit` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL, CONSTRAINT `staff_profiles_users_staff_profile` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "staff_profiles_user_id_key" to table: "staff_profiles"
CREATE UNIQUE INDEX `staff_profiles_user_id_key` ON `staff_profiles` (`user_id`);
-- Create index "staffprofile_organization_id" to table: "staff_profiles"
CREATE INDEX `staffprofile_organization_id` ON `staff_profiles` (`organization_id`);
-- Create index "staffprofile_organization_id_business_unit_id" to table: "staff_profiles"
CREATE INDEX `staffprofile_organization_id_business_unit_id` ON `staff_profiles` (`organization_id`, `business_unit_id`);
-- Create "staff_profile_accesses" table
CREATE TABLE `staff_profile_accesses` (`id` text NOT NULL, `granted_at` datetime NOT NULL, `expires_at` datetime NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, `staff_profile_id` text NOT NULL, `granted_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `staff_profile_accesses_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `staff_profile_accesses_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `staff_profile_accesses_staff_profiles_staff_profile` FOREIGN KEY (`staff_profile_id`) REFERENCES `staff_profiles` (`id`) ON DELETE NO ACTION, CONSTRAINT `staff_profile_accesses_users_granted_by` FOREIGN KEY (`granted_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "staffprofileaccess_organization_id" to table: "staff_profile_accesses"
CREATE INDEX `staffprofileaccess_organization_id` ON `staff_profile_accesses` (`organization_id`);
-- Create index "staffprofileaccess_user_id_staff_profile_id" to table: "staff_profile_accesses"
CREATE UNIQUE INDEX `staffprofileaccess_user_id_staff_profile_id` ON `staff_profile_accesses` (`user_id`, `staff_profile_id`);
-- Create index "staffprofileaccess_staff_profile_id" to table: "staff_profile_accesses"
CREATE INDEX `staffprofileaccess_staff_profile_id` ON `staff_profile_accesses` (`staff_profile_id`);
-- Create "subscriptions" table
CREATE TABLE `subscriptions` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `term_start` datetime NOT NULL, `term_end` datetime NOT NULL, `seat_price_cents` integer NOT NULL, `currency` text NOT NULL DEFAULT ('USD'), `seats` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('ACTIVE'), `organization_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `subscriptions_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "subscription_organization_id" to table: "subscriptions"
CREATE INDEX `subscription_organization_id` ON `subscriptions` (`organization_id`);
-- Create "survey_responses" table
CREATE TABLE `survey_responses` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `survey_name` text NOT NULL, `answers` json NULL, `submitted_at` datetime NOT NULL, `organization_id` text NOT NULL, `client_id` text NOT NULL, `submitted_by_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `survey_responses_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `survey_responses_patients_client` FOREIGN KEY (`client_id`) REFERENCES `patients` (`id`) ON DELETE NO ACTION, CONSTRAINT `survey_responses_users_submitted_by` FOREIGN KEY (`submitted_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "surveyresponse_organization_id" to table: "survey_responses"
CREATE INDEX `surveyresponse_organization_id` ON `survey_responses` (`organization_id`);
-- Create "totp_factors" table
CREATE TABLE `totp_factors` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT ('Authenticator app'), `secret_sealed` blob NOT NULL, `confirmed_at` datetime NULL, `last_used_step` integer NOT NULL DEFAULT (0), `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `totp_factors_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `totp_factors_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "totpfactor_organization_id" to table: "totp_factors"
CREATE INDEX `totpfactor_organization_id` ON `totp_factors` (`organization_id`);
-- Create "users" table
CREATE TABLE `users` (`id` text NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `email_normalized` text NOT NULL, `given_name` text NOT NULL DEFAULT (''), `family_name` text NOT NULL DEFAULT (''), `display_name` text NOT NULL DEFAULT (''), `kind` text NOT NULL DEFAULT ('STAFF'), `status` text NOT NULL DEFAULT ('INVITED'), `is_account_owner` bool NOT NULL DEFAULT (false), `external_id` text NULL, `schedule_access` text NOT NULL DEFAULT ('OWN_ONLY'), `tab_access` json NULL, `require_mfa` bool NOT NULL DEFAULT (false), `sign_in_method` text NOT NULL DEFAULT ('ANY'), `phone` text NULL, `title` text NULL, `last_sign_in_at` datetime NULL, `suspended_at` datetime NULL, `deleted_at` datetime NULL, `organization_id` text NOT NULL, `primary_business_unit_id` text NULL, PRIMARY KEY (`id`), CONSTRAINT `users_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `users_business_units_primary_business_unit` FOREIGN KEY (`primary_business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE SET NULL);
-- Create index "user_organization_id" to table: "users"
CREATE INDEX `user_organization_id` ON `users` (`organization_id`);
-- Create index "user_organization_id_email_normalized" to table: "users"
CREATE UNIQUE INDEX `user_organization_id_email_normalized` ON `users` (`organization_id`, `email_normalized`);
-- Create index "user_organization_id_external_id" to table: "users"
CREATE UNIQUE INDEX `user_organization_id_external_id` ON `users` (`organization_id`, `external_id`);
-- Create index "user_one_account_owner" to table: "users"
CREATE UNIQUE INDEX `user_one_account_owner` ON `users` (`organization_id`) WHERE is_account_owner;
-- Create index "user_organization_id_status" to table: "users"
CREATE INDEX `user_organization_id_status` ON `users` (`organization_id`, `status`);
-- Create "invitation_roles" table
CREATE TABLE `invitation_roles` (`invitation_id` text NOT NULL, `role_id` text NOT NULL, PRIMARY KEY (`invitation_id`, `role_id`), CONSTRAINT `invitation_roles_invitation_id` FOREIGN KEY (`invitation_id`) REFERENCES `invitations` (`id`) ON DELETE CASCADE, CONSTRAINT `invitation_roles_role_id` FOREIGN KEY (`role_id`) REFERENCES `roles` (`id`) ON DELETE CASCADE);
-- Create "invitation_business_units" table
CREATE TABLE `invitation_business_units` (`invitation_id` text NOT NULL, `business_unit_id` text NOT NULL, PRIMARY KEY (`invitation_id`, `business_unit_id`), CONSTRAINT `invitation_business_units_invitation_id` FOREIGN KEY (`invitation_id`) REFERENCES `invitations` (`id`) ON DELETE CASCADE, CONSTRAINT `invitation_business_units_business_unit_id` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE CASCADE);
-- Create "invitation_clients" table
CREATE TABLE `invitation_clients` (`invitation_id` text NOT NULL, `patient_id` text NOT NULL, PRIMARY KEY (`invitation_id`, `patient_id`), CONSTRAINT `invitation_clients_invitation_id` FOREIGN KEY (`invitation_id`) REFERENCES `invitations` (`id`) ON DELETE CASCADE, CONSTRAINT `invitation_clients_patient_id` FOREIGN KEY (`patient_id`) REFERENCES `patients` (`id`) ON DELETE CASCADE);
-- Create "invitation_staff_profiles" table
CREATE TABLE `invitation_staff_profiles` (`invitation_id` text NOT NULL, `staff_profile_id` text NOT NULL, PRIMARY KEY (`invitation_id`, `staff_profile_id`), CONSTRAINT `invitation_staff_profiles_invitation_id` FOREIGN KEY (`invitation_id`) REFERENCES `invitations` (`id`) ON DELETE CASCADE, CONSTRAINT `invitation_staff_profiles_staff_profile_id` FOREIGN KEY (`staff_profile_id`) REFERENCES `staff_profiles` (`id`) ON DELETE CASCADE);
-- Create "user_roles" table
CREATE TABLE `user_roles` (`user_id` text NOT NULL, `role_id` text NOT NULL, PRIMARY KEY (`user_id`, `role_id`), CONSTRAINT `user_roles_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `user_roles_role_id` FOREIGN KEY (`role_id`) REFERENCES `roles` (`id`) ON DELETE CASCADE);
-- Create "user_business_units" table
CREATE TABLE `user_business_units` (`user_id` text NOT NULL, `business_unit_id` text NOT NULL, PRIMARY KEY (`user_id`, `business_unit_id`), CONSTRAINT `user_business_units_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, CONSTRAINT `user_business_units_business_unit_id` FOREIGN KEY (`business_unit_id`) REFERENCES `business_units` (`id`) ON DELETE CASCADE);
