package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinicgate/clinicgate/internal/store"
)

// registerReadMetrics counts where the reads of queries went, when the
// store has read standbys: clinicgate_read_routes_total{to=…,why=…}.
func registerReadMetrics(reg prometheus.Registerer, db *store.DB) {
	if db.Standbys() == 0 {
		return
	}
	count := func(to, why string, get func(store.ReadStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "clinicgate_read_routes_total",
			Help:        "Queries offered to read standbys, by where their reads went.",
			ConstLabels: prometheus.Labels{"to": to, "why": why},
		}, func() float64 { return float64(get(db.ReadStats())) })
	}
	reg.MustRegister(
		count("standby", "replayed", func(s store.ReadStats) uint64 { return s.Standby }),
		count("primary", "behind", func(s store.ReadStats) uint64 { return s.PrimaryBehind }),
		count("primary", "down", func(s store.ReadStats) uint64 { return s.PrimaryDown }),
		count("primary", "retried", func(s store.ReadStats) uint64 { return s.Retried }),
	)
}
