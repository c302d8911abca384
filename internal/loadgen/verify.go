package loadgen

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Verification is what the database held after the run, against what the
// server acknowledged.
type Verification struct {
	// Checked counts the acknowledged writes checked, by kind.
	Checked map[string]int
	// Lost describes every acknowledged write that is not in the database
	// (or refused write that is), one line each.
	Lost []string
	// Unknown counts writes whose answer never came (transport errors):
	// they are allowed either way.
	Unknown int
}

func (v Verification) write(w io.Writer) {
	var kinds []string
	for k, n := range v.Checked {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "verified after the run: %s; unknown outcome %d; lost %d\n", strings.Join(kinds, ", "), v.Unknown, len(v.Lost))
	for i, l := range v.Lost {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more\n", len(v.Lost)-i)
			break
		}
		fmt.Fprintf(w, "  LOST: %s\n", l)
	}
}

// verify reads the database and compares it with every worker's
// acknowledged writes, and the sessions of the setup.
func (l *load) verify(ctx context.Context, workers []*worker) (Verification, error) {
	v := Verification{Checked: map[string]int{}}
	lost := func(format string, args ...any) { v.Lost = append(v.Lost, fmt.Sprintf(format, args...)) }

	// Links: granted and not revoked exist; revoked do not.
	var gu, gc, ru, rc []string
	for _, w := range workers {
		for p, granted := range w.links {
			if w.unknownLinks[p] {
				continue
			}
			if granted {
				gu, gc = append(gu, p.user), append(gc, p.client)
			} else {
				ru, rc = append(ru, p.user), append(rc, p.client)
			}
		}
		v.Unknown += len(w.unknownLinks)
	}
	count := func(q string, args ...any) (int, error) {
		var n int
		err := l.db.QueryRowContext(ctx, q, args...).Scan(&n)
		return n, err
	}
	const linkCount = `SELECT COUNT(*) FROM client_accesses ca JOIN unnest($1::text[], $2::text[]) AS p(u, c)
		ON ca.user_id = p.u AND ca.client_id = p.c WHERE ca.organization_id = $3`
	n, err := count(linkCount, gu, gc, l.fx.orgID)
	if err != nil {
		return v, err
	}
	if n != len(gu) {
		lost("client links granted and not revoked: %d acknowledged, %d in the database", len(gu), n)
	}
	v.Checked["links granted"] = len(gu)
	if n, err = count(linkCount, ru, rc, l.fx.orgID); err != nil {
		return v, err
	}
	if n != 0 {
		lost("client links revoked: %d acknowledged revocations, %d links still in the database", len(ru), n)
	}
	v.Checked["links revoked"] = len(ru)

	// Contacts.
	var contacts []string
	for _, w := range workers {
		contacts = append(contacts, w.contacts...)
	}
	if n, err = count(`SELECT COUNT(*) FROM client_contacts WHERE id = ANY($1) AND organization_id = $2`, contacts, l.fx.orgID); err != nil {
		return v, err
	}
	if n != len(contacts) {
		lost("client contacts: %d acknowledged, %d in the database", len(contacts), n)
	}
	v.Checked["contacts"] = len(contacts)

	// SCIM users: every acknowledged id exists with its userName, and the
	// rows of this run number the acknowledged ones (plus at most those
	// whose answer never came).
	var sids, snames []string
	unknownUsers := 0
	for _, w := range workers {
		for _, a := range w.scimUsers {
			sids, snames = append(sids, a.id), append(snames, a.userName)
		}
		unknownUsers += w.scimUnknown
	}
	v.Unknown += unknownUsers
	if n, err = count(`SELECT COUNT(*) FROM users u JOIN unnest($1::text[], $2::text[]) AS a(id, name)
		ON u.id = a.id AND COALESCE(u.scim_user_name_normalized, u.email_normalized) = a.name WHERE u.organization_id = $3 AND u.status = 'ACTIVE'`,
		sids, snames, l.fx.orgID); err != nil {
		return v, err
	}
	if n != len(sids) {
		lost("SCIM users: %d acknowledged, %d found by id and userName", len(sids), n)
	}
	var rows int
	if rows, err = count(`SELECT COUNT(*) FROM users WHERE organization_id = $1 AND email_normalized LIKE $2`,
		l.fx.orgID, "load-"+l.runID+"-%"); err != nil {
		return v, err
	}
	if rows < len(sids) || rows > len(sids)+unknownUsers {
		lost("SCIM users: %d rows of this run, %d acknowledged (+%d unknown)", rows, len(sids), unknownUsers)
	}
	v.Checked["scim users"] = len(sids)

	// SCIM groups: each worker's group has exactly the members it was
	// told it has, give or take the members of unanswered changes.
	groups, members := 0, 0
	for _, w := range workers {
		rs, err := l.db.QueryContext(ctx, `SELECT user_id FROM scim_group_members WHERE group_id = $1`, w.group)
		if err != nil {
			return v, err
		}
		got := map[string]bool{}
		for rs.Next() {
			var u string
			if err := rs.Scan(&u); err != nil {
				rs.Close()
				return v, err
			}
			got[u] = true
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return v, err
		}
		for u := range w.members {
			if !got[u] {
				lost("SCIM group %s: member %s acknowledged, not in the database", w.group, u)
			}
		}
		for u := range got {
			if !w.members[u] && !w.memberUnsure[u] {
				lost("SCIM group %s: member %s in the database, its removal acknowledged", w.group, u)
			}
		}
		v.Unknown += len(w.memberUnsure)
		groups++
		members += len(w.members)
	}
	if n, err = count(`SELECT COUNT(*) FROM scim_group_mappings WHERE id = ANY($1) AND organization_id = $2`, l.groups, l.fx.orgID); err != nil {
		return v, err
	}
	if n != len(l.groups) {
		lost("SCIM groups: %d created, %d in the database", len(l.groups), n)
	}
	v.Checked["scim groups"] = groups
	v.Checked["scim group members"] = members

	// Sessions: every acknowledged sign-in is a live session; those that
	// passed MFA say so.
	all := append([]ackSession(nil), l.setupSessions...)
	for _, w := range workers {
		all = append(all, w.sessions...)
	}
	var hashes, mfaHashes [][]byte
	for _, s := range all {
		hashes = append(hashes, tokenHash(s.token))
		if s.mfa {
			mfaHashes = append(mfaHashes, tokenHash(s.token))
		}
	}
	if n, err = count(`SELECT COUNT(*) FROM sessions WHERE token_hash = ANY($1) AND revoked_at IS NULL`, hashes); err != nil {
		return v, err
	}
	if n != len(hashes) {
		lost("sessions: %d sign-ins acknowledged, %d live sessions", len(hashes), n)
	}
	if n, err = count(`SELECT COUNT(*) FROM sessions WHERE token_hash = ANY($1) AND mfa_satisfied_at IS NOT NULL`, mfaHashes); err != nil {
		return v, err
	}
	if n != len(mfaHashes) {
		lost("sessions: %d MFA verifications acknowledged, %d sessions that passed MFA", len(mfaHashes), n)
	}
	v.Checked["sessions"] = len(hashes)
	v.Checked["sessions with MFA"] = len(mfaHashes)
	return v, nil
}
