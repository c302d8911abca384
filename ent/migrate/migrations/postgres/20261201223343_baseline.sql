-- Create "organizations" table
CREATE TABLE "organizations" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "slug" character varying NOT NULL, "session_view_enabled" boolean NOT NULL DEFAULT false, "require_mfa" boolean NOT NULL DEFAULT false, "sign_in_method" character varying NOT NULL DEFAULT 'ANY', "emergency_access_minutes" bigint NOT NULL DEFAULT 60, "session_idle_minutes" bigint NULL, PRIMARY KEY ("id"));
-- Create index "organizations_slug_key" to table: "organizations"
CREATE UNIQUE INDEX "organizations_slug_key" ON "organizations" ("slug");
-- Create "business_units" table
CREATE TABLE "business_units" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "address" character varying NOT NULL DEFAULT '', "external_id" character varying NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "business_units_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "businessunit_organization_id" to table: "business_units"
CREATE INDEX "businessunit_organization_id" ON "business_units" ("organization_id");
-- Create index "businessunit_organization_id_external_id" to table: "business_units"
CREATE UNIQUE INDEX "businessunit_organization_id_external_id" ON "business_units" ("organization_id", "external_id");
-- Create index "businessunit_organization_id_name" to table: "business_units"
CREATE UNIQUE INDEX "businessunit_organization_id_name" ON "business_units" ("organization_id", "name");
-- Create "patients" table
CREATE TABLE "patients" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "given_name" character varying NOT NULL, "family_name" character varying NOT NULL, "preferred_name" character varying NOT NULL DEFAULT '', "status" character varying NOT NULL DEFAULT 'ACTIVE', "restricted" boolean NOT NULL DEFAULT false, "date_of_birth" timestamptz NULL, "email" character varying NULL, "phone" character varying NULL, "address" character varying NULL, "gender" character varying NULL, "medical_record_number" character varying NULL, "diagnosis" text NULL, "organization_id" character varying NOT NULL, "business_unit_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "patients_business_units_business_unit" FOREIGN KEY ("business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "patients_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "patient_organization_id" to table: "patients"
CREATE INDEX "patient_organization_id" ON "patients" ("organization_id");
-- Create index "patient_organization_id_business_unit_id_restricted_id" to table: "patients"
CREATE INDEX "patient_organization_id_business_unit_id_restricted_id" ON "patients" ("organization_id", "business_unit_id", "restricted", "id");
-- Create index "patient_organization_id_family_name_given_name" to table: "patients"
CREATE INDEX "patient_organization_id_family_name_given_name" ON "patients" ("organization_id", "family_name", "given_name");
-- Create "users" table
CREATE TABLE "users" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "email" character varying NOT NULL, "email_normalized" character varying NOT NULL, "given_name" character varying NOT NULL DEFAULT '', "family_name" character varying NOT NULL DEFAULT '', "display_name" character varying NOT NULL DEFAULT '', "kind" character varying NOT NULL DEFAULT 'STAFF', "status" character varying NOT NULL DEFAULT 'INVITED', "is_account_owner" boolean NOT NULL DEFAULT false, "external_id" character varying NULL, "schedule_access" character varying NOT NULL DEFAULT 'OWN_ONLY', "tab_access" jsonb NULL, "require_mfa" boolean NOT NULL DEFAULT false, "sign_in_method" character varying NOT NULL DEFAULT 'ANY', "phone" character varying NULL, "title" character varying NULL, "last_sign_in_at" timestamptz NULL, "suspended_at" timestamptz NULL, "deleted_at" timestamptz NULL, "organization_id" character varying NOT NULL, "primary_business_unit_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "users_business_units_primary_business_unit" FOREIGN KEY ("primary_business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "users_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "user_one_account_owner" to table: "users"
CREATE UNIQUE INDEX "user_one_account_owner" ON "users" ("organization_id") WHERE is_account_owner;
-- Create index "user_organization_id" to table: "users"
CREATE INDEX "user_organization_id" ON "users" ("organization_id");
-- Create index "user_organization_id_email_normalized" to table: "users"
CREATE UNIQUE INDEX "user_organization_id_email_normalized" ON "users" ("organization_id", "email_normalized");
-- Create index "user_organization_id_external_id" to table: "users"
CREATE UNIQUE INDEX "user_organization_id_external_id" ON "users" ("organization_id", "external_id");
-- Create index "user_organization_id_status" to table: "users"
CREATE INDEX "user_organization_id_status" ON "users" ("organization_id", "status");
-- Create "appointments" table
CREATE TABLE "appointments" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "starts_at" timestamptz NOT NULL, "ends_at" timestamptz NOT NULL, "status" character varying NOT NULL DEFAULT 'SCHEDULED', "billable" boolean NOT NULL DEFAULT true, "billed" boolean NOT NULL DEFAULT false, "location" character varying NOT NULL DEFAULT '', "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, "provider_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "appointments_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "appointments_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "appointments_users_provider" FOREIGN KEY ("provider_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "appointment_client_id_starts_at" to table: "appointments"
CREATE INDEX "appointment_client_id_starts_at" ON "appointments" ("client_id", "starts_at");
-- Create index "appointment_organization_id" to table: "appointments"
CREATE INDEX "appointment_organization_id" ON "appointments" ("organization_id");
-- Create index "appointment_provider_id_starts_at" to table: "appointments"
CREATE INDEX "appointment_provider_id_starts_at" ON "appointments" ("provider_id", "starts_at");
-- Create "audit_events" table
CREATE TABLE "audit_events" ("id" character varying NOT NULL, "occurred_at" timestamptz NOT NULL, "actor_kind" character varying NOT NULL, "actor_id" character varying NULL, "action" character varying NOT NULL, "target_type" character varying NOT NULL DEFAULT '', "target_id" character varying NOT NULL DEFAULT '', "client_id" character varying NULL, "ip" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "request_id" character varying NOT NULL DEFAULT '', "details" jsonb NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "audit_events_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "auditevent_organization_id" to table: "audit_events"
CREATE INDEX "auditevent_organization_id" ON "audit_events" ("organization_id");
-- Create index "auditevent_organization_id_actor_id_occurred_at" to table: "audit_events"
CREATE INDEX "auditevent_organization_id_actor_id_occurred_at" ON "audit_events" ("organization_id", "actor_id", "occurred_at");
-- Create index "auditevent_organization_id_client_id_occurred_at" to table: "audit_events"
CREATE INDEX "auditevent_organization_id_client_id_occurred_at" ON "audit_events" ("organization_id", "client_id", "occurred_at");
-- Create index "auditevent_organization_id_occurred_at" to table: "audit_events"
CREATE INDEX "auditevent_organization_id_occurred_at" ON "audit_events" ("organization_id", "occurred_at");
-- Create "client_accesses" table
CREATE TABLE "client_accesses" ("id" character varying NOT NULL, "granted_at" timestamptz NOT NULL, "expires_at" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, "client_id" character varying NOT NULL, "granted_by_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "client_accesses_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "client_accesses_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "client_accesses_users_granted_by" FOREIGN KEY ("granted_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "client_accesses_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "clientaccess_client_id" to table: "client_accesses"
CREATE INDEX "clientaccess_client_id" ON "client_accesses" ("client_id");
-- Create index "clientaccess_organization_id" to table: "client_accesses"
CREATE INDEX "clientaccess_organization_id" ON "client_accesses" ("organization_id");
-- Create index "clientaccess_user_id_client_id" to table: "client_accesses"
CREATE UNIQUE INDEX "clientaccess_user_id_client_id" ON "client_accesses" ("user_id", "client_id");
-- Create "documents" table
CREATE TABLE "documents" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "title" character varying NOT NULL, "file_name" character varying NOT NULL, "content_type" character varying NOT NULL DEFAULT 'application/octet-stream', "size_bytes" bigint NOT NULL DEFAULT 0, "storage_key" character varying NOT NULL, "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, "uploaded_by_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "documents_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "documents_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "documents_users_uploaded_by" FOREIGN KEY ("uploaded_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "document_organization_id" to table: "documents"
CREATE INDEX "document_organization_id" ON "documents" ("organization_id");
-- Create "emergency_accesses" table
CREATE TABLE "emergency_accesses" ("id" character varying NOT NULL, "reason" text NOT NULL, "started_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "ended_at" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, "client_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "emergency_accesses_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "emergency_accesses_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "emergency_accesses_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "emergency_accesses_one_open" to table: "emergency_accesses"
CREATE UNIQUE INDEX "emergency_accesses_one_open" ON "emergency_accesses" ("user_id", "client_id") WHERE (ended_at IS NULL);
-- Create index "emergencyaccess_organization_id" to table: "emergency_accesses"
CREATE INDEX "emergencyaccess_organization_id" ON "emergency_accesses" ("organization_id");
-- Create index "emergencyaccess_user_id_client_id_expires_at" to table: "emergency_accesses"
CREATE INDEX "emergencyaccess_user_id_client_id_expires_at" ON "emergency_accesses" ("user_id", "client_id", "expires_at");
-- Create "homeworks" table
CREATE TABLE "homeworks" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "title" character varying NOT NULL, "instructions" text NOT NULL DEFAULT '', "due_at" timestamptz NULL, "completed_at" timestamptz NULL, "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, "appointment_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "homeworks_appointments_appointment" FOREIGN KEY ("appointment_id") REFERENCES "appointments" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "homeworks_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "homeworks_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "homework_organization_id" to table: "homeworks"
CREATE INDEX "homework_organization_id" ON "homeworks" ("organization_id");
-- Create "invitations" table
CREATE TABLE "invitations" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "email" character varying NOT NULL, "email_normalized" character varying NOT NULL, "token_hash" bytea NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "require_mfa" boolean NOT NULL DEFAULT false, "sign_in_method" character varying NOT NULL DEFAULT 'ANY', "expires_at" timestamptz NOT NULL, "accepted_at" timestamptz NULL, "batch_id" character varying NULL, "organization_id" character varying NOT NULL, "invited_by_id" character varying NULL, "user_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "invitations_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "invitations_users_invited_by" FOREIGN KEY ("invited_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "invitations_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "invitation_one_pending_per_email" to table: "invitations"
CREATE UNIQUE INDEX "invitation_one_pending_per_email" ON "invitations" ("organization_id", "email_normalized") WHERE ((status)::text = 'PENDING'::text);
-- Create index "invitation_organization_id" to table: "invitations"
CREATE INDEX "invitation_organization_id" ON "invitations" ("organization_id");
-- Create index "invitation_organization_id_email_normalized" to table: "invitations"
CREATE INDEX "invitation_organization_id_email_normalized" ON "invitations" ("organization_id", "email_normalized");
-- Create index "invitations_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations" ("token_hash");
-- Create "invitation_business_units" table
CREATE TABLE "invitation_business_units" ("invitation_id" character varying NOT NULL, "business_unit_id" character varying NOT NULL, PRIMARY KEY ("invitation_id", "business_unit_id"), CONSTRAINT "invitation_business_units_business_unit_id" FOREIGN KEY ("business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invitation_business_units_invitation_id" FOREIGN KEY ("invitation_id") REFERENCES "invitations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "invitation_clients" table
CREATE TABLE "invitation_clients" ("invitation_id" character varying NOT NULL, "patient_id" character varying NOT NULL, PRIMARY KEY ("invitation_id", "patient_id"), CONSTRAINT "invitation_clients_invitation_id" FOREIGN KEY ("invitation_id") REFERENCES "invitations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invitation_clients_patient_id" FOREIGN KEY ("patient_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "roles" table
CREATE TABLE "roles" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "description" character varying NOT NULL DEFAULT '', "builtin" character varying NULL, "privileges" jsonb NOT NULL, "external_id" character varying NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "roles_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "role_organization_id" to table: "roles"
CREATE INDEX "role_organization_id" ON "roles" ("organization_id");
-- Create index "role_organization_id_builtin" to table: "roles"
CREATE UNIQUE INDEX "role_organization_id_builtin" ON "roles" ("organization_id", "builtin");
-- Create index "role_organization_id_name" to table: "roles"
CREATE UNIQUE INDEX "role_organization_id_name" ON "roles" ("organization_id", "name");
-- Create "invitation_roles" table
CREATE TABLE "invitation_roles" ("invitation_id" character varying NOT NULL, "role_id" character varying NOT NULL, PRIMARY KEY ("invitation_id", "role_id"), CONSTRAINT "invitation_roles_invitation_id" FOREIGN KEY ("invitation_id") REFERENCES "invitations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invitation_roles_role_id" FOREIGN KEY ("role_id") REFERENCES "roles" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "staff_profiles" table
CREATE TABLE "staff_profiles" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "given_name" character varying NOT NULL, "family_name" character varying NOT NULL, "email" character varying NOT NULL, "phone" character varying NULL, "job_title" character varying NULL, "employee_number" character varying NULL, "status" character varying NOT NULL DEFAULT 'ACTIVE', "organization_id" character varying NOT NULL, "business_unit_id" character varying NULL, "user_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "staff_profiles_business_units_business_unit" FOREIGN KEY ("business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "staff_profiles_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "staff_profiles_users_staff_profile" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "staff_profiles_user_id_key" to table: "staff_profiles"
CREATE UNIQUE INDEX "staff_profiles_user_id_key" ON "staff_profiles" ("user_id");
-- Create index "staffprofile_organization_id" to table: "staff_profiles"
CREATE INDEX "staffprofile_organization_id" ON "staff_profiles" ("organization_id");
-- Create index "staffprofile_organization_id_business_unit_id" to table: "staff_profiles"
CREATE INDEX "staffprofile_organization_id_business_unit_id" ON "staff_profiles" ("organization_id", "business_unit_id");
-- Create "invitation_staff_profiles" table
CREATE TABLE "invitation_staff_profiles" ("invitation_id" character varying NOT NULL, "staff_profile_id" character varying NOT NULL, PRIMARY KEY ("invitation_id", "staff_profile_id"), CONSTRAINT "invitation_staff_profiles_invitation_id" FOREIGN KEY ("invitation_id") REFERENCES "invitations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invitation_staff_profiles_staff_profile_id" FOREIGN KEY ("staff_profile_id") REFERENCES "staff_profiles" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "invoices" table
CREATE TABLE "invoices" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "number" character varying NOT NULL, "amount_cents" bigint NOT NULL, "currency" character varying NOT NULL DEFAULT 'USD', "status" character varying NOT NULL DEFAULT 'DRAFT', "issued_at" timestamptz NULL, "due_at" timestamptz NULL, "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "invoices_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "invoices_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "invoice_organization_id" to table: "invoices"
CREATE INDEX "invoice_organization_id" ON "invoices" ("organization_id");
-- Create index "invoice_organization_id_number" to table: "invoices"
CREATE UNIQUE INDEX "invoice_organization_id_number" ON "invoices" ("organization_id", "number");
-- Create "outbox_messages" table
CREATE TABLE "outbox_messages" ("id" character varying NOT NULL, "kind" character varying NOT NULL, "payload" jsonb NOT NULL, "created_at" timestamptz NOT NULL, "available_at" timestamptz NOT NULL, "attempts" bigint NOT NULL DEFAULT 0, "delivered_at" timestamptz NULL, "last_error" character varying NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "outbox_messages_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "outboxmessage_delivered_at_available_at" to table: "outbox_messages"
CREATE INDEX "outboxmessage_delivered_at_available_at" ON "outbox_messages" ("delivered_at", "available_at");
-- Create index "outboxmessage_organization_id" to table: "outbox_messages"
CREATE INDEX "outboxmessage_organization_id" ON "outbox_messages" ("organization_id");
-- Create "password_credentials" table
CREATE TABLE "password_credentials" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "hash" character varying NOT NULL, "must_change" boolean NOT NULL DEFAULT false, "temporary_expires_at" timestamptz NULL, "changed_at" timestamptz NOT NULL, "failed_attempts" bigint NOT NULL DEFAULT 0, "locked_until" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "password_credentials_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "password_credentials_users_password_credential" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "password_credentials_user_id_key" to table: "password_credentials"
CREATE UNIQUE INDEX "password_credentials_user_id_key" ON "password_credentials" ("user_id");
-- Create index "passwordcredential_organization_id" to table: "password_credentials"
CREATE INDEX "passwordcredential_organization_id" ON "password_credentials" ("organization_id");
-- Create "portal_accesses" table
CREATE TABLE "portal_accesses" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "documents" boolean NOT NULL DEFAULT false, "sessions_homework" boolean NOT NULL DEFAULT false, "billing" boolean NOT NULL DEFAULT false, "surveys" boolean NOT NULL DEFAULT false, "alert_recipient" boolean NOT NULL DEFAULT false, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, "client_id" character varying NOT NULL, "granted_by_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "portal_accesses_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "portal_accesses_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "portal_accesses_users_granted_by" FOREIGN KEY ("granted_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "portal_accesses_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "portal_access_one_alert_recipient" to table: "portal_accesses"
CREATE UNIQUE INDEX "portal_access_one_alert_recipient" ON "portal_accesses" ("client_id") WHERE alert_recipient;
-- Create index "portalaccess_organization_id" to table: "portal_accesses"
CREATE INDEX "portalaccess_organization_id" ON "portal_accesses" ("organization_id");
-- Create index "portalaccess_user_id_client_id" to table: "portal_accesses"
CREATE UNIQUE INDEX "portalaccess_user_id_client_id" ON "portal_accesses" ("user_id", "client_id");
-- Create "recovery_codes" table
CREATE TABLE "recovery_codes" ("id" character varying NOT NULL, "code_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "recovery_codes_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "recovery_codes_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "recoverycode_organization_id" to table: "recovery_codes"
CREATE INDEX "recoverycode_organization_id" ON "recovery_codes" ("organization_id");
-- Create "scim_group_mappings" table
CREATE TABLE "scim_group_mappings" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "display_name" character varying NOT NULL, "external_id" character varying NULL, "target" character varying NOT NULL, "organization_id" character varying NOT NULL, "business_unit_id" character varying NULL, "role_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_group_mappings_business_units_business_unit" FOREIGN KEY ("business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "scim_group_mappings_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "scim_group_mappings_roles_role" FOREIGN KEY ("role_id") REFERENCES "roles" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "scimgroupmapping_organization_id" to table: "scim_group_mappings"
CREATE INDEX "scimgroupmapping_organization_id" ON "scim_group_mappings" ("organization_id");
-- Create index "scimgroupmapping_organization_id_display_name" to table: "scim_group_mappings"
CREATE UNIQUE INDEX "scimgroupmapping_organization_id_display_name" ON "scim_group_mappings" ("organization_id", "display_name");
-- Create index "scimgroupmapping_organization_id_external_id" to table: "scim_group_mappings"
CREATE UNIQUE INDEX "scimgroupmapping_organization_id_external_id" ON "scim_group_mappings" ("organization_id", "external_id");
-- Create "scim_tokens" table
CREATE TABLE "scim_tokens" ("id" character varying NOT NULL, "name" character varying NOT NULL, "token_hash" bytea NOT NULL, "created_by_id" character varying NULL, "created_at" timestamptz NOT NULL, "last_used_at" timestamptz NULL, "expires_at" timestamptz NULL, "revoked_at" timestamptz NULL, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "scim_tokens_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "scim_tokens_token_hash_key" to table: "scim_tokens"
CREATE UNIQUE INDEX "scim_tokens_token_hash_key" ON "scim_tokens" ("token_hash");
-- Create index "scimtoken_organization_id" to table: "scim_tokens"
CREATE INDEX "scimtoken_organization_id" ON "scim_tokens" ("organization_id");
-- Create "subscriptions" table
CREATE TABLE "subscriptions" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "term_start" timestamptz NOT NULL, "term_end" timestamptz NOT NULL, "seat_price_cents" bigint NOT NULL, "currency" character varying NOT NULL DEFAULT 'USD', "seats" bigint NOT NULL DEFAULT 0, "status" character varying NOT NULL DEFAULT 'ACTIVE', "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "subscriptions_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "subscription_organization_id" to table: "subscriptions"
CREATE INDEX "subscription_organization_id" ON "subscriptions" ("organization_id");
-- Create "seat_charges" table
CREATE TABLE "seat_charges" ("id" character varying NOT NULL, "amount_cents" bigint NOT NULL, "days_remaining" bigint NOT NULL, "days_in_term" bigint NOT NULL, "reason" character varying NOT NULL, "charged_at" timestamptz NOT NULL, "organization_id" character varying NOT NULL, "subscription_id" character varying NOT NULL, "user_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "seat_charges_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "seat_charges_subscriptions_subscription" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "seat_charges_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "seatcharge_organization_id" to table: "seat_charges"
CREATE INDEX "seatcharge_organization_id" ON "seat_charges" ("organization_id");
-- Create "session_notes" table
CREATE TABLE "session_notes" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "body" text NOT NULL DEFAULT '', "transcript" text NOT NULL DEFAULT '', "private" boolean NOT NULL DEFAULT false, "organization_id" character varying NOT NULL, "appointment_id" character varying NOT NULL, "author_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "session_notes_appointments_appointment" FOREIGN KEY ("appointment_id") REFERENCES "appointments" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "session_notes_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "session_notes_users_author" FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "sessionnote_organization_id" to table: "session_notes"
CREATE INDEX "sessionnote_organization_id" ON "session_notes" ("organization_id");
-- Create "sessions" table
CREATE TABLE "sessions" ("id" character varying NOT NULL, "token_hash" bytea NOT NULL, "method" character varying NOT NULL, "created_at" timestamptz NOT NULL, "last_seen_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "idle_timeout_seconds" bigint NOT NULL, "mfa_satisfied_at" timestamptz NULL, "password_change_required" boolean NOT NULL DEFAULT false, "ip" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "revoked_at" timestamptz NULL, "revoked_reason" character varying NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "sessions_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "session_organization_id" to table: "sessions"
CREATE INDEX "session_organization_id" ON "sessions" ("organization_id");
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX "session_user_id_revoked_at" ON "sessions" ("user_id", "revoked_at");
-- Create index "sessions_token_hash_key" to table: "sessions"
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions" ("token_hash");
-- Create "sso_connections" table
CREATE TABLE "sso_connections" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL, "issuer" character varying NOT NULL, "client_id" character varying NOT NULL, "client_secret_sealed" bytea NULL, "email_domains" jsonb NULL, "enabled" boolean NOT NULL DEFAULT true, "auto_provision" boolean NOT NULL DEFAULT false, "organization_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sso_connections_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "ssoconnection_organization_id" to table: "sso_connections"
CREATE INDEX "ssoconnection_organization_id" ON "sso_connections" ("organization_id");
-- Create index "ssoconnection_organization_id_issuer" to table: "sso_connections"
CREATE UNIQUE INDEX "ssoconnection_organization_id_issuer" ON "sso_connections" ("organization_id", "issuer");
-- Create "staff_profile_accesses" table
CREATE TABLE "staff_profile_accesses" ("id" character varying NOT NULL, "granted_at" timestamptz NOT NULL, "expires_at" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, "staff_profile_id" character varying NOT NULL, "granted_by_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "staff_profile_accesses_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "staff_profile_accesses_staff_profiles_staff_profile" FOREIGN KEY ("staff_profile_id") REFERENCES "staff_profiles" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "staff_profile_accesses_users_granted_by" FOREIGN KEY ("granted_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "staff_profile_accesses_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "staffprofileaccess_organization_id" to table: "staff_profile_accesses"
CREATE INDEX "staffprofileaccess_organization_id" ON "staff_profile_accesses" ("organization_id");
-- Create index "staffprofileaccess_staff_profile_id" to table: "staff_profile_accesses"
CREATE INDEX "staffprofileaccess_staff_profile_id" ON "staff_profile_accesses" ("staff_profile_id");
-- Create index "staffprofileaccess_user_id_staff_profile_id" to table: "staff_profile_accesses"
CREATE UNIQUE INDEX "staffprofileaccess_user_id_staff_profile_id" ON "staff_profile_accesses" ("user_id", "staff_profile_id");
-- Create "survey_responses" table
CREATE TABLE "survey_responses" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "survey_name" character varying NOT NULL, "answers" jsonb NULL, "submitted_at" timestamptz NOT NULL, "organization_id" character varying NOT NULL, "client_id" character varying NOT NULL, "submitted_by_id" character varying NULL, PRIMARY KEY ("id"), CONSTRAINT "survey_responses_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "survey_responses_patients_client" FOREIGN KEY ("client_id") REFERENCES "patients" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "survey_responses_users_submitted_by" FOREIGN KEY ("submitted_by_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE SET NULL);
-- Create index "surveyresponse_organization_id" to table: "survey_responses"
CREATE INDEX "surveyresponse_organization_id" ON "survey_responses" ("organization_id");
-- Create "totp_factors" table
CREATE TABLE "totp_factors" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL DEFAULT 'Authenticator app', "secret_sealed" bytea NOT NULL, "confirmed_at" timestamptz NULL, "last_used_step" bigint NOT NULL DEFAULT 0, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "totp_factors_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "totp_factors_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "totpfactor_organization_id" to table: "totp_factors"
CREATE INDEX "totpfactor_organization_id" ON "totp_factors" ("organization_id");
-- Create "user_business_units" table
CREATE TABLE "user_business_units" ("user_id" character varying NOT NULL, "business_unit_id" character varying NOT NULL, PRIMARY KEY ("user_id", "business_unit_id"), CONSTRAINT "user_business_units_business_unit_id" FOREIGN KEY ("business_unit_id") REFERENCES "business_units" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "user_business_units_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create "user_roles" table
CREATE TABLE "user_roles" ("user_id" character varying NOT NULL, "role_id" character varying NOT NULL, PRIMARY KEY ("user_id", "role_id"), CONSTRAINT "user_roles_role_id" FOREIGN KEY ("role_id") REFERENCES "roles" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "user_roles_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
