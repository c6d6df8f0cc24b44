"""Prometheus metrics for GET /metrics (prometheus_client, one registry per app so that tests stay apart).

Requests by route and status, the queue, time to first token and total latency, tokens generated, pages
rendered, page-cache hits and misses, and the model's memory (GPU memory in use, or the process's RSS on
a CPU) as the backend reports it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("glyph_http_requests", "HTTP requests by route and status code",
                                ("route", "status"), registry=r)
        self.queue_waiting = Gauge("glyph_queue_waiting", "API requests waiting for the model", registry=r)
        self.queue_running = Gauge("glyph_queue_running", "API answers being generated", registry=r)
        self.ttft = Histogram("glyph_time_to_first_token_seconds", "request start to the first answer token",
                              buckets=LATENCY_BUCKETS, registry=r)
        self.latency = Histogram("glyph_request_latency_seconds", "request start to the last answer token",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.tokens = Counter("glyph_tokens_generated", "answer tokens generated", registry=r)
        self.prompt_tokens = Counter("glyph_prompt_tokens", "prompt tokens read, visual tokens included",
                                     registry=r)
        self._caches: list = []
        r.register(_PageCacheCollector(self._caches))
        self.model_memory = Gauge("glyph_model_memory_bytes",
                                  "memory the model uses: GPU memory in use, or the process RSS on a CPU",
                                  registry=r)
        self.model_ready = Gauge("glyph_model_ready", "1 when the model can answer", registry=r)

    def watch_page_cache(self, cache) -> None:
        """Report a PageCache's hits, misses and pages rendered."""
        self._caches.append(cache)

    def render(self, backend=None, admission=None) -> bytes:
        """The text exposition, with the gauges brought up to date first."""
        if admission is not None:
            self.queue_waiting.set(admission.waiting)
            self.queue_running.set(admission.running)
        if backend is not None:
            state = backend.state()
            self.model_ready.set(1 if state.ready else 0)
            if state.memory_gb is not None:
                self.model_memory.set(state.memory_gb * 2**30)
        return generate_latest(self.registry)


class _PageCacheCollector:
    """Counters read from the page caches at scrape time (they count under their own lock)."""

    def __init__(self, caches: list):
        self.caches = caches

    def collect(self):
        lookups = CounterMetricFamily("glyph_page_cache_lookups", "rendered-page cache lookups by result",
                                      labels=("result",))
        lookups.add_metric(("hit",), sum(c.hits for c in self.caches))
        lookups.add_metric(("miss",), sum(c.misses for c in self.caches))
        yield lookups
        yield CounterMetricFamily("glyph_pages_rendered", "pages rendered from documents (page-cache misses)",
                                  value=sum(c.pages_rendered for c in self.caches))
