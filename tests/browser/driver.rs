//! chromedriver and a headless Chromium session, with screenshots saved as the test goes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver and its browser session; both end with it.
pub struct Driver {
    child: Child,
    client: Option<Client>,
    /// Names screenshots: `<test>-<nn>-<step>.png`.
    test: &'static str,
    step: u32,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
    _dir: tempfile::TempDir,
}

/// Where screenshots go: `target/console-screenshots/`.
pub fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("console-screenshots")
}

impl Driver {
    /// Starts chromedriver and a browser window of this size; `None` (the test is skipped)
    /// when Chromium is not installed, unless `CI=true`.
    pub async fn start(test: &'static str, width: u32, height: u32) -> Option<Driver> {
        let installed =
            std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing: install chromium and chromium-driver"
            );
            eprintln!("skipping browser test {test}: no {CHROMIUM} or {CHROMEDRIVER}");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let dir = tempfile::tempdir().expect("temp dir");
        let downloads = dir.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", format!("--window-size={width},{height}"),
                         format!("--user-data-dir={}", dir.path().join("profile").display())],
                "prefs": {"download.default_directory": downloads.display().to_string(),
                          "download.prompt_for_download": false},
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    std::fs::create_dir_all(screenshots()).unwrap();
                    return Some(Driver {
                        child,
                        client: Some(client),
                        test,
                        step: 0,
                        downloads,
                        _dir: dir,
                    });
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    pub fn client(&self) -> Client {
        self.client.clone().expect("session open")
    }

    /// Saves a screenshot of the page as it is now.
    pub async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client().screenshot().await.expect("screenshot");
        let file = screenshots().join(format!("{}-{:02}-{name}.png", self.test, self.step));
        std::fs::write(&file, png).expect("write screenshot");
    }

    /// Ends the browser session.
    pub async fn finish(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
