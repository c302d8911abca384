package store_test

import (
	"testing"

	"github.com/clinicgate/clinicgate/internal/store/storetest"
)

// TestMain stops the throwaway PostgreSQL cluster, if the tests started one.
func TestMain(m *testing.M) { storetest.Main(m) }
