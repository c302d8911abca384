package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// api speaks to the server over HTTP.
type api struct {
	base string
	http *http.Client
}

// session is a signed-in user: a bearer token, and the address the user
// sends from (X-Forwarded-For; the server must trust proxy headers, or
// every simulated user would share the loopback address and its sign-in
// throttle).
type session struct {
	userID, email, role string
	token               string
	addr                string
}

// send posts body (JSON) to path with the given headers and decodes a JSON
// answer into out when out is not nil. It fails only for transport errors
// and undecodable bodies; the status is returned for the caller to judge.
func (a *api) send(ctx context.Context, method, path, contentType string, headers map[string]string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/") {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding the answer to %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// errorBody is the server's JSON error outside GraphQL and SCIM.
type errorBody struct {
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// transportFailure is a request that got no answer (the connection failed,
// was dropped or timed out). It fails the run like a 5xx: a server that
// crashes or hangs answers nothing at all.
var transportFailure = outcome{class: "transport", unknown: true, serverError: true}

// httpOutcome judges a non-GraphQL answer: want is the success status.
func httpOutcome(status int, err error, code string, want ...int) outcome {
	if err != nil && status == 0 {
		return transportFailure
	}
	for _, w := range want {
		if status == w {
			if err != nil {
				return outcome{class: "bad answer"}
			}
			return outcome{}
		}
	}
	class := fmt.Sprintf("http %d", status)
	if code != "" {
		class += " " + code
	}
	return outcome{class: class, serverError: status >= 500}
}

// gqlResponse is a GraphQL answer with data decoded into Data.
type gqlResponse[T any] struct {
	Data   T `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// graphql runs one operation as s and decodes data into out.
func graphql[T any](ctx context.Context, a *api, s *session, query string, vars map[string]any, out *T) outcome {
	var resp gqlResponse[T]
	status, err := a.send(ctx, http.MethodPost, "/graphql", "application/json",
		map[string]string{"Authorization": "Bearer " + s.token, "X-Forwarded-For": s.addr},
		map[string]any{"query": query, "variables": vars}, &resp)
	if err != nil && status == 0 {
		return transportFailure
	}
	if status != http.StatusOK {
		o := outcome{class: fmt.Sprintf("http %d", status), serverError: status >= 500}
		if len(resp.Errors) > 0 {
			o.class += " " + resp.Errors[0].Extensions.Code
		}
		return o
	}
	if err != nil {
		return outcome{class: "bad answer"}
	}
	if len(resp.Errors) > 0 {
		code := resp.Errors[0].Extensions.Code
		if code == "" {
			code = "no code"
		}
		return outcome{class: "graphql " + code, serverError: code == "INTERNAL" || code == "UNAVAILABLE"}
	}
	*out = resp.Data
	return outcome{}
}

// loginAnswer is the body of POST /auth/login.
type loginAnswer struct {
	Token string `json:"token"`
	State string `json:"state"`
	User  struct {
		ID string `json:"id"`
	} `json:"user"`
	errorBody
}

// login signs email in with the password from addr.
func (a *api) login(ctx context.Context, org, email, pw, addr string) (loginAnswer, outcome) {
	var ans loginAnswer
	status, err := a.send(ctx, http.MethodPost, "/auth/login", "application/json",
		map[string]string{"X-Forwarded-For": addr},
		map[string]string{"organization": org, "email": email, "password": pw}, &ans)
	o := httpOutcome(status, err, ans.Error.Code, http.StatusOK)
	if o.ok() && ans.Token == "" {
		o = outcome{class: "no token"}
	}
	return ans, o
}

// scimError is the SCIM error body.
type scimError struct {
	Status   string `json:"status"`
	ScimType string `json:"scimType"`
}

// scim sends a SCIM request with the organization's token.
func (a *api) scim(ctx context.Context, token, method, path string, body any, out any, want ...int) outcome {
	var raw json.RawMessage
	status, err := a.send(ctx, method, "/scim/v2"+path, "application/scim+json",
		map[string]string{"Authorization": "Bearer " + token}, body, &raw)
	o := httpOutcome(status, err, "", want...)
	if !o.ok() {
		var se scimError
		if json.Unmarshal(raw, &se) == nil && se.ScimType != "" {
			o.class += " " + se.ScimType
		}
		return o
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return outcome{class: "bad answer"}
		}
	}
	return o
}

var errSetup = errors.New("loadgen: setup failed")
