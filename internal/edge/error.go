package edge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/clinicgate/clinicgate/internal/apperr"
	"github.com/clinicgate/clinicgate/internal/logging"
)

// ErrorBody is the JSON body of every HTTP error answered outside GraphQL
// and SCIM (the edge middleware, the session middleware, /auth/*):
//
//	{"error":{"code":"invalid_credentials","message":"…","requestId":"…"}}
//
// code is the stable wire code (apperr.CodeOf); message is fit to show and
// absent on a 500; policy is the password-policy code of a weak_password
// refusal; field the offending field of invalid input; requestId lets a
// user's report be matched to the server's log.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the object of ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// WriteError answers err as an ErrorBody, the one HTTP error writer. The
// status is apperr.Status(apperr.KindOf(err)); a Retry-After header (whole
// seconds, rounded up) is sent when err carries one (apperr.RetryAfterOf:
// throttling, and every Unavailable error); the response is never cached
// nor sniffed.
//
// An Unavailable error (the database could not answer in time or at all)
// is logged as a warning. Any other Internal error is logged as an error,
// with the request's log fields, path and request id, and answered with a
// bare 500 {"error":{"code":"internal","requestId":…}}: its text never
// reaches the client. An *apperr.Error of kind Internal without a cause
// (Err) is not logged: it is the answer of code that logged already, such
// as Recover.
//
// log is the logger to use; nil means logging.FromContext.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ctx := r.Context()
	reqID := RequestIDFrom(ctx)
	kind := apperr.KindOf(err)
	if kind == "" { // a nil error is a bug of the caller, not a success
		kind, err = apperr.Internal, errors.New("edge: WriteError(nil)")
	}
	d := ErrorDetail{Code: apperr.CodeOf(err), RequestID: reqID}
	var ae *apperr.Error
	isApp := errors.As(err, &ae)
	switch kind {
	case apperr.Internal:
		if !isApp || ae.Err != nil {
			logError(r, log, slog.LevelError, "request failed", err)
		}
		d.Code = apperr.DefaultCode(apperr.Internal)
	case apperr.Unavailable:
		logError(r, log, slog.LevelWarn, "request: database unavailable", err)
		d.Message = apperr.Message(err)
	default:
		d.Message = apperr.Message(err)
	}
	if isApp && kind != apperr.Internal {
		d.Policy, d.Field = ae.Policy, ae.Field
	}
	h := w.Header()
	if ra := apperr.RetryAfterOf(err); ra > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((ra+time.Second-1)/time.Second), 10))
	}
	body, _ := json.Marshal(ErrorBody{d}) // strings only: cannot fail
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(apperr.Status(kind))
	w.Write(append(body, '\n'))
}

func logError(r *http.Request, log *slog.Logger, level slog.Level, msg string, err error) {
	c := r.Context()
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.String("error", err.Error())}
	if log == nil {
		log = logging.FromContext(c) // carries the request's fields already
	} else {
		attrs = append(logging.Attrs(c), attrs...)
	}
	if id := RequestIDFrom(c); id != "" && logging.FieldsFrom(c) == nil {
		attrs = append(attrs, slog.String(logging.RequestIDKey, id))
	}
	log.LogAttrs(c, level, msg, attrs...)
}

// The refusals of the edge middleware.
var (
	errBearer   = apperr.New(apperr.Unauthenticated, "A valid bearer token is required.")
	errTooLarge = apperr.New(apperr.TooLarge, "The request body is too large.")
	errPanic    = apperr.New(apperr.Internal, "internal error") // logged by Recover, with the stack
)
