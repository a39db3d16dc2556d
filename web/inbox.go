package web

import (
	"github.com/prometheus/client_golang/prometheus"

	"kam/pipeline/ingest"
)

// inboxCollector says whether the inbox is backing up: what lies in it and for how long.
type inboxCollector struct{ s *Server }

var (
	descInboxFiles = prometheus.NewDesc("kam_inbox_files",
		"Files lying in the inbox (and its folders) waiting to be taken.", nil, nil)
	descInboxOldest = prometheus.NewDesc("kam_inbox_oldest_file_age_seconds",
		"Age (since its last change) of the oldest file lying in the inbox; 0 when it is empty.", nil, nil)
)

func (c inboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descInboxFiles
	ch <- descInboxOldest
}

// Collect lists the inbox; a folder kam cannot read fails the scrape, as the scan fails.
func (c inboxCollector) Collect(ch chan<- prometheus.Metric) {
	b, err := ingest.InboxBacklog(c.s.app.App)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descInboxFiles, err)
		return
	}
	age := 0.0
	if !b.Oldest.IsZero() {
		age = max(c.s.now().Sub(b.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(descInboxFiles, prometheus.GaugeValue, float64(b.Files))
	ch <- prometheus.MustNewConstMetric(descInboxOldest, prometheus.GaugeValue, age)
}
