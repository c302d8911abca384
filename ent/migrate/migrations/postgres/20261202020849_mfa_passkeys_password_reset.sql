-- Create "password_reset_tokens" table
CREATE TABLE "password_reset_tokens" ("id" character varying NOT NULL, "token_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "ip" character varying NOT NULL DEFAULT '', "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "password_reset_tokens_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "password_reset_tokens_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "password_reset_tokens_token_hash_key" to table: "password_reset_tokens"
CREATE UNIQUE INDEX "password_reset_tokens_token_hash_key" ON "password_reset_tokens" ("token_hash");
-- Create index "passwordresettoken_organization_id" to table: "password_reset_tokens"
CREATE INDEX "passwordresettoken_organization_id" ON "password_reset_tokens" ("organization_id");
-- Create "web_authn_credentials" table
CREATE TABLE "web_authn_credentials" ("id" character varying NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "name" character varying NOT NULL DEFAULT 'Security key', "credential_id" bytea NOT NULL, "public_key" bytea NOT NULL, "attestation_type" character varying NOT NULL DEFAULT 'none', "aaguid" bytea NULL, "sign_count" bigint NOT NULL DEFAULT 0, "transports" jsonb NULL, "backup_eligible" boolean NOT NULL DEFAULT false, "backup_state" boolean NOT NULL DEFAULT false, "user_verified" boolean NOT NULL DEFAULT false, "last_used_at" timestamptz NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "web_authn_credentials_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "web_authn_credentials_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "web_authn_credentials_credential_id_key" to table: "web_authn_credentials"
CREATE UNIQUE INDEX "web_authn_credentials_credential_id_key" ON "web_authn_credentials" ("credential_id");
-- Create index "webauthncredential_organization_id" to table: "web_authn_credentials"
CREATE INDEX "webauthncredential_organization_id" ON "web_authn_credentials" ("organization_id");
-- Create index "webauthncredential_user_id" to table: "web_authn_credentials"
CREATE INDEX "webauthncredential_user_id" ON "web_authn_credentials" ("user_id");
