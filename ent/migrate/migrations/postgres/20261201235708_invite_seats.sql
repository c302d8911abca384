-- Modify "invitations" table
ALTER TABLE "invitations" ADD COLUMN "delivery_seq" bigint NOT NULL DEFAULT 0;
-- Modify "seat_charges" table
ALTER TABLE "seat_charges" ADD COLUMN "invitation_id" character varying NULL;
