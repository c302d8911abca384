package session

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/clinicgate/clinicgate/ent/schema/pulid"
	"github.com/clinicgate/clinicgate/internal/viewer"
)

// viewerCache keeps the viewers of recently active users between requests,
// each with the access epoch of its organization it was built at. Nothing
// ever invalidates an entry: a request reads the epoch with its session
// and uses an entry only when the epochs are equal, so a revocation
// committed on any replica (which moves the epoch in its transaction) is
// in force for the next request everywhere, with no message between
// processes. The bound keeps memory flat; an evicted user is loaded again.
type viewerCache struct {
	lru *lru.Cache[pulid.ID, cachedViewer]
}

type cachedViewer struct {
	epoch int64
	v     *viewer.Viewer // read-only: handed out as copies
}

func newViewerCache(size int) *viewerCache {
	if size == 0 {
		size = DefaultViewerCacheSize
	}
	if size < 0 {
		return &viewerCache{}
	}
	c, err := lru.New[pulid.ID, cachedViewer](size)
	if err != nil { // only for a size below 1, excluded above
		panic(err)
	}
	return &viewerCache{lru: c}
}

// get returns a copy of the viewer of id built at epoch, if kept.
func (c *viewerCache) get(id pulid.ID, epoch int64) (*viewer.Viewer, bool) {
	if c.lru == nil {
		return nil, false
	}
	e, ok := c.lru.Get(id)
	if !ok || e.epoch != epoch {
		return nil, false
	}
	cp := *e.v
	return &cp, true
}

// put keeps v as id's viewer at epoch. An entry of a newer epoch is kept
// instead: a request that read an older epoch must not push it out.
func (c *viewerCache) put(id pulid.ID, epoch int64, v *viewer.Viewer) {
	if c.lru == nil {
		return
	}
	if e, ok := c.lru.Peek(id); ok && e.epoch > epoch {
		return
	}
	c.lru.Add(id, cachedViewer{epoch: epoch, v: v})
}
