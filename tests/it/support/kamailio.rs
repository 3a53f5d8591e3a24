//! Kamailio (Debian package `kamailio`) with the repository's dispatcher configuration
//! (`deploy/kamailio/kamailio.cfg`) in front of test gateways: unprivileged, in the
//! foreground, everything it writes in a temporary folder, listening on 127.0.0.2 so its port
//! never clashes with the gateways' on 127.0.0.1. Its OPTIONS probes run every second. Stopped
//! (its whole process group) on drop; its log is printed when the test fails.

use std::fs::File;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::peers;

pub struct Kamailio {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Where calls are sent: `sip:NUMBER@127.0.0.2:PORT`.
    pub addr: SocketAddr,
    log_path: PathBuf,
}

/// A dispatcher target as `kamcmd dispatcher.list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub uri: String,
    /// `AP` active (and probed), `IP` taken out and probed, …
    pub flags: String,
}

impl Kamailio {
    /// Starts Kamailio dispatching to `nodes` (SIP over UDP) and waits until it answers OPTIONS.
    /// `None` (test skipped) when Kamailio is not installed and peers are not required.
    pub fn start(nodes: &[SocketAddr]) -> Option<Kamailio> {
        let bin = match sbin("kamailio") {
            Some(bin) => bin,
            None => peers::require("kamailio", "kamailio")?,
        };
        let mut dir = tempfile::tempdir().unwrap();
        let list: String = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("1 sip:{n} 0 0 duid=node{}\n", i + 1))
            .collect();
        std::fs::write(dir.path().join("dispatcher.list"), list).unwrap();
        let cfg = peers::repo().join("deploy/kamailio/kamailio.cfg");
        for _ in 0..4 {
            let port = {
                let s = UdpSocket::bind("127.0.0.2:0").unwrap();
                s.local_addr().unwrap().port()
            };
            let addr = SocketAddr::from(([127, 0, 0, 2], port));
            let log_path = dir.path().join("kamailio.log");
            let log = File::create(&log_path).unwrap();
            let d = dir.path().display();
            let mut cmd = Command::new(&bin);
            cmd.arg("-f")
                .arg(&cfg)
                .args(["-DD", "-E", "-m", "16", "-M", "4"])
                .arg("-Y")
                .arg(dir.path())
                .arg("-P")
                .arg(dir.path().join("kamailio.pid"))
                .arg("-A")
                .arg(format!("LISTEN=udp:{addr}"))
                .arg("-A")
                .arg(format!("DS_LIST=\"{d}/dispatcher.list\""))
                .arg("-A")
                .arg(format!("CTL_SOCKET=\"unix:{d}/ctl\""))
                .args(["-A", "DS_PING_INTERVAL=1", "-A", "CHILDREN=2"])
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log));
            // Its own process group: the workers are stopped with it.
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let child = cmd.spawn().expect("spawn kamailio");
            let mut k = Kamailio {
                dir,
                child: Some(child),
                addr,
                log_path,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if super::sip_raw::ping(addr, Duration::from_millis(200)) {
                    return Some(k);
                }
                let exited = k.child.as_mut().unwrap().try_wait().unwrap().is_some();
                if exited || Instant::now() > deadline {
                    let log = k.log();
                    k.stop();
                    if exited && log.contains("Address already in use") {
                        dir = std::mem::replace(&mut k.dir, tempfile::tempdir().unwrap());
                        break;
                    }
                    panic!("kamailio did not come up on {addr}:\n{log}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("kamailio: no usable port on 127.0.0.2");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `sip:NUMBER@ADDR`.
    pub fn uri(&self, number: &str) -> String {
        format!("sip:{number}@{}", self.addr)
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The dispatcher's targets and their state (`kamcmd dispatcher.list`).
    pub fn targets(&self) -> Vec<Target> {
        let kamcmd = sbin("kamcmd").unwrap_or_else(|| PathBuf::from("kamcmd"));
        let out = Command::new(kamcmd)
            .arg("-s")
            .arg(format!("unix:{}/ctl", self.path().display()))
            .arg("dispatcher.list")
            .output()
            .expect("run kamcmd");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut targets = Vec::new();
        let mut uri = None;
        for line in text.lines().map(str::trim) {
            if let Some(u) = line.strip_prefix("URI:") {
                uri = Some(u.trim().to_string());
            } else if let Some(f) = line.strip_prefix("FLAGS:") {
                if let Some(uri) = uri.take() {
                    targets.push(Target {
                        uri,
                        flags: f.trim().to_string(),
                    });
                }
            }
        }
        targets
    }

    /// Waits until the target `node` has `flags` (e.g. `AP` once its probe succeeded).
    pub fn wait_target(&self, node: SocketAddr, flags: &str, within: Duration) -> bool {
        let uri = format!("sip:{node}");
        let deadline = Instant::now() + within;
        loop {
            if self
                .targets()
                .iter()
                .any(|t| t.uri == uri && t.flags == flags)
            {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops Kamailio and its workers (SIGTERM to the group, SIGKILL if it lingers).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let quiet = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        quiet("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        quiet("-KILL");
        let _ = child.wait();
    }
}

/// Debian installs Kamailio's programs in /usr/sbin, which is not on every user's PATH.
fn sbin(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/sbin").join(name);
    path.is_file().then_some(path)
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("===== kamailio log =====\n{}\n===== end =====", self.log());
        }
    }
}
