-- Create "web_authn_challenges" table
CREATE TABLE "web_authn_challenges" ("id" character varying NOT NULL, "session_id" character varying NOT NULL, "purpose" character varying NOT NULL, "challenge_hash" bytea NOT NULL, "session_data" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "organization_id" character varying NOT NULL, "user_id" character varying NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "web_authn_challenges_organizations_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "web_authn_challenges_users_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "web_authn_challenges_challenge_hash_key" to table: "web_authn_challenges"
CREATE UNIQUE INDEX "web_authn_challenges_challenge_hash_key" ON "web_authn_challenges" ("challenge_hash");
-- Create index "webauthnchallenge_organization_id" to table: "web_authn_challenges"
CREATE INDEX "webauthnchallenge_organization_id" ON "web_authn_challenges" ("organization_id");
-- Create index "webauthnchallenge_session_id" to table: "web_authn_challenges"
CREATE INDEX "webauthnchallenge_session_id" ON "web_authn_challenges" ("session_id");
