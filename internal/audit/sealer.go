package audit

import (
	"context"
	"log/slog"
	"time"
)

// SealInterval is how often the server's sealer links new events: an
// event is in its organization's chain about this long after it is
// written.
const SealInterval = time.Second

// RunSealer seals every organization's new events each interval until ctx
// is done. Several replicas may run it at once: each organization's chain
// is sealed under a lock, by whichever gets it first. A failed round is
// logged once, with the recovery, and retried at the next tick.
func (c *Chain) RunSealer(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := c.Seal(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				log.Warn("audit: sealing the audit chains failed; retrying every interval", slog.String("error", err.Error()))
			}
			failing = true
		case failing:
			log.Info("audit: sealing the audit chains works again", slog.Int("sealed", n))
			failing = false
		case n > 0:
			log.Debug("audit: events sealed", slog.Int("sealed", n))
		}
	}
}
