//! A real `faxvox serve` for end-to-end tests: the built binary, an isolated installation in a
//! temporary directory (SQLite file, spool, configuration file), mail to a real SMTP sink, SIP
//! on a free 127.0.0.1 port and an RTP port range of its own. It is started once accounts and
//! lines exist, is up when it answers an OPTIONS over UDP, and is killed on drop; its log goes
//! to a file that is printed when the test fails.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::sip_raw;
use super::smtp::{Received, SmtpSink};

/// Ports per test: the gateway's RTP range, then the test caller's (`faxvox call`).
const PORTS_PER_SIDE: u16 = 20;
/// Lowest RTP port handed out; ranges stay below Linux's ephemeral range (32768+).
const RTP_BASE: u16 = 20000;
/// Number of distinct per-test port blocks.
const RTP_SLOTS: u16 = 300;

/// Picks a port free for both UDP and TCP on 127.0.0.1 (bound to port 0, then released).
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// The gateway's and the caller's RTP ranges for a SIP port: two blocks of
/// [`PORTS_PER_SIDE`] derived from it, so concurrent tests get different ranges.
pub fn rtp_ranges(sip_port: u16) -> ((u16, u16), (u16, u16)) {
    let base = RTP_BASE + (sip_port % RTP_SLOTS) * PORTS_PER_SIDE * 2;
    (
        (base, base + PORTS_PER_SIDE - 1),
        (base + PORTS_PER_SIDE, base + 2 * PORTS_PER_SIDE - 1),
    )
}

/// Output of one `faxvox call …` run.
pub struct CallRun {
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
}

impl CallRun {
    /// The JSON summary line (the last stdout line that parses as a JSON object).
    pub fn summary(&self) -> Option<serde_json::Value> {
        self.stdout
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
            .find(|v| v.is_object())
    }

    /// The per-call result lines (JSON objects with a `call_id`), in printed order.
    pub fn results(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
            .filter(|v| v.get("call_id").is_some())
            .collect()
    }

    /// Panics with both outputs unless the command succeeded and its summary (if it has a
    /// `failed` count) reports no failure.
    pub fn assert_ok(&self, what: &str) {
        assert!(
            self.output.status.success(),
            "{what}: faxvox call failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            self.output.status,
            self.stdout,
            self.stderr
        );
        if let Some(failed) = self.summary().and_then(|s| s.get("failed").cloned()) {
            assert!(
                failed == 0 || failed.is_null(),
                "{what}: summary reports failures:\n{}\n{}",
                self.stdout,
                self.stderr
            );
        }
    }
}

/// When a call ended by the gateway's clock, and the spool job it produced (the job id is the
/// email's `X-Faxvox-Job`).
#[derive(Debug, Clone)]
pub struct CallTimes {
    pub call_id: String,
    pub kind: String,
    pub job_id: Option<String>,
    /// Answer time + duration (the record's `answered` and `duration_ms`); `None` when the
    /// call was never answered.
    pub ended: Option<std::time::SystemTime>,
}

/// One call detail record, as stored by the gateway (text columns only).
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    pub call_id: Option<String>,
    pub kind: Option<String>,
    pub called: Option<String>,
    pub caller: Option<String>,
    pub line: Option<String>,
    pub account: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
}

pub struct Gateway {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub smtp_port: u16,
    pub sip_port: u16,
    pub rtp: (u16, u16),
    pub caller_rtp: (u16, u16),
    /// Extra `FAXVOX_*` variables for `serve` (e.g. `FAXVOX_SIP_TRUSTED`).
    env: Vec<(String, String)>,
    /// The umask every `faxvox` command runs under (`None`: the test's own).
    umask: Option<String>,
    child: Option<Child>,
    log_path: PathBuf,
    /// Set once the log has been printed, so drop does not print it twice.
    printed: bool,
    /// Shell commands `serve` is started after (`bash -c 'LAUNCHER; exec faxvox serve'`),
    /// e.g. `ulimit -Sn 1024`. Empty: started directly.
    launcher: String,
}

impl Gateway {
    /// An installation (not running yet) whose mail goes to `smtp` over plain SMTP.
    pub fn new(smtp: &SmtpSink) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
        Gateway::install(dir, &url, smtp.port)
    }

    /// An installation (not running yet) in a new folder under `parent`, without SMTP: mail
    /// goes to its Maildir (`maildir/new`). For the load bench, which wants real disk and no
    /// mail server in the measurement.
    pub fn maildir_only_in(parent: &Path) -> Gateway {
        let dir = tempfile::tempdir_in(parent).unwrap();
        Gateway::install(dir, "", 0)
    }

    /// An installation (not running yet) in a new folder under `parent` whose mail goes to
    /// `smtp` over plain SMTP: the load bench, on real disk, timing hang-up to email.
    pub fn with_smtp_in(parent: &Path, smtp: &SmtpSink) -> Gateway {
        let dir = tempfile::tempdir_in(parent).unwrap();
        let url = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
        Gateway::install(dir, &url, smtp.port)
    }

    fn install(dir: tempfile::TempDir, smtp_url: &str, smtp_port: u16) -> Gateway {
        let p = dir.path();
        let config = p.join("faxvox.toml");
        let text = format!(
            "[log]\nlevel = \"info\"\n\n\
             [spool]\ndir = {spool:?}\n# not about the disk guard: the build machine's free space must not decide\n\
             high_water_percent = 99\n\n\
             [database]\nurl = {db:?}\n\n\
             [smtp]\nurl = {smtp:?}\nfrom = \"Faxvox <fax@gw.example>\"\ntimeout_secs = 10\n\n\
             [delivery]\nmaildir = {maildir:?}\n\n\
             [metrics]\n# a port of its own for each test's gateway (printed at start)\n\
             listen = \"127.0.0.1:0\"\n",
            spool = p.join("spool").display().to_string(),
            db = format!("sqlite://{}", p.join("faxvox.db").display()),
            smtp = smtp_url,
            maildir = p.join("maildir").display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        let sip_port = free_port();
        let (rtp, caller_rtp) = rtp_ranges(sip_port);
        let log_path = p.join("serve.log");
        Gateway {
            dir,
            config,
            smtp_port,
            sip_port,
            rtp,
            caller_rtp,
            env: Vec::new(),
            umask: None,
            child: None,
            log_path,
            printed: false,
            launcher: String::new(),
        }
    }

    /// Starts `serve` through `bash -c 'LAUNCHER; exec faxvox serve'` (same environment), e.g.
    /// to lower its open-file limit first.
    pub fn set_launcher(&mut self, launcher: &str) {
        self.launcher = launcher.to_string();
    }

    /// The `serve` command as [`Gateway::start`] runs it, through the launcher if one is set.
    pub fn serve_command(&self) -> Command {
        let serve = self.command(&["serve"]);
        if self.launcher.is_empty() {
            return serve;
        }
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(format!("{}\nexec \"$0\" \"$@\"", self.launcher))
            .arg(serve.get_program())
            .args(serve.get_args())
            .current_dir(self.path());
        for (k, v) in serve.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Process id of the running `faxvox serve` (for reading its memory in /proc).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sets (or replaces) one `FAXVOX_*` variable for `serve`.
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Runs every later `faxvox` command (CLI and `serve`) under `umask MASK` (e.g. `"022"`).
    pub fn set_umask(&mut self, mask: &str) {
        self.umask = Some(mask.to_string());
    }

    /// A `faxvox` command with this installation's configuration and a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let bin = env!("CARGO_BIN_EXE_faxvox");
        let mut cmd = match &self.umask {
            // `exec` keeps the process id, so `serve` is still the child we signal and kill.
            Some(mask) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
                    .arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(args).current_dir(self.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("FAXVOX_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("FAXVOX_CONFIG", &self.config)
            .env("RUST_LOG", "info");
        cmd
    }

    /// Runs a CLI command against the installation, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "faxvox {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `faxvox account add ID --email … --name NAME`.
    pub fn account_add(&self, id: &str, emails: &[&str], name: &str) {
        let mut args = vec!["account", "add", id];
        for e in emails {
            args.extend(["--email", e]);
        }
        args.extend(["--name", name]);
        self.ok(&args);
    }

    /// `faxvox line add NUMBER --account A --kind fax|voicemail [--greeting FILE]`.
    pub fn line_add(&self, number: &str, account: &str, kind: &str, greeting: Option<&Path>) {
        let mut args = vec!["line", "add", number, "--account", account, "--kind", kind];
        let g;
        if let Some(path) = greeting {
            g = path.display().to_string();
            args.extend(["--greeting", &g]);
        }
        self.ok(&args);
    }

    /// `faxvox line add NUMBER --account A --kind alias --target TARGET`.
    pub fn alias_add(&self, number: &str, account: &str, target: &str) {
        self.ok(&[
            "line",
            "add",
            number,
            "--account",
            account,
            "--kind",
            "alias",
            "--target",
            target,
        ]);
    }

    /// Writes a file into the installation's folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.sip_port))
    }

    /// `sip:NUMBER@127.0.0.1:PORT`.
    pub fn uri(&self, number: &str) -> String {
        format!("sip:{number}@127.0.0.1:{}", self.sip_port)
    }

    /// Starts `faxvox serve` and waits until it answers OPTIONS; picks another port and
    /// tries again when the chosen one was taken meanwhile.
    pub fn start(&mut self) {
        for attempt in 0..4 {
            if attempt > 0 {
                self.sip_port = free_port();
                (self.rtp, self.caller_rtp) = rtp_ranges(self.sip_port);
            }
            match self.try_start() {
                Ok(()) => return,
                Err(log) if log.to_ascii_lowercase().contains("in use") => {
                    eprintln!("gateway: port {} taken, retrying", self.sip_port);
                }
                Err(log) => {
                    self.printed = true;
                    panic!(
                        "faxvox serve did not come up on {}:\n{log}",
                        self.sip_addr()
                    );
                }
            }
        }
        panic!("faxvox serve: no usable SIP port after 4 attempts");
    }

    /// Starts `serve` on every installation at once (as nodes of a cluster started together
    /// would), then waits until each answers OPTIONS.
    pub fn start_together(gws: &mut [&mut Gateway]) {
        let children: Vec<Child> = gws.iter().map(|g| g.spawn_serve()).collect();
        for (gw, child) in gws.iter_mut().zip(children) {
            if let Err(log) = gw.wait_serving(child) {
                gw.printed = true;
                panic!("faxvox serve did not come up on {}:\n{log}", gw.sip_addr());
            }
        }
    }

    /// Points the installation at another database (e.g. a PostgreSQL shared by several
    /// installations): every later command and `serve` use it.
    pub fn use_database(&self, url: &str) {
        let config = std::fs::read_to_string(&self.config).unwrap();
        let mut out = String::new();
        let mut in_database = false;
        for line in config.lines() {
            if line.starts_with('[') {
                in_database = line.trim() == "[database]";
            }
            if in_database && line.trim_start().starts_with("url") {
                out.push_str(&format!("url = {url:?}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        std::fs::write(&self.config, out).unwrap();
    }

    fn try_start(&mut self) -> Result<(), String> {
        let child = self.spawn_serve();
        self.wait_serving(child)
    }

    /// Spawns `serve` (log to the log file, which starts again empty).
    fn spawn_serve(&self) -> Child {
        let log = File::create(&self.log_path).unwrap();
        let mut cmd = self.serve_command();
        cmd.env("FAXVOX_SIP_LISTEN", format!("127.0.0.1:{}", self.sip_port))
            .env(
                "FAXVOX_SIP_RTP_PORTS",
                format!("{}-{}", self.rtp.0, self.rtp.1),
            )
            .env("FAXVOX_SIP_MEDIA_IP", "127.0.0.1")
            // The range is small (a few calls' worth): freed ports rest 2 s rather than 30,
            // so tests that place calls back to back do not run out (tests may override).
            .env("FAXVOX_SIP_RTP_PORT_REST_SECS", "2")
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        cmd.spawn().expect("spawn faxvox serve")
    }

    /// Waits until the `serve` just spawned answers OPTIONS, then keeps it as the running one.
    fn wait_serving(&mut self, mut child: Child) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Err(format!("(exited: {status})\n{}", self.log()));
            }
            if sip_raw::ping(self.sip_addr(), Duration::from_millis(200)) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("(no OPTIONS answer in 20 s)\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The base URL of the running gateway's metrics listener (`http://127.0.0.1:PORT`), from
    /// the line `serve` prints at start.
    pub fn metrics_url(&self) -> String {
        let log = self.log();
        let at = log
            .find("faxvox: metrics on ")
            .unwrap_or_else(|| panic!("no metrics listener in the log:\n{log}"));
        log[at + "faxvox: metrics on ".len()..]
            .lines()
            .next()
            .unwrap()
            .trim()
            .to_string()
    }

    /// Appends a `[trunk]` section to the configuration: `uri`, then `extra` lines as is.
    pub fn add_trunk(&self, uri: &str, extra: &str) {
        let mut config = std::fs::read_to_string(&self.config).unwrap();
        config.push_str(&format!("\n[trunk]\nuri = {uri:?}\n{extra}"));
        std::fs::write(&self.config, config).unwrap();
    }

    /// Appends `text` (whole sections) to the configuration file.
    pub fn append_config(&self, text: &str) {
        let mut config = std::fs::read_to_string(&self.config).unwrap();
        config.push_str(text);
        std::fs::write(&self.config, config).unwrap();
    }

    /// `faxvox rates import` of a one-line deck: France (33) at `price` € a page.
    pub fn rate_france(&self, price: &str) {
        self.write(
            "rates.csv",
            format!("prefix,country,price_per_page,valid_from\n33,France,{price},2020-01-01\n")
                .as_bytes(),
        );
        self.ok(&["rates", "import", "rates.csv"]);
    }

    /// Sends a signal (`"HUP"`, `"TERM"`…) to the running `serve`.
    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("serve is running").id();
        let ok = Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} {pid}");
    }

    /// Waits up to `within` for `serve` to exit; its status, or `None` if it still runs.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits up to `within` for `needle` in the log.
    pub fn wait_log(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// True while the `serve` process runs.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// Asserts the gateway is still running (did not crash) and answers OPTIONS.
    pub fn assert_alive(&mut self, what: &str) {
        if !self.is_running() {
            self.printed = true;
            panic!("{what}: faxvox serve is gone:\n{}", self.log());
        }
        assert!(
            sip_raw::ping(self.sip_addr(), Duration::from_secs(2)),
            "{what}: faxvox serve no longer answers OPTIONS"
        );
    }

    /// The file `serve` logs to.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Prints the log to stderr (shown by the test harness when the test fails).
    pub fn print_log(&mut self) {
        self.printed = true;
        eprintln!(
            "===== faxvox serve log ({}) =====\n{}\n===== end of log =====",
            self.log_path.display(),
            self.log()
        );
    }

    /// Runs `faxvox call ARGS…` as the test caller: its own RTP range, an ephemeral SIP port.
    pub fn call(&self, args: &[&str]) -> CallRun {
        self.call_slot(0, 1, args)
    }

    /// Like [`Gateway::call`] for callers running at the same time: the caller RTP range
    /// (`sip.rtp_ports`, used if the caller takes its media ports from there rather than from
    /// `--bind`) is split in `slots` parts and this one gets part `slot`, so parallel callers
    /// never race for the same ports.
    pub fn call_slot(&self, slot: u16, slots: u16, args: &[&str]) -> CallRun {
        let per = (self.caller_rtp.1 - self.caller_rtp.0 + 1) / slots.max(1);
        let lo = self.caller_rtp.0 + slot * per;
        let hi = lo + per - 1;
        // `call fax|voice --timeout-secs 45 …`: a hung call fails the test instead of hanging it.
        let mut full = vec!["call"];
        full.extend_from_slice(&args[..1]);
        full.extend_from_slice(&["--timeout-secs", "45"]);
        full.extend_from_slice(&args[1..]);
        let output = self
            .command(&full)
            .env("FAXVOX_SIP_LISTEN", "127.0.0.1:0")
            .env("FAXVOX_SIP_RTP_PORTS", format!("{lo}-{hi}"))
            .env("FAXVOX_SIP_MEDIA_IP", "127.0.0.1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        eprintln!("faxvox call {args:?}: {}\n{stdout}", output.status);
        CallRun {
            output,
            stdout,
            stderr,
        }
    }

    /// The call detail records so far (empty when the table does not exist yet).
    pub fn call_records(&self) -> Vec<CallRecord> {
        use sqlx::Row;
        let db = self.path().join("faxvox.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .read_only(true);
            let Ok(pool) = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
            else {
                return Vec::new();
            };
            let text = |c: &str| format!("CAST({c} AS TEXT) AS {c}");
            let cols = [
                "call_id", "kind", "called", "caller", "line", "account", "status", "reason",
            ];
            let sql = format!(
                "SELECT {} FROM call_records ORDER BY id",
                cols.iter().map(|c| text(c)).collect::<Vec<_>>().join(", ")
            );
            let rows = sqlx::query(&sql).fetch_all(&pool).await.unwrap_or_default();
            let records = rows
                .iter()
                .map(|r| {
                    let g = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
                    CallRecord {
                        call_id: g("call_id"),
                        kind: g("kind"),
                        called: g("called"),
                        caller: g("caller"),
                        line: g("line"),
                        account: g("account"),
                        status: g("status"),
                        reason: g("reason"),
                    }
                })
                .collect();
            pool.close().await;
            records
        })
    }

    /// Every call record's hang-up time and job (see [`CallTimes`]).
    pub fn call_times(&self) -> Vec<CallTimes> {
        use sqlx::Row;
        let db = self.path().join("faxvox.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .read_only(true);
            let Ok(pool) = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await
            else {
                return Vec::new();
            };
            let sql = "SELECT call_id, kind, job_id, answered, duration_ms FROM call_records \
                       ORDER BY id";
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap_or_default();
            let times = rows
                .iter()
                .map(|r| {
                    let answered: Option<String> = r.try_get("answered").ok().flatten();
                    let ms: i64 = r.try_get("duration_ms").unwrap_or(0);
                    CallTimes {
                        call_id: r.try_get("call_id").unwrap_or_default(),
                        kind: r.try_get("kind").unwrap_or_default(),
                        job_id: r.try_get("job_id").ok().flatten(),
                        ended: answered
                            .as_deref()
                            .and_then(faxvox_spool::parse_rfc3339)
                            .map(|a| a + Duration::from_millis(ms.max(0) as u64)),
                    }
                })
                .collect();
            pool.close().await;
            times
        })
    }

    /// Waits until a call record satisfies `pred` (or `timeout` passes); returns it.
    pub fn wait_record(
        &self,
        timeout: Duration,
        pred: impl Fn(&CallRecord) -> bool,
    ) -> Option<CallRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.call_records().into_iter().find(|r| pred(r)) {
                return Some(r);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the call records as a whole satisfy `pred` (or `timeout` passes); returns
    /// them either way. A record is written after its message is committed, so it may come
    /// after the email: tests wait for it instead of reading once.
    pub fn wait_records(
        &self,
        timeout: Duration,
        pred: impl Fn(&[CallRecord]) -> bool,
    ) -> Vec<CallRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            let records = self.call_records();
            if pred(&records) || Instant::now() > deadline {
                return records;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the gateway (SIGKILL; the tests do not depend on a graceful stop).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() && !self.printed {
            self.print_log();
        }
    }
}

/// Waits until the sink holds a message satisfying `pred`, up to `timeout`.
pub fn wait_mail(
    sink: &SmtpSink,
    timeout: Duration,
    pred: impl Fn(&Received) -> bool,
) -> Option<Received> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(m) = sink.messages().into_iter().find(|m| pred(m)) {
            return Some(m);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// True when the message was sent to `addr` (envelope recipient).
pub fn sent_to(m: &Received, addr: &str) -> bool {
    m.rcpt_tos().iter().any(|r| r.eq_ignore_ascii_case(addr))
}

/// The first attachment whose content type starts with `prefix` (e.g. "audio/", "application/pdf").
pub fn attachment(m: &Received, prefix: &str) -> Option<(String, String, Vec<u8>)> {
    m.python_attachments()
        .into_iter()
        .find(|(_, ct, _)| ct.to_ascii_lowercase().starts_with(prefix))
}

/// Summary of every stored message, for failure messages.
pub fn describe_mail(sink: &SmtpSink) -> String {
    sink.messages()
        .iter()
        .map(|m| {
            format!(
                "to {:?} subject {:?} attachments {:?}",
                m.rcpt_tos(),
                m.python_header("subject"),
                m.python_attachments()
                    .iter()
                    .map(|(n, ct, b)| format!("{n} {ct} {} bytes", b.len()))
                    .collect::<Vec<_>>()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
