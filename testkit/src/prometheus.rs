//! A Prometheus server scraping one target or a few.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http::{self, Request};
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};

const INSTALL: &str = "apt-get install -y --no-install-recommends prometheus";

/// How a [`Prometheus`] is started.
#[derive(Debug, Clone)]
pub struct PrometheusOptions {
    targets: Vec<String>,
    metrics_path: String,
    job_name: String,
    scrape_interval: Duration,
    remote_write_receiver: bool,
    native_histograms: bool,
    exemplar_storage: bool,
    start_timeout: Duration,
}

impl PrometheusOptions {
    /// Scrapes `target` (`host:port`) at `/metrics` every second, as job
    /// `test`.
    pub fn new(target: impl Into<String>) -> Self {
        PrometheusOptions {
            targets: vec![target.into()],
            metrics_path: "/metrics".to_string(),
            job_name: "test".to_string(),
            scrape_interval: Duration::from_secs(1),
            remote_write_receiver: false,
            native_histograms: false,
            exemplar_storage: false,
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// The path scraped on the target (default `/metrics`).
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.metrics_path = path.into();
        self
    }

    /// The `job` label of the scraped series (default `test`).
    pub fn job_name(mut self, job: impl Into<String>) -> Self {
        self.job_name = job.into();
        self
    }

    /// The scrape interval, also used as the scrape timeout (default 1 s;
    /// whole milliseconds).
    pub fn scrape_interval(mut self, interval: Duration) -> Self {
        self.scrape_interval = interval;
        self
    }

    /// Also accepts remote write at `/api/v1/write` (default off).
    pub fn remote_write_receiver(mut self, enabled: bool) -> Self {
        self.remote_write_receiver = enabled;
        self
    }

    /// Scrapes `target` (`host:port`) too, in the same job.
    pub fn also_scrape(mut self, target: impl Into<String>) -> Self {
        self.targets.push(target.into());
        self
    }

    /// Starts Prometheus with `--enable-feature=native-histograms`, so that
    /// it asks targets for the protobuf exposition and stores native
    /// histograms (default off).
    pub fn native_histograms(mut self, enabled: bool) -> Self {
        self.native_histograms = enabled;
        self
    }

    /// Starts Prometheus with `--enable-feature=exemplar-storage`, so that
    /// it keeps the exemplars of OpenMetrics scrapes, read back with
    /// [`Prometheus::query_exemplars`] (default off).
    pub fn exemplar_storage(mut self, enabled: bool) -> Self {
        self.exemplar_storage = enabled;
        self
    }

    /// How long to wait for `/-/ready` (default [`DEFAULT_START_TIMEOUT`]).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    fn config(&self) -> String {
        let interval = format!("{}ms", self.scrape_interval.as_millis().max(1));
        format!(
            "global:\n  scrape_interval: {interval}\n  scrape_timeout: {interval}\n  evaluation_interval: {interval}\n\
             scrape_configs:\n  - job_name: {job}\n    metrics_path: {path}\n    scrape_interval: {interval}\n    scrape_timeout: {interval}\n    static_configs:\n      - targets: [{targets}]\n",
            job = json_string(&self.job_name),
            path = json_string(&self.metrics_path),
            targets = self
                .targets
                .iter()
                .map(|t| json_string(t))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

/// A JSON string literal, which is also a valid YAML scalar.
fn json_string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// One series' exemplars, from [`Prometheus::query_exemplars`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExemplarSeries {
    /// The series' labels, `__name__` included.
    pub labels: BTreeMap<String, String>,
    /// Its stored exemplars.
    pub exemplars: Vec<StoredExemplar>,
}

/// One stored exemplar.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExemplar {
    /// Its labels (`trace_id`, `span_id`).
    pub labels: BTreeMap<String, String>,
    /// The value it was recorded with.
    pub value: f64,
    /// Its time, in seconds since the Unix epoch.
    pub timestamp: f64,
}

/// One series of an instant query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// All labels, including `__name__` when the series has a name.
    pub labels: BTreeMap<String, String>,
    /// The value (`NaN`, `+Inf` and `-Inf` included).
    pub value: f64,
    /// The evaluation time in seconds since the epoch.
    pub timestamp: f64,
}

impl Sample {
    /// The metric name (`__name__`), if the series has one.
    pub fn name(&self) -> Option<&str> {
        self.label("__name__")
    }

    /// The value of label `name`.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// The state of a scrape target, from `/api/v1/targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealth {
    /// The URL scraped.
    pub scrape_url: String,
    /// `up`, `down` or `unknown` (not scraped yet).
    pub health: String,
    /// The error of the last scrape; empty if it succeeded.
    pub last_error: String,
}

/// A Prometheus server on 127.0.0.1 with a throwaway storage directory,
/// scraping one target. Stopped when dropped.
#[derive(Debug)]
pub struct Prometheus {
    process: ServerProcess,
    addr: SocketAddr,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`host:port`) with the defaults of
    /// [`PrometheusOptions::new`].
    pub fn start(target: &str) -> Result<Self> {
        Self::start_with(PrometheusOptions::new(target))
    }

    /// Starts Prometheus with `options` and waits until `/-/ready` answers
    /// 200.
    pub fn start_with(options: PrometheusOptions) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(options.clone()))
    }

    fn start_once(options: PrometheusOptions) -> Result<Self> {
        let program = find_program("prometheus", INSTALL)?;
        let dir = TempDir::new("prometheus")?;
        let config = dir.write("prometheus.yml", &options.config())?;
        let data = dir.subdir("data")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port::free_tcp_port()?));
        let mut command = Command::new(program);
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=info");
        if options.remote_write_receiver {
            command.arg("--web.enable-remote-write-receiver");
        }
        let mut features = Vec::new();
        if options.native_histograms {
            features.push("native-histograms");
        }
        if options.exemplar_storage {
            features.push("exemplar-storage");
        }
        if !features.is_empty() {
            command.arg(format!("--enable-feature={}", features.join(",")));
        }
        let process = ServerProcess::spawn("prometheus", command, dir)?;
        let server = Prometheus { process, addr };
        server
            .process
            .wait_http(&server.url("/-/ready"), 200, options.start_timeout)?;
        Ok(server)
    }

    /// The address of the web server and API.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The running process.
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// Evaluates the instant query `expr` now.
    ///
    /// # Errors
    ///
    /// An [`Error::Status`] or [`Error::Protocol`] carrying Prometheus's
    /// message if the query is invalid; only vector results are accepted.
    pub fn query(&self, expr: &str) -> Result<Vec<Sample>> {
        let url = self.url(&format!(
            "/api/v1/query?{}",
            http::encode_query(&[("query", expr)])
        ));
        let response = Request::get(&url).send_expect(200)?;
        parse_query(&response.json()?)
            .map_err(|message| Error::protocol(format!("Prometheus query {expr:?}"), message))
    }

    /// The exemplars stored for the series `selector` picks over the last
    /// hour: one entry per series with its labels and its exemplars.
    ///
    /// # Errors
    ///
    /// An [`Error::Status`] or [`Error::Protocol`] if the query is refused
    /// or the answer is not the documented shape.
    pub fn query_exemplars(&self, selector: &str) -> Result<Vec<ExemplarSeries>> {
        let end = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let (start, end) = (format!("{:.3}", end - 3600.0), format!("{:.3}", end + 60.0));
        let url = self.url(&format!(
            "/api/v1/query_exemplars?{}",
            http::encode_query(&[("query", selector), ("start", &start), ("end", &end)])
        ));
        let response = Request::get(&url).send_expect(200)?;
        let json = response.json()?;
        let protocol =
            |m: &str| Error::protocol(format!("exemplars of {selector:?}"), m.to_string());
        let data = json["data"]
            .as_array()
            .ok_or_else(|| protocol("no data array"))?;
        let labels = |v: &Value| -> BTreeMap<String, String> {
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default()
        };
        data.iter()
            .map(|series| {
                let exemplars = series["exemplars"]
                    .as_array()
                    .ok_or_else(|| protocol("no exemplars array"))?
                    .iter()
                    .map(|e| {
                        Ok(StoredExemplar {
                            labels: labels(&e["labels"]),
                            value: e["value"]
                                .as_str()
                                .and_then(|v| v.parse().ok())
                                .ok_or_else(|| protocol("an exemplar value is not a number"))?,
                            timestamp: e["timestamp"].as_f64().unwrap_or_default(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(ExemplarSeries {
                    labels: labels(&series["seriesLabels"]),
                    exemplars,
                })
            })
            .collect()
    }

    /// Polls `query(expr)` until `predicate` holds for its result, and
    /// returns that result.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] quoting the last result and the target's health if
    /// `timeout` passes.
    pub fn wait_for(
        &self,
        expr: &str,
        mut predicate: impl FnMut(&[Sample]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<Sample>> {
        self.process.poll(
            &format!("Prometheus query {expr:?} to match"),
            timeout,
            || {
                let samples = self.query(expr)?;
                if predicate(&samples) {
                    Ok(Ok(samples))
                } else {
                    Ok(Err(format!("{samples:?}")))
                }
            },
            |last| {
                let targets = match self.targets() {
                    Ok(targets) => format!("{targets:?}"),
                    Err(e) => format!("(unavailable: {e})"),
                };
                format!("last result: {last}\ntargets: {targets}")
            },
        )
    }

    /// The active scrape targets and their health.
    pub fn targets(&self) -> Result<Vec<TargetHealth>> {
        let response = Request::get(&self.url("/api/v1/targets?state=active")).send_expect(200)?;
        let body = response.json()?;
        let targets = body["data"]["activeTargets"].as_array().ok_or_else(|| {
            Error::protocol(
                "Prometheus targets",
                format!("no data.activeTargets in {body}"),
            )
        })?;
        Ok(targets
            .iter()
            .map(|t| TargetHealth {
                scrape_url: t["scrapeUrl"].as_str().unwrap_or_default().to_string(),
                health: t["health"].as_str().unwrap_or_default().to_string(),
                last_error: t["lastError"].as_str().unwrap_or_default().to_string(),
            })
            .collect())
    }
}

/// Parses the body of `/api/v1/query` with a vector result.
fn parse_query(body: &Value) -> std::result::Result<Vec<Sample>, String> {
    if body["status"] != "success" {
        return Err(format!("query failed: {body}"));
    }
    let data = &body["data"];
    if data["resultType"] != "vector" {
        return Err(format!("expected a vector result, got {data}"));
    }
    let results = data["result"]
        .as_array()
        .ok_or_else(|| format!("no data.result array in {body}"))?;
    results
        .iter()
        .map(|series| {
            let labels = series["metric"]
                .as_object()
                .ok_or_else(|| format!("no metric object in {series}"))?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let point = &series["value"];
            let timestamp = point[0]
                .as_f64()
                .ok_or_else(|| format!("no timestamp in {series}"))?;
            let value = point[1]
                .as_str()
                .ok_or_else(|| format!("no value string in {series}"))
                .and_then(parse_value)?;
            Ok(Sample {
                labels,
                value,
                timestamp,
            })
        })
        .collect()
}

/// Parses a sample value as Prometheus writes it.
pub(crate) fn parse_value(text: &str) -> std::result::Result<f64, String> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text
            .parse()
            .map_err(|_| format!("invalid sample value {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vector_results() {
        let body: Value = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"__name__":"a","job":"j"},"value":[1700000000.5,"1.5"]},
                {"metric":{},"value":[1,"NaN"]},
                {"metric":{},"value":[1,"+Inf"]},
                {"metric":{},"value":[1,"-Inf"]}]}}"#,
        )
        .unwrap();
        let samples = parse_query(&body).unwrap();
        assert_eq!(samples.len(), 4);
        assert_eq!(samples[0].name(), Some("a"));
        assert_eq!(samples[0].label("job"), Some("j"));
        assert_eq!(samples[0].value, 1.5);
        assert_eq!(samples[0].timestamp, 1700000000.5);
        assert!(samples[1].value.is_nan());
        assert_eq!(samples[2].value, f64::INFINITY);
        assert_eq!(samples[3].value, f64::NEG_INFINITY);
        assert!(parse_query(&serde_json::json!({"status":"error"})).is_err());
    }

    #[test]
    fn config_quotes_its_values() {
        let config = PrometheusOptions::new("127.0.0.1:1234")
            .metrics_path("/m")
            .scrape_interval(Duration::from_millis(500))
            .config();
        assert!(config.contains("targets: [\"127.0.0.1:1234\"]"), "{config}");
        assert!(config.contains("metrics_path: \"/m\""), "{config}");
        assert!(config.contains("scrape_timeout: 500ms"), "{config}");
    }
}
