package login_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clinicgate/clinicgate/auth/login"
	"github.com/clinicgate/clinicgate/auth/password"
	"github.com/clinicgate/clinicgate/auth/session"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// BenchmarkPasswordSignIn is a whole password sign-in over HTTP on
// PostgreSQL at the argon2id parameters the server ships with
// (password.DefaultParams): throttle, lookup, verification, session and
// audit event. Its time is almost all argon2id's.
func BenchmarkPasswordSignIn(b *testing.B) {
	db := storetest.Open(b, "postgres")
	ctx := allow()
	o := db.Organization.Create().SetName("Bench clinic").SetSlug("bench").SaveX(ctx)
	u := db.User.Create().SetOrganizationID(o.ID).SetEmail("dr@bench.example").SetStatus(user.StatusActive).SaveX(ctx)
	const pw = "correct horse battery staple"
	h, err := password.Hasher{}.Hash(pw)
	if err != nil {
		b.Fatal(err)
	}
	db.PasswordCredential.Create().SetOrganizationID(o.ID).SetUserID(u.ID).SetHash(h).ExecX(ctx)
	sessions := session.New(db.Client, session.Config{})
	handler := login.NewHandler(db.Client, sessions, login.Config{
		Hasher: password.Hasher{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AttemptsPerMinute: 1 << 20, AttemptsBurst: 1 << 20,
	})
	mux := http.NewServeMux()
	handler.Routes(mux)
	srv := httptest.NewServer(sessions.Middleware(mux))
	defer srv.Close()
	body, _ := json.Marshal(map[string]string{"organization": "bench", "email": "dr@bench.example", "password": pw})
	b.Logf("argon2id %+v", password.DefaultParams)
	for b.Loop() {
		res, err := http.Post(srv.URL+login.RouteLogin, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("sign-in: %d", res.StatusCode)
		}
	}
}
