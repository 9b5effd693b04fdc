//! An OTLP/HTTP metrics receiver that decodes each export with the official
//! OTLP messages of another language: PyPI's `opentelemetry-proto`, in a
//! virtual environment of its own.

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::port;
use crate::process::{retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};
use crate::venv::PythonPackages;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The PyPI packages the receiver runs on, pinned: `opentelemetry-proto`
/// (generated from the OTLP `.proto` files of release 1.10.0) and the
/// protobuf runtime.
pub const OTLP_PACKAGES: [&str; 2] = ["opentelemetry-proto==1.45.2", "protobuf==6.33.6"];

/// Overrides the directory of the receiver's virtual environment.
pub const OTLP_DIR_ENV: &str = "METRICS_TESTKIT_OTLP_DIR";

const OTLP: PythonPackages = PythonPackages {
    name: "otlp-venv",
    dir_env: OTLP_DIR_ENV,
    packages: &OTLP_PACKAGES,
    check: "import importlib.metadata as m\n\
            from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2\n\
            v = m.version('opentelemetry-proto')\n\
            assert v == '1.45.2', v\n",
};

/// The receiver's program (see its docstring for what it serves).
const PROGRAM: &str = include_str!("otlp_receiver.py");

/// Creates the receiver's virtual environment unless it is there, and
/// returns the path of its `python`.
pub fn ensure_otlp_receiver() -> Result<PathBuf> {
    OTLP.ensure()
}

/// One export the receiver got.
#[derive(Debug, Clone)]
pub struct Export {
    /// When it came, in Unix seconds.
    pub received_at: f64,
    /// The request's headers, names in lower case.
    pub headers: HashMap<String, String>,
    /// The status it was answered with.
    pub status: u16,
    /// The decoded `ExportMetricsServiceRequest` as JSON: proto field names
    /// (`resource_metrics`, `data_points`, …), enums as integers, 64-bit
    /// integers as strings. `None` when it did not decode.
    pub request: Option<Value>,
    /// Why it did not decode (the receiver answered 400).
    pub error: Option<String>,
}

/// An OTLP/HTTP receiver on 127.0.0.1, `POST /v1/metrics`, answering as a
/// test scripts it ([`answer`](Self::answer)): 200 by default. Stopped
/// when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    process: ServerProcess,
    addr: SocketAddr,
}

impl OtlpReceiver {
    /// Installs the receiver's environment if needed ([`OTLP_PACKAGES`]),
    /// starts it and waits until it answers.
    pub fn start() -> Result<Self> {
        let python = ensure_otlp_receiver()?;
        retry_on_port_clash(|| {
            let dir = TempDir::new("otlp")?;
            let script = dir.path().join("otlp_receiver.py");
            std::fs::write(&script, PROGRAM)
                .map_err(|e| Error::io(format!("writing {}", script.display()), e))?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port::free_tcp_port()?));
            let mut command = Command::new(&python);
            command.arg(&script).arg(addr.port().to_string());
            let process = ServerProcess::spawn("otlp-receiver", command, dir)?;
            let receiver = OtlpReceiver { process, addr };
            receiver.process.wait_http(
                &receiver.url("/control/ready"),
                200,
                DEFAULT_START_TIMEOUT,
            )?;
            Ok(receiver)
        })
    }

    /// `http://<addr>/v1/metrics`, where exports go.
    pub fn endpoint(&self) -> String {
        self.url("/v1/metrics")
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The running process.
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// How to answer the next exports, in order (200 after them): a JSON
    /// list of `{"status": 503, "retry_after": "1", "rejected": 3,
    /// "message": "…", "hang": 2.5}`, every field optional (`rejected` and
    /// `message` make a 200 a partial success; `hang` waits that many
    /// seconds before answering).
    pub fn answer(&self, answers: Value) -> Result<()> {
        Request::post(&self.url("/control/answers"))
            .header("Content-Type", "application/json")
            .body(answers.to_string())
            .send_expect(200)?;
        Ok(())
    }

    /// Every export so far, in the order they came.
    pub fn exports(&self) -> Result<Vec<Export>> {
        let list = Request::get(&self.url("/control/exports"))
            .send_expect(200)?
            .json()?;
        let exports = list
            .as_array()
            .ok_or_else(|| Error::protocol("otlp receiver", "exports are not a list"))?;
        Ok(exports
            .iter()
            .map(|e| Export {
                received_at: e["received_at"].as_f64().unwrap_or(0.0),
                headers: e["headers"]
                    .as_object()
                    .map(|h| {
                        h.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
                status: e["status"].as_u64().unwrap_or(0) as u16,
                request: Some(e["request"].clone()).filter(|r| !r.is_null()),
                error: e["error"].as_str().map(str::to_string),
            })
            .collect())
    }

    /// The exports once there are at least `count`, waiting up to
    /// `timeout`.
    pub fn wait_exports(&self, count: usize, timeout: Duration) -> Result<Vec<Export>> {
        let deadline = Instant::now() + timeout;
        loop {
            let exports = self.exports()?;
            if exports.len() >= count {
                return Ok(exports);
            }
            if Instant::now() >= deadline {
                return Err(Error::protocol(
                    "otlp receiver",
                    format!(
                        "{} exports after {timeout:?}, expected {count}",
                        exports.len()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
