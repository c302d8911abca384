package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestNewWritesTheChosenFormatAtTheChosenLevel(t *testing.T) {
	tests := []struct {
		name   string
		format string
		level  slog.Level
		want   []string
		absent []string
	}{
		{"json logs info and above at info", "json", slog.LevelInfo,
			[]string{`"msg":"shown"`, `"level":"INFO"`}, []string{"hidden"}},
		{"text logs info and above at info", "text", slog.LevelInfo,
			[]string{"msg=shown", "level=INFO"}, []string{"hidden"}},
		{"debug level shows debug lines", "json", slog.LevelDebug,
			[]string{`"msg":"hidden"`, `"msg":"shown"`}, nil},
		{"an unknown format falls back to json", "yaml", slog.LevelInfo,
			[]string{`"msg":"shown"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := New(&buf, tt.level, tt.format)
			log.Debug("hidden")
			log.Info("shown")
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output %q lacks %q", buf.String(), w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(buf.String(), a) {
					t.Errorf("output %q has %q", buf.String(), a)
				}
			}
		})
	}
}

func TestNewRedactsAttributesNamedAsSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo, "json")
	log.Info("x",
		"password", "hunter2",
		"client_secret", "s3cr3t",
		"refresh_token", "tok123",
		slog.Group("req", slog.String("Authorization", "Bearer abc")),
		"user", "u1",
	)
	out := buf.String()
	for _, s := range []string{"hunter2", "s3cr3t", "tok123", "Bearer abc"} {
		if strings.Contains(out, s) {
			t.Errorf("secret %q leaked: %s", s, out)
		}
	}
	if !strings.Contains(out, `"user":"u1"`) {
		t.Errorf("ordinary attribute lost: %s", out)
	}
}

func TestIsSecretKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"password", true},
		{"Temp_Password", true},
		{"id_token", true},
		{"X-Csrf-Token", true},
		{"secret_key", true},
		{"request_id", false},
		{"user", false},
		{"token_count", false},
	}
	for _, tt := range tests {
		if got := IsSecretKey(tt.key); got != tt.want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestFieldsSetReplacesAttributesWithTheSameKey(t *testing.T) {
	var f Fields
	f.Set(slog.String(OrgKey, "o1"), slog.String(UserKey, "u1"))
	f.Set(slog.String(UserKey, "u2"))
	got := f.Attrs()
	if len(got) != 2 || got[0].String() != "org=o1" || got[1].String() != "user=u2" {
		t.Fatalf("Attrs() = %v, want [org=o1 user=u2]", got)
	}
}

func TestNilFieldsIsHarmless(t *testing.T) {
	var f *Fields
	f.Set(slog.String("a", "b"))
	if got := f.Attrs(); got != nil {
		t.Fatalf("Attrs() on nil = %v", got)
	}
	Set(context.Background(), slog.String("a", "b")) // no holder: no panic
	if got := Attrs(context.Background()); got != nil {
		t.Fatalf("Attrs(ctx) without holder = %v", got)
	}
}

func TestFromContextCarriesAttributesSetByInnerLayers(t *testing.T) {
	var buf bytes.Buffer
	base := New(&buf, slog.LevelInfo, "json")
	ctx := NewContext(context.Background(), base, slog.String(RequestIDKey, "r1"))

	// An inner layer receives a derived context and adds to the shared holder.
	inner, cancel := context.WithCancel(ctx)
	Set(inner, slog.String(OrgKey, "o1"), slog.String(UserKey, "u1"))
	cancel()

	FromContext(ctx).Info("done")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("bad json %q: %v", buf.String(), err)
	}
	for k, want := range map[string]string{RequestIDKey: "r1", OrgKey: "o1", UserKey: "u1"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %q", k, line[k], want)
		}
	}
}

func TestFromContextWithoutLoggerReturnsTheDefault(t *testing.T) {
	if FromContext(context.Background()) != slog.Default() {
		t.Fatal("want slog.Default()")
	}
}

func TestFieldsAreSafeForConcurrentUse(t *testing.T) {
	ctx := NewContext(context.Background(), slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				Set(ctx, slog.Int("n", i))
				_ = Attrs(ctx)
				FromContext(ctx).Info("x")
			}
		}()
	}
	wg.Wait()
	if n := len(Attrs(ctx)); n != 1 {
		t.Fatalf("want one attribute under key n, got %d", n)
	}
}
