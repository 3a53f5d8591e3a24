//! Email-to-fax sender allow-lists: through the library on SQLite and PostgreSQL (an exact
//! address beats its domain, one account per pattern, the caller id a fax line of the
//! account, a removed account's entries gone with it), and `faxvox account sender
//! add|list|remove` through the binary with one-line errors.

use std::path::Path;
use std::process::{Command, Output};

use faxvox::directory::{DirectoryError, LineKind, NewLine};
use serde_json::Value;

use crate::on_both;
use crate::support::billing_db;

async fn allow_lists(url: &str) {
    let (dir, _billing) = billing_db::open(url, &["alice", "bob"]).await;
    for (number, account, kind) in [
        ("+33299001122", "alice", LineKind::Fax),
        ("+33299001123", "alice", LineKind::Fax),
        ("+33299001124", "alice", LineKind::Voicemail),
        ("+33299001130", "bob", LineKind::Fax),
    ] {
        dir.add_line(&NewLine {
            number: number.into(),
            account: account.into(),
            kind,
            target: None,
        })
        .await
        .unwrap();
    }
    dir.add_sender("alice", "*@ACME.example", None)
        .await
        .unwrap();
    dir.add_sender("alice", "boss@acme.example", Some("+33 2 99 00 11 23"))
        .await
        .unwrap();
    dir.add_sender("bob", "bob@bob.example", None)
        .await
        .unwrap();

    let m = dir
        .match_sender("Boss@Acme.Example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.account_id.as_str(), m.pattern.as_str(), m.line.as_deref()),
        ("alice", "boss@acme.example", Some("+33299001123"))
    );
    let m = dir
        .match_sender("clerk@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((m.pattern.as_str(), m.line), ("*@acme.example", None));
    assert!(dir
        .match_sender("eve@evil.example")
        .await
        .unwrap()
        .is_none());
    assert!(dir.match_sender("x@bob.example").await.unwrap().is_none());

    assert!(matches!(
        dir.add_sender("bob", "*@acme.example", None).await,
        Err(DirectoryError::SenderTaken { holder, .. }) if holder == "alice"
    ));
    for line in ["+33299001124", "+33299001130", "+33299009999"] {
        assert!(matches!(
            dir.add_sender("alice", "new@acme.example", Some(line))
                .await,
            Err(DirectoryError::SenderLineNotFax { .. })
        ));
    }
    assert!(matches!(
        dir.add_sender("alice", "a*b@acme.example", None).await,
        Err(DirectoryError::InvalidSenderPattern { .. })
    ));
    let list = dir.list_senders("alice").await.unwrap();
    let patterns: Vec<&str> = list.iter().map(|e| e.pattern.as_str()).collect();
    assert_eq!(patterns, ["*@acme.example", "boss@acme.example"]);
    dir.remove_sender("alice", "*@acme.example").await.unwrap();
    assert!(dir
        .match_sender("clerk@acme.example")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        dir.remove_sender("bob", "boss@acme.example").await,
        Err(DirectoryError::UnknownSender(..))
    ));
    dir.close().await;
}

on_both!(allow_lists, allow_lists_sqlite, allow_lists_postgres);

/// Runs `faxvox ARGS` in `cwd` on the SQLite database there, with an empty configuration.
fn faxvox(cwd: &Path, args: &[&str]) -> Output {
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
    cmd.env("FAXVOX_CONFIG", &config).env(
        "FAXVOX_DATABASE_URL",
        format!("sqlite://{}", cwd.join("faxvox.db").display()),
    );
    cmd.output().unwrap()
}

fn ok(cwd: &Path, args: &[&str]) -> String {
    let o = faxvox(cwd, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{args:?} failed: {err}");
    String::from_utf8(o.stdout).unwrap()
}

/// Expects exit code 1 and one line `faxvox: error: …` containing `needle`.
fn fails(cwd: &Path, args: &[&str], needle: &str) {
    let o = faxvox(cwd, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "", "{args:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
    assert!(err.starts_with("faxvox: error: "), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: `{needle}` not in: {err}");
}

#[test]
fn account_sender_add_list_remove_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    ok(
        cwd,
        &["account", "add", "acme", "--email", "fax@acme.example"],
    );
    ok(
        cwd,
        &["account", "add", "other", "--email", "fax@other.example"],
    );
    // No fax line yet: allowed, with a hint.
    let out = ok(cwd, &["account", "sender", "add", "acme", "*@Acme.Example"]);
    assert!(
        out.contains("*@acme.example may fax by email once the account has a fax line"),
        "{out}"
    );
    ok(
        cwd,
        &[
            "line",
            "add",
            "+33299001122",
            "--account",
            "acme",
            "--kind",
            "fax",
        ],
    );
    ok(
        cwd,
        &[
            "line",
            "add",
            "+33299001123",
            "--account",
            "acme",
            "--kind",
            "fax",
        ],
    );
    ok(
        cwd,
        &[
            "line",
            "add",
            "+33299001124",
            "--account",
            "acme",
            "--kind",
            "voicemail",
        ],
    );
    let out = ok(
        cwd,
        &["account", "sender", "add", "acme", "alice@acme.example"],
    );
    assert_eq!(
        out,
        "account acme: alice@acme.example may fax by email, caller id +33299001122 (the first fax line)\n"
    );
    let out = ok(
        cwd,
        &[
            "account",
            "sender",
            "add",
            "acme",
            "boss@acme.example",
            "--line",
            "+33 2 99 00 11 23",
        ],
    );
    assert_eq!(
        out,
        "account acme: boss@acme.example may fax by email, caller id +33299001123\n"
    );

    fails(
        cwd,
        &["account", "sender", "add", "other", "*@acme.example"],
        "*@acme.example is already an allowed sender of account `acme`",
    );
    fails(
        cwd,
        &["account", "sender", "add", "acme", "alice@acme.example"],
        "already an allowed sender of account `acme`",
    );
    fails(
        cwd,
        &["account", "sender", "add", "acme", "al*ce@acme.example"],
        "invalid sender pattern `al*ce@acme.example`",
    );
    fails(
        cwd,
        &["account", "sender", "add", "acme", "acme.example"],
        "invalid sender pattern",
    );
    fails(
        cwd,
        &[
            "account",
            "sender",
            "add",
            "acme",
            "x@acme.example",
            "--line",
            "+33299001124",
        ],
        "+33299001124 is not a fax line of account `acme`",
    );
    fails(
        cwd,
        &["account", "sender", "add", "nobody", "x@acme.example"],
        "unknown account `nobody`",
    );

    let list: Value =
        serde_json::from_str(&ok(cwd, &["account", "sender", "list", "acme", "--json"])).unwrap();
    let rows: Vec<(String, Value)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pattern"].as_str().unwrap().to_string(),
                e["line"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("*@acme.example".to_string(), Value::Null),
            ("alice@acme.example".to_string(), Value::Null),
            ("boss@acme.example".to_string(), "+33299001123".into()),
        ]
    );
    let table = ok(cwd, &["account", "sender", "list", "acme"]);
    assert!(table.starts_with("PATTERN"), "{table}");
    assert!(table.contains("first fax line"), "{table}");
    let empty = ok(cwd, &["account", "sender", "list", "other"]);
    assert!(empty.contains("has no email-to-fax senders"), "{empty}");

    let out = ok(
        cwd,
        &["account", "sender", "remove", "acme", "BOSS@acme.example"],
    );
    assert_eq!(
        out,
        "account acme: boss@acme.example may no longer fax by email\n"
    );
    fails(
        cwd,
        &["account", "sender", "remove", "acme", "boss@acme.example"],
        "boss@acme.example is not an allowed sender of account `acme`",
    );
    // Now free for another account.
    ok(
        cwd,
        &["account", "sender", "add", "other", "boss@acme.example"],
    );
}
