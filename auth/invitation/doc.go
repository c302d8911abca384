// Package invitation serves the anonymous end of an invitation: the
// invitee opens the emailed link and the frontend posts its token with
// the chosen password to POST /auth/invitation/accept. The flow itself
// (checks, the one transaction that creates the member, the audit event)
// is internal/invite.Accept; this package decodes, guards and encodes.
//
//	POST /auth/invitation/accept  {"token": "...", "password": "..."}
//	200 {"user": {"id": "usr_...", "email": "..."}, "organization": "org_..."}
//
// No session is started: the new member signs in next (POST /auth/login),
// so that MFA enrolment, when required, happens in the ordinary sign-in
// flow. Refusals are {"error": {"code", "message"}} with these codes:
//
//	invalid_request        400  malformed body
//	weak_password          400  the password policy refused it ("policy" says why)
//	invalid_invitation     404  no invitation has this token (or a newer link was sent)
//	invitation_expired     410
//	invitation_revoked     410
//	invitation_used        410  already accepted
//	sso_required           409  the invitation requires single sign-on (accepted there)
//	already_member         409  the address became a member meanwhile
//	forbidden_origin       403  a cross-site POST
//	unsupported_media_type 415
package invitation
