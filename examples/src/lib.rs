//! Shared pieces of the runnable examples (see the `[[example]]` targets in
//! `Cargo.toml`): the log reporter on standard output and
//! environment-variable parsing.

pub mod books;

/// The README's code, compiled and run as a doc test so it cannot rot.
#[doc = include_str!("../../README.md")]
mod readme {}

/// The whole number in the environment variable `name`, or `default` (with
/// a message on standard error if it is set but not a number).
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a whole number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// Starts pushing `registry` over OTLP when `env` names an endpoint
/// (`OTEL_EXPORTER_OTLP_ENDPOINT`, or `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`),
/// every `OTEL_METRIC_EXPORT_INTERVAL` milliseconds (default 60 s), as
/// `OTEL_SERVICE_NAME` (default `service`); `None` when it names none.
pub fn push_over_otlp(
    registry: &tachymeter_core::Registry,
    env: &tachymeter_otlp::Env,
    service: &str,
) -> Result<Option<tachymeter_report::PeriodicReporter>, tachymeter_report::BuildError> {
    if !env.has_endpoint() {
        return Ok(None);
    }
    let mut push = env.builder();
    if env.service_name().is_none() {
        push = push.map_encoder(|e| e.service_name(service));
    }
    push.start(registry, env.interval()).map(Some)
}

/// Starts the log reporter: every `every`, the registry's series that are
/// not zero (the reporters' own left out, as by default), aligned and
/// sorted, on standard output under a `--- metrics ---` line with the time
/// (and once more
/// when the returned reporter is stopped or dropped).
pub fn report_to_stdout(
    registry: &tachymeter_core::Registry,
    every: std::time::Duration,
) -> Result<tachymeter_report::PeriodicReporter, tachymeter_report::BuildError> {
    tachymeter_log::LogReporter::builder()
        .sink(tachymeter_log::Sink::writer(std::io::stdout()))
        .title("--- metrics ---")
        .start(registry, every)
}
