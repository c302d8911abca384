package pulid_test

import (
	"sync"
	"testing"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
)

func TestNewIDsAreDistinctAndSortInCreationOrderUnderConcurrency(t *testing.T) {
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	out := make([][]pulid.ID, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				out[w] = append(out[w], pulid.New("cli"))
			}
		}()
	}
	wg.Wait()
	seen := map[pulid.ID]bool{}
	for _, ids := range out {
		for i, id := range ids {
			if !id.Valid() || id.Prefix() != "cli" {
				t.Fatalf("malformed id %q", id)
			}
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
			if i > 0 && ids[i-1] >= id {
				t.Fatalf("ids of one goroutine out of order: %q then %q", ids[i-1], id)
			}
		}
	}
}

func TestMalformedIDsAreNotValid(t *testing.T) {
	for _, id := range []pulid.ID{"", "cli", "cli_", "_01JD7W5Q4B9D8Q3Y6C1R2S7T0V", "cli_01JD7W5Q4B9D8Q3Y6C1R2S7T0", "cli_0IJD7W5Q4B9D8Q3Y6C1R2S7T0V"} {
		if id.Valid() {
			t.Errorf("%q is valid", id)
		}
	}
}
