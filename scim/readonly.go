package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
)

// readOnly refuses, before the library, a PUT or PATCH that changes a
// read-only attribute: 400 with scimType mutability (RFC 7644 §3.5.2).
// The library drops id, meta and other read-only attributes from the
// body before a handler sees it, so the check reads the raw body here:
//
//   - PATCH with a path naming id, meta (or a meta sub-attribute), or a
//     user's groups; or without a path, whose value object carries one
//     of them. An id equal to the resource's own is no change: Okta
//     sends it in a group rename ({"op":"replace","value":{"id":…,
//     "displayName":…}}).
//   - PUT whose id differs from the resource's (RFC 7644 §3.5.1: other
//     read-only attributes in a PUT are ignored).
//
// Bodies that are not JSON objects are left to the library (invalidSyntax).
// A user PATCH setting the enterprise manager to a bare id is also made
// the complex value here (managerAsObject), which the library requires.
// POST, PUT and PATCH bodies holding a NUL character anywhere are refused
// here too (invalidValue).
func readOnly(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch && r.Method != http.MethodPut && r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || int64(len(body)) > maxBody {
			writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: "the request body is too large"})
			return
		}
		if holdsNUL(body) {
			// PostgreSQL cannot store it (the write would fail as a 500);
			// no attribute has a use for it.
			e := scimerrors.ScimErrorInvalidValue
			e.Detail = "no value may hold a NUL character"
			writeError(w, e)
			return
		}
		resource, id, ok := resourcePath(r.URL.Path)
		if !ok || r.Method == http.MethodPost {
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPatch && resource == "Users" {
			body = managerAsObject(body)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		if detail := readOnlyChange(r.Method, resource, id, body); detail != "" {
			e := scimerrors.ScimErrorMutability
			e.Detail = detail
			writeError(w, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// holdsNUL reports whether a JSON body has a NUL character in a string
// or a key (JSON can only carry it escaped, as \u0000). Bodies that are
// not JSON are left to the library.
func holdsNUL(body []byte) bool {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return false
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, 0)
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range v {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}

// resourcePath splits /v2/Users/{id} (or /Groups/{id}) into the resource
// and the id.
func resourcePath(p string) (resource, id string, ok bool) {
	p = strings.Trim(strings.TrimPrefix(p, "/v2"), "/")
	resource, id, found := strings.Cut(p, "/")
	if !found || id == "" || strings.Contains(id, "/") {
		return "", "", false
	}
	switch resource {
	case "Users", "Groups":
		return resource, id, true
	}
	return "", "", false
}

// readOnlyChange says what read-only attribute the request changes, or "".
func readOnlyChange(method, resource, id string, body []byte) string {
	if method == http.MethodPut {
		var doc map[string]any
		if json.Unmarshal(body, &doc) != nil {
			return ""
		}
		if v, ok := lookup(doc, "id"); ok && v != id {
			return fmt.Sprintf("id is read-only: the resource's id is %q", id)
		}
		return ""
	}
	var doc struct {
		Operations []struct {
			Path  any `json:"path"`
			Value any `json:"value"`
		} `json:"Operations"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	for _, op := range doc.Operations {
		if path, ok := op.Path.(string); ok && strings.TrimSpace(path) != "" {
			if attr := readOnlyPath(resource, path); attr != "" {
				return attr + " is read-only"
			}
			continue
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			continue
		}
		for k, v := range m {
			attr := readOnlyPath(resource, k)
			if attr == "" || (attr == "id" && v == id) {
				continue
			}
			return attr + " is read-only"
		}
	}
	return ""
}

// readOnlyPath is the read-only attribute a PATCH path (or a key of a
// path-less value) names, or "". The core schema's URN prefix is allowed.
func readOnlyPath(resource, path string) string {
	p := strings.ToLower(strings.TrimSpace(path))
	for _, urn := range []string{"urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"} {
		p = strings.TrimPrefix(p, urn)
	}
	attr := p
	if i := strings.IndexAny(attr, ".["); i >= 0 {
		attr = attr[:i]
	}
	switch {
	case attr == "id", attr == "meta":
		return attr
	case attr == "groups" && resource == "Users":
		return "groups"
	}
	return ""
}

// lookup reads a key of a JSON object ignoring its case.
func lookup(m map[string]any, key string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// managerAsObject rewrites a PATCH that sets the enterprise manager to a
// bare id — what Microsoft's samples send ({"op":"Add","path":"…:manager",
// "value":"id"}) — into the complex value the schema has
// ({"value":"id"}); the library would refuse the string (invalidValue)
// before a handler sees it. Other bodies are returned as they are.
func managerAsObject(body []byte) []byte {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	ops, _ := lookup(doc, "Operations")
	list, _ := ops.([]any)
	changed := false
	for _, o := range list {
		op, ok := o.(map[string]any)
		if !ok {
			continue
		}
		path, _ := lookup(op, "path")
		p, _ := path.(string)
		if strings.EqualFold(strings.TrimSpace(p), EnterpriseURN+":manager") {
			for k, v := range op {
				if s, ok := v.(string); ok && strings.EqualFold(k, "value") {
					op[k] = map[string]any{"value": s}
					changed = true
				}
			}
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// limitBody refuses, in the SCIM error schema, a request body over max:
// at once when its length is declared, whoever sends it (before the token
// is checked), and when it is read otherwise.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: "the request body is too large"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}
