package scim

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/clinicgate/clinicgate/ent"
)

// Config configures the SCIM handler.
type Config struct {
	// BaseURL is the public URL of the SCIM root (".../scim/v2"), for
	// meta.location and the Location header; empty gives relative ones.
	BaseURL string
	// RateLimit paces each token (the zero value takes the defaults).
	RateLimit RateLimitConfig
	// MaxBodyBytes bounds a request body (DefaultMaxBody when 0): a larger
	// one is refused with 413 in the SCIM error schema, before it is read
	// when its length is declared.
	MaxBodyBytes int64
}

// DefaultMaxBody is the body bound of a zero Config.MaxBodyBytes.
const DefaultMaxBody = 4 << 20

func (c Config) maxBody() int64 {
	if c.MaxBodyBytes > 0 {
		return c.MaxBodyBytes
	}
	return DefaultMaxBody
}

// MaxResults is the most resources one list answers (count is capped).
const MaxResults = 200

// ExtensionURN is our User extension: the sign-in requirements the
// product enforces.
const ExtensionURN = "urn:clinicgate:params:scim:schemas:extension:2.0:User"

// EnterpriseURN is the enterprise User extension (RFC 7643 §4.3).
const EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func init() {
	// Entra ID sends booleans as "True"/"False".
	schema.SetAllowStringValues(true)
}

// NewHandler is the SCIM 2.0 server (github.com/elimity-com/scim) behind
// the organization's bearer token. Mount it with
// http.StripPrefix("/scim", …): it serves /v2/... itself. Every answer is
// application/scim+json.
func NewHandler(client *ent.Client, cfg Config) http.Handler {
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{MaxResults: MaxResults, SupportFiltering: true, SupportPatch: true},
		ResourceTypes:         resourceTypes(client, cfg),
	}, scim.WithBaseURL(cfg.BaseURL))
	if err != nil {
		panic("scim: " + err.Error()) // only a nil argument fails
	}
	auth := &Authenticator{Client: client}
	// The token first (who is asking), then its pace.
	// Then read-only attributes (the library drops them unseen) and the
	// database's unavailability (the library would answer it 500).
	return limitBody(cfg.maxBody(), auth.Middleware(RateLimit(cfg.RateLimit)(answerUnavailable(readOnly(cfg.maxBody(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2"), "/")
		if path == "/ServiceProviderConfig" {
			// The library answers any method here with its own document,
			// which contradicts ours; the configuration is only read.
			if r.Method != http.MethodGet {
				writeError(w, scimerrors.ScimError{Status: http.StatusMethodNotAllowed, Detail: "the service provider configuration is read-only"})
				return
			}
			// Ours: the library's hard-codes etag false.
			_ = json.NewEncoder(w).Encode(serviceProviderConfig(cfg))
			return
		}
		if f := r.URL.Query().Get("filter"); r.Method == http.MethodGet && f != "" {
			if !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
				// PostgreSQL refuses such text as a parameter (the
				// request would fail as a 500); no attribute holds it.
				e := errInvalidFilter
				e.Detail = "the filter must be UTF-8 text without NUL characters"
				writeError(w, e)
				return
			}
			if rewritten := rewriteValuePaths(f); rewritten != f {
				q := r.URL.Query()
				q.Set("filter", rewritten)
				r.URL.RawQuery = q.Encode()
			}
		}
		srv.ServeHTTP(w, r)
	}))))))
}

// resourceTypes lists the resource types the server serves. Add a resource
// type here (Groups: its own handler, schema and endpoint); discovery
// (/ResourceTypes, /Schemas) follows from this list.
func resourceTypes(client *ent.Client, cfg Config) []scim.ResourceType {
	return []scim.ResourceType{usersResourceType(client, cfg), GroupResourceType(client)}
}

func usersResourceType(client *ent.Client, cfg Config) scim.ResourceType {
	return scim.ResourceType{
		ID:          optional.NewString("User"),
		Name:        "User",
		Description: optional.NewString("A member of staff of the organization."),
		Endpoint:    "/Users",
		Schema:      schema.CoreUserSchema(),
		SchemaExtensions: []scim.SchemaExtension{
			{Schema: schema.ExtensionEnterpriseUser()},
			{Schema: clinicgateUserExtension()},
		},
		Handler: &usersHandler{client: client, cfg: cfg},
	}
}

// clinicgateUserExtension is our extension of User.
func clinicgateUserExtension() schema.Schema {
	return schema.Schema{
		ID:          ExtensionURN,
		Name:        optional.NewString("clinicgate User"),
		Description: optional.NewString("The sign-in requirements clinicgate enforces for the user."),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:            "signInMethod",
				CanonicalValues: []string{"ANY", "PASSWORD", "SSO"},
				Description:     optional.NewString("The sign-in method the user must use: ANY (no requirement of their own), PASSWORD or SSO. With SSO a pushed password is ignored."),
			})),
			schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{
				Name:        "requireMfa",
				Description: optional.NewString("Whether the user must use multi-factor authentication, whatever the organization and roles say."),
			})),
		},
	}
}

func serviceProviderConfig(cfg Config) map[string]any {
	doc := map[string]any{
		"schemas":        []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": false},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "An organization's SCIM token (scim_…), issued by an administrator, sent as Authorization: Bearer.",
			"primary":     true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": strings.TrimSuffix(cfg.BaseURL, "/") + "/ServiceProviderConfig"},
	}
	return doc
}
