-- Create "web_authn_challenges" table
CREATE TABLE `web_authn_challenges` (`id` text NOT NULL, `session_id` text NOT NULL, `purpose` text NOT NULL, `challenge_hash` blob NOT NULL, `session_data` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `organization_id` text NOT NULL, `user_id` text NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `web_authn_challenges_organizations_organization` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `web_authn_challenges_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "web_authn_challenges_challenge_hash_key" to table: "web_authn_challenges"
CREATE UNIQUE INDEX `web_authn_challenges_challenge_hash_key` ON `web_authn_challenges` (`challenge_hash`);
-- Create index "webauthnchallenge_organization_id" to table: "web_authn_challenges"
CREATE INDEX `webauthnchallenge_organization_id` ON `web_authn_challenges` (`organization_id`);
-- Create index "webauthnchallenge_session_id" to table: "web_authn_challenges"
CREATE INDEX `webauthnchallenge_session_id` ON `web_authn_challenges` (`session_id`);
