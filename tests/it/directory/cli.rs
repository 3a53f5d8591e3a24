//! `faxvox account …` and `faxvox line …` as an operator runs them: the real binary, a real
//! SQLite file chosen by `FAXVOX_DATABASE_URL` (or the default `sqlite://var/faxvox.db`
//! relative to the working folder), JSON and table output, one-line errors with a non-zero
//! exit code. What the CLI writes is read back through the library, as the gateway would.

use std::path::Path;
use std::process::{Command, Output};

use faxvox::directory::{Directory, LineKind};
use serde_json::Value;

/// Runs `faxvox ARGS` in `cwd` with an empty configuration file, so no host configuration
/// leaks in; `db` sets `FAXVOX_DATABASE_URL` when given.
fn faxvox(cwd: &Path, db: Option<&str>, args: &[&str]) -> Output {
    let config = cwd.join("empty.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
    cmd.current_dir(cwd).env_remove("RUST_LOG").args(args);
    // Every FAXVOX_* variable is a configuration override: start from none.
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("FAXVOX_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("FAXVOX_CONFIG", &config);
    if let Some(db) = db {
        cmd.env("FAXVOX_DATABASE_URL", db);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs and expects success; returns stdout.
fn ok(cwd: &Path, db: &str, args: &[&str]) -> String {
    let o = faxvox(cwd, Some(db), args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    stdout(&o)
}

/// Runs and expects a one-line `faxvox: error: …` containing `needle`, exit code 1, nothing on
/// stdout.
fn fails(cwd: &Path, db: &str, args: &[&str], needle: &str) {
    let o = faxvox(cwd, Some(db), args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(stdout(&o), "", "{args:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
    assert!(err.starts_with("faxvox: error: "), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: `{needle}` not in: {err}");
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn accounts_and_lines_round_trip_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let db = format!("sqlite://{}/data/x.db", cwd.display());

    let out = ok(
        cwd,
        &db,
        &[
            "account",
            "add",
            "zoe",
            "--email",
            "zoe@cabinet-lefevre.fr",
            "--email",
            "Secretariat@Cabinet-Lefevre.FR",
            "--name",
            "Zoé Lefèvre",
            "--locale",
            "en",
            "--timezone",
            "america/martinique",
        ],
    );
    assert!(
        out.contains("account zoe created (en, America/Martinique)"),
        "{out}"
    );
    assert!(cwd.join("data/x.db").is_file(), "file and folder created");
    // Defaults: fr, Europe/Paris.
    ok(
        cwd,
        &db,
        &["account", "add", "acme", "--email", "fax@acme.example"],
    );

    ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "+33 2 53 43 75 55",
            "--account",
            "zoe",
            "--kind",
            "fax",
        ],
    );
    ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "0033.2.53.43.75.56",
            "--account",
            "zoe",
            "--kind",
            "voicemail",
        ],
    );
    let out = ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "+33 1 40 00 00 01",
            "--account",
            "zoe",
            "--kind",
            "alias",
            "--target",
            "+33-2-53-43-75-55",
        ],
    );
    assert_eq!(
        out,
        "line +33140000001 alias of +33253437555 added to account zoe\n"
    );
    ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "+44 20 7946 0958",
            "--account",
            "acme",
            "--kind",
            "fax",
        ],
    );

    // account list --json: stable fields, UTF-8 intact, emails in order, domains lower-cased.
    let list = json(&ok(cwd, &db, &["account", "list", "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], "acme");
    assert_eq!(list[0]["name"], Value::Null);
    assert_eq!(list[0]["locale"], "fr");
    assert_eq!(list[0]["time_zone"], "Europe/Paris");
    let zoe = &list[1];
    let mut keys: Vec<&str> = zoe
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "emails",
            "id",
            "locale",
            "name",
            "state",
            "time_zone"
        ]
    );
    assert_eq!(zoe["name"], "Zoé Lefèvre");
    assert_eq!(zoe["locale"], "en");
    assert_eq!(zoe["time_zone"], "America/Martinique");
    assert_eq!(zoe["state"], "active");
    assert_eq!(
        zoe["emails"],
        serde_json::json!(["zoe@cabinet-lefevre.fr", "Secretariat@cabinet-lefevre.fr"])
    );

    // account show --json: the account plus its lines.
    let show = json(&ok(cwd, &db, &["account", "show", "zoe", "--json"]));
    assert_eq!(show["name"], "Zoé Lefèvre");
    let lines: Vec<(&str, &str)> = show["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["number"].as_str().unwrap(), l["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("+33140000001", "alias"),
            ("+33253437555", "fax"),
            ("+33253437556", "voicemail")
        ]
    );

    // line list --json.
    let lines = json(&ok(cwd, &db, &["line", "list", "--json"]));
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["number"], "+33140000001");
    assert_eq!(lines[0]["kind"], "alias");
    assert_eq!(lines[0]["target"], "+33253437555");
    assert_eq!(lines[0]["account"], "zoe");
    assert_eq!(lines[0]["greeting"], Value::Null);
    assert_eq!(lines[3]["number"], "+442079460958");
    assert_eq!(lines[3]["target"], Value::Null);

    // Human output: aligned tables, UTF-8 names counted as characters.
    let table = ok(cwd, &db, &["account", "list"]);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].starts_with("ID    NAME         LOCALE  TIME ZONE"),
        "{table}"
    );
    assert!(
        rows[2].starts_with("zoe   Zoé Lefèvre  en      America/Martinique  active  3"),
        "{table}"
    );
    assert!(rows[2].ends_with("zoe@cabinet-lefevre.fr, Secretariat@cabinet-lefevre.fr"));
    let table = ok(cwd, &db, &["line", "list"]);
    assert!(
        table.contains("+33140000001   alias      zoe      +33253437555"),
        "{table}"
    );
    let show = ok(cwd, &db, &["account", "show", "zoe"]);
    assert!(show.contains("name       Zoé Lefèvre\n"), "{show}");
    assert!(
        show.contains("lines      +33140000001 alias of +33253437555\n"),
        "{show}"
    );
    assert!(
        show.contains("           Secretariat@cabinet-lefevre.fr\n"),
        "{show}"
    );

    // What the CLI wrote is what the gateway reads.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = Directory::open(&db).await.unwrap();
        let route = dir.resolve("+33140000001").await.unwrap().unwrap();
        assert_eq!(route.line.number, "+33253437555");
        assert_eq!(route.line.kind, LineKind::Fax);
        assert_eq!(route.account.id, "zoe");
        assert_eq!(route.account.display_name(), "Zoé Lefèvre");
        dir.close().await;
    });
}

#[test]
fn invalid_input_gives_one_clear_line_and_exit_code_1() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let db = format!("sqlite://{}/x.db", cwd.display());
    ok(
        cwd,
        &db,
        &["account", "add", "zoe", "--email", "zoe@example.fr"],
    );
    ok(
        cwd,
        &db,
        &["account", "add", "acme", "--email", "fax@acme.example"],
    );
    ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "+33253437555",
            "--account",
            "zoe",
            "--kind",
            "fax",
        ],
    );
    ok(
        cwd,
        &db,
        &[
            "line",
            "add",
            "+33140000001",
            "--account",
            "zoe",
            "--kind",
            "alias",
            "--target",
            "+33253437555",
        ],
    );

    let add = |id: &'static str, extra: &[&'static str]| {
        let mut v = vec!["account", "add", id];
        v.extend_from_slice(extra);
        v
    };
    fails(
        cwd,
        &db,
        &add("zoe", &["--email", "z@x.fr"]),
        "account `zoe` already exists",
    );
    fails(
        cwd,
        &db,
        &add("new", &["--email", "zoe.example.fr"]),
        "invalid email address `zoe.example.fr`: it has no `@`",
    );
    fails(
        cwd,
        &db,
        &add("new", &["--email", "zoe@example"]),
        "the domain has no dot",
    );
    fails(
        cwd,
        &db,
        &add("new", &["--email", "a@b.fr", "--timezone", "Europe/Lyon"]),
        "unknown time zone `Europe/Lyon`",
    );
    fails(
        cwd,
        &db,
        &add("new", &["--email", "a@b.fr", "--locale", "de"]),
        "invalid locale `de`",
    );
    fails(
        cwd,
        &db,
        &add("bad id", &["--email", "a@b.fr"]),
        "invalid account id `bad id`",
    );
    fails(
        cwd,
        &db,
        &add("new", &["--email", "a@b.fr", "--email", "a@B.fr"]),
        "given twice",
    );

    let line = |number: &'static str, extra: &[&'static str]| {
        let mut v = vec!["line", "add", number];
        v.extend_from_slice(extra);
        v
    };
    fails(
        cwd,
        &db,
        &line("+33 2 FAX", &["--account", "zoe", "--kind", "fax"]),
        "invalid number `+33 2 FAX`: it contains the letter `F`",
    );
    fails(
        cwd,
        &db,
        &line("02 53 43 75 57", &["--account", "zoe", "--kind", "fax"]),
        "international form",
    );
    fails(
        cwd,
        &db,
        &line("+3325343755712345", &["--account", "zoe", "--kind", "fax"]),
        "too long",
    );
    fails(
        cwd,
        &db,
        &line("0033 2 53 43 75 55", &["--account", "zoe", "--kind", "fax"]),
        "line +33253437555 already exists",
    );
    fails(
        cwd,
        &db,
        &line("+33253437557", &["--account", "nobody", "--kind", "fax"]),
        "unknown account `nobody`",
    );
    fails(
        cwd,
        &db,
        &line("+33253437557", &["--account", "zoe", "--kind", "sms"]),
        "invalid line kind `sms`",
    );
    fails(
        cwd,
        &db,
        &line("+33253437557", &["--account", "zoe", "--kind", "alias"]),
        "needs a target number",
    );
    fails(
        cwd,
        &db,
        &line(
            "+33253437557",
            &[
                "--account",
                "zoe",
                "--kind",
                "alias",
                "--target",
                "+33299999999",
            ],
        ),
        "target +33299999999 is not a line",
    );
    fails(
        cwd,
        &db,
        &line(
            "+33253437557",
            &[
                "--account",
                "zoe",
                "--kind",
                "alias",
                "--target",
                "+33140000001",
            ],
        ),
        "is itself an alias (of +33253437555)",
    );
    fails(
        cwd,
        &db,
        &line(
            "+33253437557",
            &[
                "--account",
                "acme",
                "--kind",
                "alias",
                "--target",
                "+33253437555",
            ],
        ),
        "belongs to account `zoe`",
    );
    fails(
        cwd,
        &db,
        &line(
            "+33253437557",
            &[
                "--account",
                "zoe",
                "--kind",
                "fax",
                "--target",
                "+33253437555",
            ],
        ),
        "only aliases take a target",
    );
    fails(
        cwd,
        &db,
        &["account", "show", "nobody"],
        "unknown account `nobody`",
    );
    fails(
        cwd,
        "mysql://localhost/faxvox",
        &["account", "list"],
        "unsupported database URL",
    );

    // Nothing of the above was written.
    let accounts = json(&ok(cwd, &db, &["account", "list", "--json"]));
    assert_eq!(accounts.as_array().unwrap().len(), 2);
    let lines = json(&ok(cwd, &db, &["line", "list", "--json"]));
    assert_eq!(lines.as_array().unwrap().len(), 2);

    // Without --email clap refuses before anything runs.
    let o = faxvox(cwd, Some(&db), &["account", "add", "new"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--email"), "{}", stderr(&o));
}

#[test]
fn default_database_is_created_under_var_relative_to_the_working_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let o = faxvox(cwd, None, &["account", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("no accounts"), "{}", stdout(&o));
    assert!(cwd.join("var/faxvox.db").is_file());
    let o = faxvox(
        cwd,
        None,
        &["account", "add", "zoe", "--email", "zoe@example.fr"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Same file on the next run; an empty list prints `[]` in JSON.
    let o = faxvox(cwd, None, &["line", "list", "--json"]);
    assert_eq!(stdout(&o).trim(), "[]");
    let o = faxvox(cwd, None, &["account", "list", "--json"]);
    assert_eq!(json(&stdout(&o))[0]["id"], "zoe");
}
