//! Real metric servers for integration tests, started as child processes
//! listening on 127.0.0.1 only, each with a throwaway data directory.
//!
//! | Type | Program | Ready when |
//! |------|---------|------------|
//! | [`Prometheus`] | `prometheus` | `GET /-/ready` answers 200 |
//! | [`Pushgateway`] | `prometheus-pushgateway` | `GET /-/ready` answers 200 |
//! | [`InfluxDb`] | `influxd` (1.x) | `GET /ping` answers 204 |
//! | [`Carbon`] | `carbon-cache` + `whisper-fetch` | the line port accepts TCP |
//! | [`VictoriaMetrics`] | `victoria-metrics` | `GET /health` answers 200 |
//! | [`Statsd`] | `node` + npm `statsd@0.9.0` | the admin port reports `health: up` |
//!
//! [`Browser`] drives headless Chromium (`chromium`, `chromedriver`) over
//! WebDriver, for page tests; [`ensure_hdrh`] installs Python's
//! HdrHistogram reader into a venv; [`OtlpReceiver`] is an OTLP/HTTP
//! receiver that decodes each export with Python's official OTLP messages
//! (`opentelemetry-proto`, in a venv of its own).
//!
//! [`Promtool`] runs `promtool check metrics`. [`http`] is a small blocking
//! HTTP/1.1 client to talk to the servers, and [`LineSink`] collects lines
//! sent over TCP; [`BlackHole`] accepts connections and never reads them.
//! [`HOSTILE_PIECES`] is the text every reporter's tests put in names and
//! labels, and [`own_count`] reads a reporter's own counter.
//! Every server can be killed and restarted on the same ports with the same
//! data (`kill()`, `restart()`), to test recovery.
//!
//! A missing program is an error telling how to install it (`./test.sh`
//! installs everything), never a skipped test. A server that exits while
//! starting or being queried is an error quoting the end of its log. Every
//! wait is bounded: starting waits up to [`DEFAULT_START_TIMEOUT`], and
//! helpers that wait for data take a timeout. Dropping a handle stops its
//! process (SIGTERM, then SIGKILL after [`STOP_GRACE`]) and removes its
//! directory (kept if [`KEEP_DIRS_ENV`] is set).
//!
//! ```no_run
//! use tachymeter_testkit::{InfluxDb, Result};
//!
//! fn round_trip() -> Result<()> {
//!     let influx = InfluxDb::start()?;
//!     influx.create_database("db")?;
//!     influx.write("db", "s", "cpu value=1 1700000000\n")?;
//!     let body = influx.query("db", "SELECT value FROM cpu")?;
//!     assert_eq!(body["results"][0]["series"][0]["values"][0][1], 1.0);
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod black_hole;
mod carbon;
mod chromium;
mod dir;
mod error;
mod hdrh;
mod hostile;
pub mod http;
mod influxdb;
mod install;
mod otlp;
mod own;
pub mod port;
mod process;
mod prometheus;
mod promtool;
mod pushgateway;
#[cfg(feature = "axum")]
mod router;
mod sink;
mod statsd;
mod venv;
mod victoria;
mod writer;

pub use black_hole::BlackHole;
pub use carbon::{Carbon, RECENT_WINDOW};
pub use chromium::Browser;
pub use dir::{target_dir, TempDir, KEEP_DIRS_ENV};
pub use error::{Error, Result};
pub use hdrh::{ensure_hdrh, hdrh_venv_dir, HDRH_DIR_ENV, HDRH_PACKAGES};
pub use hostile::HOSTILE_PIECES;
pub use influxdb::InfluxDb;
pub use otlp::{ensure_otlp_receiver, Export, OtlpReceiver, OTLP_DIR_ENV, OTLP_PACKAGES};
pub use own::own_count;
pub use process::{find_program, ServerProcess, DEFAULT_START_TIMEOUT, STOP_GRACE};
pub use prometheus::{
    ExemplarSeries, Prometheus, PrometheusOptions, Sample, StoredExemplar, TargetHealth,
};
pub use promtool::{CheckOutcome, Promtool};
pub use pushgateway::Pushgateway;
#[cfg(feature = "axum")]
pub use router::ServedRouter;
pub use sink::LineSink;
pub use statsd::{
    ensure_installed as ensure_statsd_installed, statsd_install_dir, Statsd, StatsdOptions,
    STATSD_DIR_ENV, STATSD_PACKAGE,
};
pub use victoria::VictoriaMetrics;
pub use writer::{FailingWriter, FlakyWriter, SharedWriter};
