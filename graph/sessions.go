package graph

import (
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/sessions"
)

// Translations between the session GraphQL types and internal/sessions.

func revokedSessionPayload(id pulid.ID, err error) (*RevokeSessionPayload, error) {
	if err != nil {
		return nil, err
	}
	return &RevokeSessionPayload{RevokedID: id}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func device(ua string) sessions.Device { return sessions.Describe(ua) }
