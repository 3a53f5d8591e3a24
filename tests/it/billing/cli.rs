//! `faxvox rates …`, `faxvox billing …` and `faxvox account suspend|restrict|activate` as an
//! operator runs them: the real binary on a SQLite file (and on a fresh PostgreSQL database
//! when `TEST_POSTGRES_URL` is set), what it wrote read back through the library.

use crate::on_both;
use crate::support::billing_db;

use std::path::Path;
use std::process::{Command, Output};
use std::time::SystemTime;

use billing_db::{at, money};
use faxvox::billing::{AccountState, Billing};
use faxvox::directory::Directory;
use serde_json::Value;

/// Runs `faxvox ARGS` in `cwd` with an empty configuration file and `db` as the database.
fn faxvox(cwd: &Path, db: &str, args: &[&str]) -> Output {
    let config = cwd.join("empty.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
    cmd.current_dir(cwd).env_remove("RUST_LOG").args(args);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("FAXVOX_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("FAXVOX_CONFIG", &config)
        .env("FAXVOX_DATABASE_URL", db)
        .env("USER", "ops-alice")
        // PostgreSQL's "already exists, skipping" notices of migrations are logged at info.
        .env("FAXVOX_LOG_LEVEL", "warn");
    cmd.output().unwrap()
}

fn ok(cwd: &Path, db: &str, args: &[&str]) -> String {
    let o = faxvox(cwd, db, args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Expects exit code 1 and one error line containing every needle.
fn fails(cwd: &Path, db: &str, args: &[&str], needles: &[&str]) {
    let o = faxvox(cwd, db, args);
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: `{needle}` not in: {err}");
    }
}

async fn cli(url: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    ok(
        cwd,
        url,
        &["account", "add", "acme", "--email", "fax@acme.example"],
    );

    // A bad deck: every bad line named, nothing imported (not even the good lines).
    std::fs::write(
        cwd.join("bad.csv"),
        "prefix,country,price_per_page,valid_from\n\
         33,France,0.06,2026-01-01\n\
         336,France mobile,0.0.9,2026-01-01\n\
         39,Italy,0.05,2026-01-01\n\
         abc,Nowhere,0.05,2026-13-01\n",
    )
    .unwrap();
    fails(
        cwd,
        url,
        &["rates", "import", "bad.csv"],
        &[
            "bad.csv",
            "not imported",
            "line 3:",
            "line 5:",
            "prefix `abc`",
        ],
    );
    assert!(ok(cwd, url, &["rates", "list"]).starts_with("no rates"));

    // A good deck (quoted country with a comma, + prefix, RFC 3339 date).
    std::fs::write(
        cwd.join("rates.csv"),
        "Prefix,Country,Price_per_page,Valid_from\r\n\
         33,France,0.06,2026-01-01\r\n\
         +336,\"France, mobile\",0.0125,2026-01-01T00:00:00Z\r\n\
         39,Italy,0.05,2026-01-01\r\n",
    )
    .unwrap();
    let out = ok(cwd, url, &["rates", "import", "rates.csv"]);
    assert_eq!(out, "3 rates imported from rates.csv\n");
    let list = ok(cwd, url, &["rates", "list"]);
    assert!(list.contains("+336    0.0125"), "{list}");
    assert!(list.contains("France, mobile"), "{list}");
    let json: Value = serde_json::from_str(&ok(cwd, url, &["rates", "list", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[1]["price_per_page"], "0.0125");

    // Deposit and status.
    let out = ok(
        cwd,
        url,
        &[
            "billing",
            "deposit",
            "acme",
            "20",
            "--note",
            "transfer 2026-118",
        ],
    );
    assert!(
        out.contains("deposit of 20.00 € recorded for acme"),
        "{out}"
    );
    let status: Value =
        serde_json::from_str(&ok(cwd, url, &["billing", "status", "acme", "--json"])).unwrap();
    for (field, want) in [
        ("ceiling", "150.00"),
        ("deposits", "20.00"),
        ("used", "0.00"),
        ("reserved", "0.00"),
        ("remaining", "170.00"),
        ("state", "active"),
    ] {
        assert_eq!(status[field], want, "{field}: {status}");
    }
    let text = ok(cwd, url, &["billing", "status", "acme"]);
    assert!(text.contains("ceiling    150.00 € (default)"), "{text}");

    // Spending seen by the CLI: reserve through the library, as `faxvox send` does.
    let dir = Directory::open(url).await.unwrap();
    let billing = Billing::new(&dir, &billing_db::config("150.00"));
    let now = SystemTime::now();
    let quote = billing.quote("acme", "+33612345678", 4, now).await.unwrap();
    assert_eq!(quote.amount, money("0.05"));
    let r = billing.reserve("acme", "fax-1", &quote, now).await.unwrap();
    let status: Value =
        serde_json::from_str(&ok(cwd, url, &["billing", "status", "acme", "--json"])).unwrap();
    assert_eq!(status["reserved"], "0.05");
    assert_eq!(status["remaining"], "169.95");
    billing.settle(&r.id, 4, now).await.unwrap();

    ok(cwd, url, &["billing", "ceiling", "acme", "10.50"]);
    let status: Value =
        serde_json::from_str(&ok(cwd, url, &["billing", "status", "acme", "--json"])).unwrap();
    assert_eq!(
        (&status["ceiling"], &status["used"], &status["remaining"]),
        (
            &Value::from("10.50"),
            &Value::from("0.05"),
            &Value::from("30.45")
        )
    );
    ok(cwd, url, &["billing", "ceiling", "acme", "--default"]);
    assert_eq!(
        billing.status("acme", now).await.unwrap().ceiling,
        money("150.00")
    );

    fails(
        cwd,
        url,
        &["billing", "deposit", "acme", "1.234567"],
        &["at most four decimals"],
    );
    fails(
        cwd,
        url,
        &["billing", "deposit", "ghost", "5"],
        &["unknown account `ghost`"],
    );
    fails(
        cwd,
        url,
        &["billing", "status", "ghost"],
        &["unknown account `ghost`"],
    );

    // States.
    let out = ok(
        cwd,
        url,
        &["account", "suspend", "acme", "--reason", "unpaid invoice"],
    );
    assert_eq!(out, "account acme is now suspended (was active)\n");
    let status: Value =
        serde_json::from_str(&ok(cwd, url, &["billing", "status", "acme", "--json"])).unwrap();
    assert_eq!(status["state"], "suspended");
    ok(cwd, url, &["account", "restrict", "acme"]);
    ok(
        cwd,
        url,
        &["account", "activate", "acme", "--reason", "paid"],
    );
    let log = billing.state_log("acme").await.unwrap();
    let got: Vec<(AccountState, &str, Option<&str>)> = log
        .iter()
        .map(|c| (c.to, c.by.as_str(), c.reason.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (AccountState::Suspended, "ops-alice", Some("unpaid invoice")),
            (AccountState::Restricted, "ops-alice", None),
            (AccountState::Active, "ops-alice", Some("paid")),
        ]
    );
    fails(
        cwd,
        url,
        &["account", "activate", "ghost"],
        &["unknown account `ghost`"],
    );
    let _ = at;
    dir.close().await;
}
on_both!(cli, cli_sqlite, cli_postgres);

#[test]
fn default_ceiling_is_configurable_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/f.db", tmp.path().display());
    std::fs::write(
        tmp.path().join("c.toml"),
        "[billing]\ndefault_ceiling = \"75.5\"\n",
    )
    .unwrap();
    let run = |config: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_faxvox"))
            .current_dir(tmp.path())
            .env_remove("FAXVOX_BILLING_DEFAULT_CEILING")
            .env("FAXVOX_DATABASE_URL", &url)
            .env("FAXVOX_CONFIG", config)
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(
        "c.toml",
        &["account", "add", "zoe", "--email", "z@example.com"],
    );
    assert!(o.status.success());
    let o = run("c.toml", &["billing", "status", "zoe", "--json"]);
    let status: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(status["ceiling"], "75.50");
    for bad in ["\"lots\"", "\"-1\"", "\"1.00001\""] {
        std::fs::write(
            tmp.path().join("bad.toml"),
            format!("[billing]\ndefault_ceiling = {bad}\n"),
        )
        .unwrap();
        let o = run("bad.toml", &["billing", "status", "zoe"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{bad}: {err}");
        assert!(err.contains("billing.default_ceiling"), "{bad}: {err}");
    }
}
