package audit

import "context"

// NoteRead records that the viewer read part of a client record (record is
// CLIENT_PROFILE, SESSION_NOTE or DOCUMENT; obj the row). Reads are
// collected per request and written once; see WithReads.
func NoteRead(ctx context.Context, record string, obj any) {
	// Placeholder until the per-request collector lands.
	_ = ctx
	_ = record
	_ = obj
}
