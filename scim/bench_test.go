package scim_test

// Benchmarks of the SCIM Users resource on PostgreSQL, through HTTP with a
// real token:
//
//	go test -run '^$' -bench 'SCIM' -benchtime 2000x ./scim/
//
// BenchmarkSCIMProvisionUsers posts one user per operation (no password)
// and reports users/s. BenchmarkSCIMFilterUserNameEq answers
// filter=userName eq "…" at SCIM_BENCH_USERS users (default 10,000;
// 100000 for the figure), loaded with CreateBulk, and reports the
// median latency (p50-ms).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/clinicgate/clinicgate/ent"
	"github.com/clinicgate/clinicgate/ent/user"
	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

func BenchmarkSCIMProvisionUsers(b *testing.B) {
	db := storetest.Open(b, "postgres")
	_, newIdP := server(b, db.Client)
	p := newIdP("bench-provision")
	i := 0
	start := time.Now()
	for b.Loop() {
		r := p.do("POST", "/Users", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName":   fmt.Sprintf("user%d@bench.example", i),
			"externalId": fmt.Sprintf("ext-%d", i),
			"name":       map[string]any{"givenName": "Given", "familyName": fmt.Sprint("Family", i)},
			"active":     true,
		})
		if r.status != 201 {
			b.Fatalf("create %d: %d %v", i, r.status, r.body)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "users/s")
}

func BenchmarkSCIMFilterUserNameEq(b *testing.B) {
	n := 10000
	if s := os.Getenv("SCIM_BENCH_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	db := storetest.Open(b, "postgres")
	c := db.Client
	_, newIdP := server(b, c)
	p := newIdP("bench-filter")
	for from := 0; from < n; from += 1000 {
		batch := make([]*ent.UserCreate, 0, 1000)
		for i := from; i < min(from+1000, n); i++ {
			batch = append(batch, c.User.Create().SetOrganizationID(p.org).SetStatus(user.StatusActive).
				SetEmail(fmt.Sprintf("user%d@bench.example", i)).SetExternalID(fmt.Sprint("ext-", i)).
				SetGivenName("Given").SetFamilyName(fmt.Sprint("Family", i)))
		}
		c.User.CreateBulk(batch...).ExecX(allow())
	}
	var lat []time.Duration
	for b.Loop() {
		name := fmt.Sprintf("USER%d@bench.example", rand.IntN(n))
		t0 := time.Now()
		r := p.do("GET", q(`userName eq "`+name+`"`), nil)
		lat = append(lat, time.Since(t0))
		if r.status != 200 || total(r) != 1 {
			b.Fatalf("%s: %d %v", name, r.status, r.body)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(n), "users")
}
