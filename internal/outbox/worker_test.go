package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/outboxmessage"
	"github.com/clinicgate/clinicgate/ent/privacy"
	"github.com/clinicgate/clinicgate/ent/role"
	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/clock"
	"github.com/clinicgate/clinicgate/internal/mail"
	"github.com/clinicgate/clinicgate/internal/mail/mailtest"
	"github.com/clinicgate/clinicgate/internal/outbox"
	"github.com/clinicgate/clinicgate/internal/store"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var start = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

const secretText = "your link: https://clinic.test/auth/invite?token=SECRET-TOKEN-123"

func newOrg(t *testing.T, c *ent.Client, slug string) pulid.ID {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	return c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx).ID
}

func enqueue(t *testing.T, c *ent.Client, clk clock.Clock, org pulid.ID, kind string, ref map[string]any) *ent.OutboxMessage {
	t.Helper()
	ctx := clock.NewContext(viewer.ForSystem(context.Background(), org), clk)
	m, err := outbox.Enqueue(ctx, c, outbox.Message{Kind: kind, Org: org, Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// minting is a renderer like an invitation's: it writes a row (here a role
// named after the message, standing for a minted token's hash) in the
// worker's transaction, and mails the address in the message's ref.
func minting(t *testing.T) outbox.Renderer {
	return outbox.RendererFunc(func(ctx context.Context, tx *ent.Client, m *ent.OutboxMessage) (mail.Message, error) {
		v := viewer.FromContext(ctx)
		if v == nil || v.Kind != viewer.System || v.OrgID != m.OrganizationID {
			t.Errorf("renderer runs as %+v, want the server of %s", v, m.OrganizationID)
		}
		if _, err := tx.Role.Create().SetOrganizationID(m.OrganizationID).SetName("minted " + string(m.ID)).Save(ctx); err != nil {
			return mail.Message{}, err
		}
		to, _ := m.Payload["to"].(string)
		return mail.Message{To: to, Subject: "Invitation", Text: secretText}, nil
	})
}

func minted(t *testing.T, c *ent.Client, m *ent.OutboxMessage) int {
	t.Helper()
	ctx := viewer.ForSystem(context.Background(), m.OrganizationID)
	return c.Role.Query().Where(role.Name("minted " + string(m.ID))).CountX(ctx)
}

func reload(t *testing.T, c *ent.Client, m *ent.OutboxMessage) *ent.OutboxMessage {
	t.Helper()
	return c.OutboxMessage.GetX(viewer.ForSystem(context.Background(), m.OrganizationID), m.ID)
}

func smtpSender(t *testing.T, s *mailtest.Server) mail.Sender {
	t.Helper()
	snd, err := mail.NewSMTP(mail.SMTPConfig{Host: s.Host, Port: s.Port, TLS: mail.NoTLS,
		From: "Clinicgate <no-reply@clinic.test>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

func runOnce(t *testing.T, w *outbox.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWorkerDeliversByEmailAndCommitsTheRenderersWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "relay", Password: "pw"})
		snd, err := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, Username: "relay", Password: "pw",
			From: "no-reply@clinic.test", TLSConfig: srv.ClientTLS, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "invitation", map[string]any{"to": "ana@example.org"})
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, snd, clk, nil, outbox.Options{})

		if n := runOnce(t, w); n != 1 {
			t.Fatalf("handled %d, want 1", n)
		}
		got := srv.Messages()
		if len(got) != 1 || got[0].To[0] != "ana@example.org" || !got[0].TLS || got[0].Username != "relay" {
			t.Fatalf("received %+v", got)
		}
		if !strings.Contains(string(got[0].Data), "SECRET-TOKEN-123") {
			t.Errorf("the body did not arrive:\n%s", got[0].Data)
		}
		row := reload(t, db.Client, m)
		if row.DeliveredAt == nil || !row.DeliveredAt.Equal(start) || row.Attempts != 0 || row.DeadAt != nil {
			t.Errorf("row after delivery: %+v", row)
		}
		if row.Recipient != "ana@example.org" {
			t.Errorf("recipient %q", row.Recipient)
		}
		if n := minted(t, db.Client, m); n != 1 {
			t.Errorf("renderer's write committed %d times, want 1", n)
		}
		if n := runOnce(t, w); n != 0 || len(srv.Messages()) != 1 {
			t.Errorf("a delivered message went again (%d handled)", n)
		}
	})
}

func TestWorkerRetriesWithGrowingBackoffAndDeliversOnceTheServerRecovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		srv.Fail(451)
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "invitation", map[string]any{"to": "ana@example.org"})
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, smtpSender(t, srv), clk, nil,
			outbox.Options{MaxAttempts: 10, BackoffBase: time.Minute, BackoffCap: 10 * time.Minute})

		var waits []time.Duration
		for attempt := 1; attempt <= 5; attempt++ {
			if n := runOnce(t, w); n != 1 {
				t.Fatalf("attempt %d: handled %d", attempt, n)
			}
			row := reload(t, db.Client, m)
			if row.Attempts != attempt || row.DeliveredAt != nil || row.DeadAt != nil {
				t.Fatalf("attempt %d: row %+v", attempt, row)
			}
			if row.LastError == "" || strings.Contains(row.LastError, "SECRET") {
				t.Errorf("attempt %d: last error %q (must say why, never the text)", attempt, row.LastError)
			}
			if n := minted(t, db.Client, m); n != 0 {
				t.Fatalf("attempt %d: the renderer's write survived a failed send", attempt)
			}
			wait := row.AvailableAt.Sub(clk.Now())
			full := min(time.Minute<<(attempt-1), 10*time.Minute)
			if wait < full/2 || wait > full {
				t.Errorf("attempt %d: next try in %v, want within [%v, %v]", attempt, wait, full/2, full)
			}
			waits = append(waits, wait)
			if n := runOnce(t, w); n != 0 {
				t.Fatalf("attempt %d: retried before its time", attempt)
			}
			clk.Set(row.AvailableAt)
		}
		if waits[3] <= waits[0] {
			t.Errorf("backoff did not grow: %v", waits)
		}
		srv.Fail(0)
		if n := runOnce(t, w); n != 1 {
			t.Fatalf("after recovery: handled %d", n)
		}
		row := reload(t, db.Client, m)
		if row.DeliveredAt == nil || row.Attempts != 5 {
			t.Errorf("after recovery: %+v", row)
		}
		if len(srv.Messages()) != 1 || srv.Attempts() != 6 {
			t.Errorf("received %d of %d offered, want 1 of 6", len(srv.Messages()), srv.Attempts())
		}
		if n := minted(t, db.Client, m); n != 1 {
			t.Errorf("renderer's write committed %d times, want 1", n)
		}
	})
}

func TestWorkerGivesUpAfterMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		snd := smtpSender(t, srv)
		srv.Close() // connections refused
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "invitation", map[string]any{"to": "ana@example.org"})
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, snd, clk, nil,
			outbox.Options{MaxAttempts: 3, BackoffBase: time.Second, BackoffCap: time.Minute})
		for i := 0; i < 3; i++ {
			if n := runOnce(t, w); n != 1 {
				t.Fatalf("try %d: handled %d", i+1, n)
			}
			clk.Advance(time.Hour)
		}
		row := reload(t, db.Client, m)
		if row.DeadAt == nil || row.Attempts != 3 || row.DeliveredAt != nil || row.LastError == "" {
			t.Fatalf("row after max attempts: %+v", row)
		}
		clk.Advance(24 * time.Hour)
		if n := runOnce(t, w); n != 0 {
			t.Errorf("a dead message was tried again")
		}
	})
}

func TestWorkerKillsAMessageOfUnknownKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "carrier_pigeon", nil)
		w := outbox.NewWorker(db.Client, nil, smtpSender(t, srv), clk, nil, outbox.Options{})
		if n := runOnce(t, w); n != 1 {
			t.Fatalf("handled %d", n)
		}
		row := reload(t, db.Client, m)
		if row.DeadAt == nil || !strings.Contains(row.LastError, `no renderer for kind "carrier_pigeon"`) {
			t.Errorf("row %+v", row)
		}
		if srv.Attempts() != 0 {
			t.Error("something was sent")
		}
	})
}

func TestWorkerDropsAnObsoleteMessageWithoutSending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "invitation", nil)
		obsolete := outbox.RendererFunc(func(context.Context, *ent.Client, *ent.OutboxMessage) (mail.Message, error) {
			return mail.Message{}, fmt.Errorf("invitation revoked: %w", outbox.ErrObsolete)
		})
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": obsolete}, smtpSender(t, srv), clk, nil, outbox.Options{})
		if n := runOnce(t, w); n != 1 {
			t.Fatalf("handled %d", n)
		}
		row := reload(t, db.Client, m)
		if row.DeliveredAt == nil || row.DeadAt != nil || row.Attempts != 0 {
			t.Errorf("row %+v", row)
		}
		if srv.Attempts() != 0 {
			t.Error("an obsolete message was sent")
		}
	})
}

func TestWorkerRetriesWhenTheRendererFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		m := enqueue(t, db.Client, clk, org, "invitation", nil)
		broken := outbox.RendererFunc(func(context.Context, *ent.Client, *ent.OutboxMessage) (mail.Message, error) {
			return mail.Message{}, errors.New("template missing")
		})
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": broken}, smtpSender(t, srv), clk, nil, outbox.Options{})
		runOnce(t, w)
		row := reload(t, db.Client, m)
		if row.Attempts != 1 || row.DeliveredAt != nil || !strings.Contains(row.LastError, "template missing") {
			t.Errorf("row %+v", row)
		}
	})
}

func TestTwoWorkersNeverDeliverOneMessageTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		const total = 50
		var ms []outbox.Message
		for i := range total {
			ms = append(ms, outbox.Message{Kind: "invitation", Org: org, Ref: map[string]any{"to": fmt.Sprintf("u%d@example.org", i)}})
		}
		ctx := clock.NewContext(viewer.ForSystem(context.Background(), org), clk)
		if err := outbox.EnqueueBulk(ctx, db.Client, ms); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i := range counts {
			w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, smtpSender(t, srv), clk, nil,
				outbox.Options{BatchSize: 5})
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		got := srv.Messages()
		seen := map[string]int{}
		for _, r := range got {
			seen[r.To[0]]++
		}
		if len(got) != total || len(seen) != total {
			t.Errorf("%d deliveries to %d addresses, want %d each (workers handled %v)", len(got), len(seen), total, counts)
		}
		for to, n := range seen {
			if n != 1 {
				t.Errorf("%s got %d mails", to, n)
			}
		}
		left := db.Client.OutboxMessage.Query().Where(outboxmessage.DeliveredAtIsNil()).
			CountX(viewer.ForSystem(context.Background(), org))
		if left != 0 {
			t.Errorf("%d messages left undelivered", left)
		}
		t.Logf("workers handled %v", counts)
	})
}

func TestRunningWorkerDeliversOnWakeAndStopsWithItsContext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, smtpSender(t, srv), clk, nil,
			outbox.Options{PollInterval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()

		enqueue(t, db.Client, clk, org, "invitation", map[string]any{"to": "ana@example.org"})
		w.Wake()
		deadline := time.Now().Add(10 * time.Second)
		for len(srv.Messages()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if len(srv.Messages()) != 1 {
			t.Errorf("woken worker delivered %d messages, want 1 (the poll is an hour away)", len(srv.Messages()))
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

func TestWakeHookWakesTheWorkerWhenTheEnqueuingTransactionCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.NewFake(start)
		srv := mailtest.Start(t, mailtest.Options{})
		org := newOrg(t, db.Client, "north")
		w := outbox.NewWorker(db.Client, map[string]outbox.Renderer{"invitation": minting(t)}, smtpSender(t, srv), clk, nil,
			outbox.Options{PollInterval: time.Hour})
		woken := make(chan struct{}, 10)
		db.Client.OutboxMessage.Use(outbox.WakeHook(func() { woken <- struct{}{}; w.Wake() }))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		sys := clock.NewContext(viewer.ForSystem(context.Background(), org), clk)
		// A rolled-back enqueue wakes nobody.
		tx, err := db.Client.Tx(sys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.Enqueue(sys, tx.Client(), outbox.Message{Kind: "invitation", Org: org, Ref: map[string]any{"to": "no@example.org"}}); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		tx, err = db.Client.Tx(sys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.Enqueue(sys, tx.Client(), outbox.Message{Kind: "invitation", Org: org, Ref: map[string]any{"to": "ana@example.org"}}); err != nil {
			t.Fatal(err)
		}
		if len(woken) != 0 {
			t.Fatal("woken before the commit")
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if len(woken) != 1 {
			t.Fatalf("woken %d times by one commit", len(woken))
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(srv.Messages()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "ana@example.org" {
			t.Errorf("received %+v, want the committed message only", got)
		}
	})
}
