// Package metrics exposes Tally's Prometheus metrics: interactions by
// command and outcome, OpenAI latency and failures by endpoint, cost,
// refused admissions by reason and interactions in flight.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tallybot/tally/models"
)

// Metrics holds the collectors, registered on their own registry so that
// tests and several instances in one process do not collide.
type Metrics struct {
	registry       *prometheus.Registry
	interactions   *prometheus.CounterVec
	inFlight       prometheus.Gauge
	openaiLatency  *prometheus.HistogramVec
	openaiFailures *prometheus.CounterVec
	costMicroUSD   *prometheus.CounterVec
	refusals       *prometheus.CounterVec
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tally_interactions_total",
			Help: "Interactions handled, by command and outcome (ok, user_error, error, panic).",
		}, []string{"command", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tally_interactions_in_flight",
			Help: "Interactions being handled now.",
		}),
		openaiLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tally_openai_request_duration_seconds",
			Help:    "Duration of successful OpenAI requests, retries included, by endpoint key.",
			Buckets: []float64{0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160},
		}, []string{"endpoint"}),
		openaiFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tally_openai_failures_total",
			Help: "Failed OpenAI requests, by endpoint key and failure kind.",
		}, []string{"endpoint", "failure"}),
		costMicroUSD: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tally_cost_micro_usd_total",
			Help: "Money charged, in micro-dollars, by endpoint key.",
		}, []string{"endpoint"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tally_admissions_refused_total",
			Help: "Requests refused at admission, by reason.",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.interactions, m.inFlight, m.openaiLatency, m.openaiFailures, m.costMicroUSD, m.refusals,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// InteractionStarted counts an interaction in flight until done is called
// with its command and outcome.
func (m *Metrics) InteractionStarted() (done func(command, outcome string)) {
	m.inFlight.Inc()
	return func(command, outcome string) {
		m.inFlight.Dec()
		m.interactions.WithLabelValues(command, outcome).Inc()
	}
}

// Settled records a successful OpenAI request and what it cost.
func (m *Metrics) Settled(endpoint string, cost models.MicroUSD, latency time.Duration) {
	m.openaiLatency.WithLabelValues(endpoint).Observe(latency.Seconds())
	m.costMicroUSD.WithLabelValues(endpoint).Add(float64(cost))
}

// Failed records a failed OpenAI request; cost is non-zero when the outcome
// was unknown and the estimate was charged.
func (m *Metrics) Failed(endpoint, failure string, cost models.MicroUSD) {
	m.openaiFailures.WithLabelValues(endpoint, failure).Inc()
	if cost > 0 {
		m.costMicroUSD.WithLabelValues(endpoint).Add(float64(cost))
	}
}

// Refused records a request refused at admission.
func (m *Metrics) Refused(reason string) {
	m.refusals.WithLabelValues(reason).Inc()
}
