//! The browser the dashboard tests (and the dashboard benchmark) drive: Debian's Chromium through
//! chromedriver, a fresh profile each, screenshots, axe-core and the console.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const DRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a condition may take before the test fails (generous: CI has 2 busy cores).
pub const PATIENCE: Duration = Duration::from_secs(15);

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    label: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A desktop browser, 1280×900.
    pub async fn start(label: &str) -> Self {
        Self::launch(label, json!({"args": ["--window-size=1280,900"]})).await
    }

    /// A phone: 390×844 CSS pixels, touch, as Chrome's device emulation makes it.
    pub async fn phone(label: &str) -> Self {
        Self::launch(
            label,
            json!({"mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3, "touch": true}}}),
        )
        .await
    }

    async fn launch(label: &str, extra: Value) -> Self {
        assert!(
            std::path::Path::new(DRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "{DRIVER} or {CHROMIUM} is missing: run scripts/test, which installs chromium and chromium-driver"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        // Chromium's own scratch folders go in the profile too, and go away with it.
        let scratch = profile.path().join("tmp");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let port = free_port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .env("TMPDIR", &scratch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--disable-default-apps",
                "--disable-features=Translate,OptimizationHints,MediaRouter",
                format!("--user-data-dir={}", profile.path().join("profile").display()),
            ]
        });
        if let Some(args) = extra.get("args").and_then(Value::as_array) {
            options["args"]
                .as_array_mut()
                .unwrap()
                .extend(args.iter().cloned());
        }
        if let Some(mobile) = extra.get("mobileEmulation") {
            options["mobileEmulation"] = mobile.clone();
        }
        let mut caps = Capabilities::new();
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Self {
            client,
            driver,
            _profile: profile,
            label: label.to_owned(),
        }
    }

    pub async fn open(&self, app: &TestApp, path: &str) {
        self.client
            .goto(&format!("{}{path}", app.address))
            .await
            .expect("navigate");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: no {css}: {e}", self.label))
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks `css`, finding it again if the live page swapped it out meanwhile.
    pub async fn click(&self, css: &str) {
        for _ in 0..5 {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if is_stale(&e) => continue,
                Err(e) => panic!("{}: click {css}: {e}", self.label),
            }
        }
        panic!("{}: {css} kept being replaced", self.label);
    }

    pub async fn text(&self, css: &str) -> String {
        for _ in 0..5 {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if is_stale(&e) => continue,
                Err(e) => panic!("{}: text of {css}: {e}", self.label),
            }
        }
        panic!("{}: {css} kept being replaced", self.label);
    }

    /// An attribute of `css` (found again if swapped out meanwhile).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let script = format!(
            "var e = document.querySelector({}); return e ? e.getAttribute({}) : null",
            json!(css),
            json!(name)
        );
        self.eval(&script).await.as_str().map(str::to_owned)
    }

    /// Whether `css` is an enabled control.
    pub async fn enabled(&self, css: &str) -> bool {
        let script = format!("return !document.querySelector({}).disabled", json!(css));
        self.eval(&script).await == Value::Bool(true)
    }

    /// Runs a script and returns what it returns.
    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    /// Waits until `script` (a JS expression) is truthy; returns how long it took.
    pub async fn wait_until(&self, what: &str, script: &str) -> Duration {
        let started = Instant::now();
        let code = format!("return !!({script});");
        loop {
            if self.eval(&code).await == Value::Bool(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{}: waited {PATIENCE:?} for {what}",
                self.label
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the element matching `css` has `attr` = `value`.
    pub async fn wait_attr(&self, css: &str, attr: &str, value: &str) -> Duration {
        let script = format!(
            "document.querySelector({css}) && document.querySelector({css}).getAttribute({attr}) === {value}",
            css = json!(css),
            attr = json!(attr),
            value = json!(value)
        );
        self.wait_until(&format!("{css}[{attr}={value}]"), &script)
            .await
    }

    pub async fn wait_path(&self, prefix: &str) {
        let script = format!("location.pathname.startsWith({})", json!(prefix));
        self.wait_until(&format!("a page under {prefix}"), &script)
            .await;
    }

    /// The live socket is up (the connection pill says so).
    pub async fn wait_live(&self) {
        self.wait_attr("#conn", "data-state", "live").await;
    }

    /// Saves `target/browser-shots/{label}-{name}.png`.
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-shots");
        std::fs::create_dir_all(&dir).expect("shots dir");
        std::fs::write(dir.join(format!("{}-{name}.png", self.label)), png).expect("save shot");
    }

    /// Runs axe-core on the page as it is now; fails on any serious or critical violation.
    pub async fn assert_accessible(&self, name: &str) {
        let source = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing ({e}): run scripts/test, which installs tests/browser-deps with npm ci"
            )
        });
        self.client
            .execute(&source, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))))
                   .catch(e => done([{id: 'axe-failed', help: String(e)}]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        assert_eq!(
            found,
            json!([]),
            "{}-{name}: accessibility violations",
            self.label
        );
    }

    /// A page as a person meets it: a screenshot to look at, axe-core clean, no console error.
    pub async fn check(&self, name: &str) {
        self.shot(name).await;
        self.assert_accessible(name).await;
        self.assert_clean_console().await;
    }

    /// Every console message of level SEVERE since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("browser log");
        logs.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A form was refused on purpose: the browser logs the page's status as an error; take
    /// that one message (and nothing else) off the log.
    pub async fn drain_expected_refusal(&self, status: u16) {
        let errors = self.console_errors().await;
        assert!(
            errors.len() == 1 && errors[0].contains(&format!("status of {status}")),
            "{}: expected only the {status} of the refused form, got {errors:#?}",
            self.label
        );
    }

    pub async fn assert_clean_console(&self) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "{}: console errors: {errors:#?}",
            self.label
        );
    }

    /// Signs in through the login form.
    pub async fn sign_in(&self, app: &TestApp, email: &str) {
        self.open(app, "/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_until("signed in", "!location.pathname.startsWith('/login')")
            .await;
    }

    /// This browser's cookies as a `Cookie:` header (HttpOnly ones included), for requests
    /// made outside the browser with its session.
    pub async fn cookie_header(&self) -> String {
        self.client
            .get_all_cookies()
            .await
            .expect("cookies")
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// One cookie's value (HttpOnly ones included).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client
            .get_all_cookies()
            .await
            .expect("cookies")
            .into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// Ends the session (the browser quits); dropping then stops the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core, pinned in `tests/browser-deps` (`LIVECTL_TEST_AXE` may point elsewhere).
fn axe_path() -> PathBuf {
    std::env::var_os("LIVECTL_TEST_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser-deps/node_modules/axe-core/axe.min.js")
        })
}

fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    e.to_string().contains("stale element")
}

/// chromedriver's log endpoint (not in W3C WebDriver, hence a command of our own).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// The workspace id in a `/w/{ws}…` path.
pub fn workspace_of(path: &str) -> String {
    path.trim_start_matches("/w/")
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .to_owned()
}
