//! An InfluxDB 1.x server.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http::{self, Request};
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};

const INSTALL: &str = "apt-get install -y --no-install-recommends influxdb";

/// An InfluxDB 1.x (`influxd`) on 127.0.0.1 with throwaway meta, data and
/// WAL directories. Stopped when dropped.
#[derive(Debug)]
pub struct InfluxDb {
    process: ServerProcess,
    addr: SocketAddr,
}

impl InfluxDb {
    /// Starts `influxd` and waits until `GET /ping` answers 204 (up to
    /// [`DEFAULT_START_TIMEOUT`]).
    pub fn start() -> Result<Self> {
        Self::start_within(DEFAULT_START_TIMEOUT)
    }

    /// Like [`InfluxDb::start`], waiting up to `timeout`.
    pub fn start_within(timeout: Duration) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(timeout))
    }

    fn start_once(timeout: Duration) -> Result<Self> {
        let program = find_program("influxd", INSTALL)?;
        let dir = TempDir::new("influxdb")?;
        let ports = port::free_tcp_ports(2)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], ports[0]));
        let rpc = SocketAddr::from(([127, 0, 0, 1], ports[1]));
        let root = dir.path();
        let config = format!(
            "reporting-enabled = false\n\
             bind-address = \"{rpc}\"\n\
             [meta]\n  dir = \"{meta}\"\n\
             [data]\n  dir = \"{data}\"\n  wal-dir = \"{wal}\"\n  query-log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [http]\n  bind-address = \"{addr}\"\n  log-enabled = false\n",
            meta = root.join("meta").display(),
            data = root.join("data").display(),
            wal = root.join("wal").display(),
        );
        let config = dir.write("influxdb.conf", &config)?;
        let mut command = Command::new(program);
        command.arg("run").arg("-config").arg(config);
        let process = ServerProcess::spawn("influxd", command, dir)?;
        let server = InfluxDb { process, addr };
        server
            .process
            .wait_http(&server.url("/ping"), 204, timeout)?;
        Ok(server)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&self) {
        self.process.kill();
    }

    /// Starts the server again (killing it first if it runs) on the same
    /// ports with the same data, and waits until it is ready again (up to
    /// [`DEFAULT_START_TIMEOUT`]).
    pub fn restart(&self) -> Result<()> {
        self.process.restart()?;
        self.process
            .wait_http(&self.url("/ping"), 204, DEFAULT_START_TIMEOUT)
    }

    /// The HTTP API address.
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

    /// `CREATE DATABASE <name>` (the name is quoted).
    pub fn create_database(&self, name: &str) -> Result<()> {
        let quoted = format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
        self.run(&format!("CREATE DATABASE {quoted}"), None)
            .map(drop)
    }

    /// Writes line protocol to `db` (`POST /write`, timestamps in
    /// `precision`: `ns`, `u`, `ms`, `s`, `m` or `h`).
    ///
    /// # Errors
    ///
    /// [`Error::Status`] with InfluxDB's message unless it answers 204.
    pub fn write(&self, db: &str, precision: &str, lines: &str) -> Result<()> {
        let url = self.url(&format!(
            "/write?{}",
            http::encode_query(&[("db", db), ("precision", precision)])
        ));
        Request::post(&url)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(lines)
            .send_expect(204)
            .map(drop)
    }

    /// Runs the InfluxQL query `q` against `db` and returns the body, e.g.
    /// `{"results":[{"statement_id":0,"series":[{"name":…,"columns":[…],"values":[[…]]}]}]}`.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] if the body reports an error (InfluxDB answers 200
    /// with an `"error"` for, e.g., an unknown database).
    pub fn query(&self, db: &str, q: &str) -> Result<Value> {
        self.run(q, Some(db))
    }

    fn run(&self, q: &str, db: Option<&str>) -> Result<Value> {
        let mut form = vec![("q", q), ("epoch", "s")];
        if let Some(db) = db {
            form.push(("db", db));
        }
        let response = Request::post(&self.url("/query")).form(&form).send()?;
        let status_error = || Error::Status {
            request: format!("POST /query q={q}"),
            status: response.status,
            body: response.text(),
        };
        let body = match response.json() {
            Ok(body) => body,
            Err(_) if !response.is_success() => return Err(status_error()),
            Err(e) => return Err(e),
        };
        if let Some(message) = query_error(&body) {
            return Err(Error::protocol(format!("InfluxDB query {q:?}"), message));
        }
        if !response.is_success() {
            return Err(status_error());
        }
        Ok(body)
    }
}

/// The first error reported in a query response body, top-level or per
/// statement.
fn query_error(body: &Value) -> Option<String> {
    if let Some(error) = body["error"].as_str() {
        return Some(error.to_string());
    }
    body["results"]
        .as_array()?
        .iter()
        .find_map(|result| result["error"].as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_errors_in_bodies() {
        let ok = serde_json::json!({"results":[{"statement_id":0}]});
        assert_eq!(query_error(&ok), None);
        let bad =
            serde_json::json!({"results":[{"statement_id":0,"error":"database not found: x"}]});
        assert_eq!(query_error(&bad).as_deref(), Some("database not found: x"));
        let top = serde_json::json!({"error":"missing required parameter \"q\""});
        assert!(query_error(&top).is_some());
    }
}
