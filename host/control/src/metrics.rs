//! `GET /metrics`: what the binary renders in the Prometheus text exposition format.

/// The path metrics are served at.
pub(crate) const PATH: &str = "/metrics";

/// The `Content-Type` of the Prometheus text exposition format, version 0.0.4.
pub(crate) const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the binary implements to serve `GET /metrics` ([`ServeOptions::metrics`](crate::ServeOptions::metrics)).
pub trait MetricsSource: Send + Sync + 'static {
    /// The metrics now, in the Prometheus text exposition format (version 0.0.4). Called once
    /// per scrape, on the control endpoint's runtime: it must not block for long.
    fn render(&self) -> String;
}
