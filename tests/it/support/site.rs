//! One isolated faxvox installation for end-to-end tests of the binary: database, spool,
//! Maildir and working folder in a temporary directory, configured only through `FAXVOX_*`
//! variables (whatever the developer's environment holds is removed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The fax line every site gets, owned by account `acme`.
pub const FAX_LINE: &str = "+33299001122";

pub struct Site {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Site {
    /// An installation with account `acme` (display name "Cabinet Lefèvre", the given email
    /// addresses) and its fax line [`FAX_LINE`]; mail goes to the site's Maildir until
    /// `FAXVOX_SMTP_URL` is set.
    pub fn with_account(emails: &[&str]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let env = vec![
            (
                "FAXVOX_DATABASE_URL".to_string(),
                format!("sqlite://{}", p.join("faxvox.db").display()),
            ),
            (
                "FAXVOX_SPOOL_DIR".to_string(),
                p.join("spool").display().to_string(),
            ),
            // These tests are not about the disk guard (the spool's own tests are): do not
            // let the build machine's free space decide them.
            (
                "FAXVOX_SPOOL_HIGH_WATER_PERCENT".to_string(),
                "99".to_string(),
            ),
            (
                "FAXVOX_DELIVERY_MAILDIR".to_string(),
                p.join("maildir").display().to_string(),
            ),
            (
                "FAXVOX_SMTP_FROM".to_string(),
                "Fax <fax@gw.example>".into(),
            ),
        ];
        let site = Site { dir, env };
        let mut args = vec!["account", "add", "acme"];
        for e in emails {
            args.extend(["--email", e]);
        }
        args.extend(["--name", "Cabinet Lefèvre"]);
        site.ok(&args);
        site.ok(&[
            "line",
            "add",
            FAX_LINE,
            "--account",
            "acme",
            "--kind",
            "fax",
        ]);
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The spool's jobs as `faxvox spool list --json` prints them.
    pub fn jobs(&self) -> Vec<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["spool", "list", "--json"])).unwrap();
        v.as_array().unwrap().clone()
    }

    /// Sets (or replaces) one `FAXVOX_*` variable for later commands.
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
        cmd.args(args).current_dir(self.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("FAXVOX_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "info");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs faxvox, asserts success and returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "faxvox {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}
