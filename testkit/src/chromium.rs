//! A real browser for page tests: headless Chromium driven over WebDriver
//! by `chromedriver`.

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http;
use crate::port;
use crate::process::{find_program, ServerProcess};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const INSTALL: &str = "apt-get install -y --no-install-recommends chromium chromium-driver";

/// Headless Chromium (Debian's `chromium`) in a session of its own
/// `chromedriver`, with a throwaway profile. Dropping it closes the
/// browser and stops the driver.
///
/// ```no_run
/// use tachymeter_testkit::{Browser, Result};
///
/// fn title() -> Result<()> {
///     let browser = Browser::start()?;
///     browser.goto("http://127.0.0.1:3000/")?;
///     let title = browser.execute("return document.title", &[])?;
///     assert_eq!(title, "books");
///     assert!(browser.console_errors()?.is_empty());
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct Browser {
    driver: ServerProcess,
    base: String,
    session: String,
}

impl Browser {
    /// Starts `chromedriver` on a free loopback port and opens a headless
    /// Chromium window of 1400 × 1000 pixels in it.
    pub fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    /// [`start`](Self::start), with more Chromium flags (e.g.
    /// `--force-dark-mode`, which makes pages see a dark preference).
    pub fn start_with(flags: &[&str]) -> Result<Self> {
        let driver_program = find_program("chromedriver", INSTALL)?;
        let chromium = find_program("chromium", INSTALL)?;
        let dir = TempDir::new("chromium")?;
        let profile = dir.subdir("profile")?;
        let port = port::free_tcp_port()?;
        let mut command = Command::new(driver_program);
        command.arg(format!("--port={port}"));
        let driver = ServerProcess::spawn("chromedriver", command, dir)?;
        let base = format!("http://127.0.0.1:{port}");
        driver.wait_http(
            &format!("{base}/status"),
            200,
            crate::process::DEFAULT_START_TIMEOUT,
        )?;
        // The flags keep Chromium off the network it cannot reach here, and
        // out of the sandbox that needs privileges a test run lacks.
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
        ]
        .iter()
        .chain(flags)
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": args,
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                }
            }
        });
        let response = call(&driver, "POST", &format!("{base}/session"), &capabilities)?;
        let session = response["sessionId"]
            .as_str()
            .ok_or_else(|| Error::protocol("chromedriver's new session", response.to_string()))?
            .to_string();
        Ok(Browser {
            driver,
            base,
            session,
        })
    }

    /// Loads `url` and returns once its `load` event has fired.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.session_call("POST", "url", &json!({ "url": url }))?;
        Ok(())
    }

    /// Runs `script` (a function body: `return` gives the result) in the
    /// page with `args` as `arguments`, and returns its result as JSON.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.session_call(
            "POST",
            "execute/sync",
            &json!({ "script": script, "args": args }),
        )
    }

    /// Runs `script`, which ends by calling its last argument (the
    /// callback) with its result, and returns that result.
    pub fn execute_async(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.session_call(
            "POST",
            "execute/async",
            &json!({ "script": script, "args": args }),
        )
    }

    /// Saves a PNG of the window to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let encoded = self.session_call("GET", "screenshot", &Value::Null)?;
        let encoded = encoded
            .as_str()
            .ok_or_else(|| Error::protocol("chromedriver's screenshot", "no image"))?;
        let png = decode_base64(encoded)?;
        std::fs::write(path, png).map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }

    /// The browser console's messages of level `SEVERE` (errors, failed
    /// loads) since the last call, as text.
    pub fn console_errors(&self) -> Result<Vec<String>> {
        let entries = self.session_call("POST", "se/log", &json!({ "type": "browser" }))?;
        Ok(entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect())
    }

    /// The driver process.
    pub fn process(&self) -> &ServerProcess {
        &self.driver
    }

    fn session_call(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        call(&self.driver, method, &url, body)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closes Chromium before the driver is stopped.
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = http::Request::delete(&url)
            .timeout(Duration::from_secs(10))
            .send();
    }
}

/// A WebDriver command: its `value`, or an error quoting the driver's.
fn call(driver: &ServerProcess, method: &str, url: &str, body: &Value) -> Result<Value> {
    let mut request = http::Request::new(method, url).timeout(Duration::from_secs(60));
    if !body.is_null() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send()?;
    let json = response.json()?;
    if !response.is_success() {
        return Err(Error::Status {
            request: format!("{method} {url}"),
            status: response.status,
            body: format!(
                "{}\n{}",
                json["value"]["message"]
                    .as_str()
                    .unwrap_or(&json.to_string()),
                driver.log_tail()
            ),
        });
    }
    Ok(json["value"].clone())
}

/// Standard base64 (with padding) to bytes.
fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return Err(Error::protocol("chromedriver's screenshot", "not base64")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("a*b").is_err());
    }
}
