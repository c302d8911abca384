package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestWriteResponseWritesWhatJSONMarshalWrites(t *testing.T) {
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: []byte(`{"clients":{"edges":[{"node":{"id":"cli_1","givenName":"Ada Lovelace"}}]}}`)},
		{Data: []byte(`{"a":"<script>"}`)},
		{Data: []byte(`{"a":"Tom & Jerry"}`)},
		{Data: []byte(`{"a":"x > y"}`)},
		{Data: []byte("{\"a\":\"line\u2028sep\",\"b\":\"para\u2029\"}")},
		{Data: []byte("{\"a\":\"\u20ac \u2027 \u202a\"}")},
		{Data: []byte(`{"a":"quote \" and \\ and \u003c"}`)},
		{Data: []byte(`{"a": 1}`)},
		{Data: []byte(`{"a" :1}`)},
		{Data: []byte(`{"a":"x\\"}`)},
		{Data: []byte(`{"a":"x\\" }`)},
		{Data: []byte(`{"a":["x","<"]}`)},
		{Data: []byte("{\"a\":\"\u2028\"}")},
		{Data: []byte("{\"m\":{\"a\":1}\n}")},
		{Data: []byte(`{"m":{"a":"tab\there"}}`)},
		{Data: []byte(`null`)},
		{Data: []byte(`{}`)},
		{},
		{Errors: gqlerror.List{{Message: "no <b>", Extensions: map[string]any{"code": "FORBIDDEN"}}}, Data: []byte(`{"a":null}`)},
		{Data: []byte(`{"a":1}`), Extensions: map[string]any{"requestId": "r-1"}},
		{Data: []byte(`{"a":1}`), Label: "l", HasNext: &yes},
	} {
		writesAsMarshal(t, resp)
	}
}

// The handler's transport answers every request as gqlgen's POST does:
// status, content type and body, for every kind of Accept header and for
// operations that run and that cannot start.
func TestPostAnswersAsGqlgensPOST(t *testing.T) {
	serve := func(tr graphql.Transport, body, accept string) *httptest.ResponseRecorder {
		srv := testserver.New()
		srv.AddTransport(tr)
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	bodies := []string{
		`{"query":"{ name }"}`,
		`{"query":"query Q { name }","operationName":"Q","variables":{"n":1.50}}`,
		`{"query":"{ name "}`,
		`{"query":"{ nope }"}`,
		`{"query":"query A { name } query B { name }"}`,
		`{"query":""}`,
	}
	accepts := []string{"", "*/*", "application/*", "application/json", "application/graphql-response+json",
		"application/graphql-response+json, application/json", "text/html", "text/html, application/json;q=0.9", "bad;;"}
	for _, body := range bodies {
		for _, accept := range accepts {
			want, got := serve(transport.POST{}, body, accept), serve(post{}, body, accept)
			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
				got.Body.String() != want.Body.String() {
				t.Errorf("%s with Accept %q:\ngot  %d %s %s\nwant %d %s %s", body, accept,
					got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
			}
		}
	}
}

// A page of 50 clients with names, as the load generator reads it:
// writeResponse against the json.Marshal gqlgen's transport calls.
func BenchmarkWriteResponsePageOf50(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"clients":{"edges":[`)
	for i := range 50 {
		if i > 0 {
			data.WriteByte(',')
		}
		data.WriteString(`{"cursor":"gaFpuWNsaV8wMUs4WjFBV0pWSDdaNzFCM05TSFEyQVZKUQ","node":{"id":"cli_01K8Z1AWJVH7Z71B3NSHQ2AVJQ","givenName":"Ada","familyName":"Lovelace-Byron","status":"ACTIVE"}}`)
	}
	data.WriteString(`]}}`)
	resp := &graphql.Response{Data: data.Bytes()}
	b.Run("writeResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResponse(io.Discard, resp)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, _ := json.Marshal(resp)
			io.Discard.Write(out)
		}
	})
}

// Whatever valid JSON the executor hands it, writeResponse writes what
// json.Marshal writes.
func FuzzWriteResponse(f *testing.F) {
	for _, seed := range []string{`{"a":"<b> & \u2028"}`, `{"a" : [1, 2]}`, "{\"m\":{}\n}", `{"a":"x\\"}`,
		`{"clients":{"edges":[{"node":{"id":"cli_1","givenName":"Ada"}}]}}`, `null`, `"\u2029"`, "[\"\u2028\"]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		writesAsMarshal(t, &graphql.Response{Data: data})
	})
}

// writesAsMarshal checks that writeResponse writes resp as json.Marshal
// (gqlgen's transport) does.
func writesAsMarshal(t *testing.T, resp *graphql.Response) {
	t.Helper()
	want, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	writeResponse(&got, resp)
	if got.String() != string(want) {
		t.Errorf("data %q:\ngot  %s\nwant %s", resp.Data, got.String(), want)
	}
}
