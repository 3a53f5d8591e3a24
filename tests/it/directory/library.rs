//! Directory library on a real SQLite file: what is written reads back identically after a
//! reopen, aliases resolve to their target line and account, bad input is refused with a
//! clear error and leaves nothing behind, and the schema's own constraints hold.
//!
//! Every scenario also runs on PostgreSQL when `TEST_POSTGRES_URL` points at an empty
//! scratch database (`postgres://user:pass@localhost/faxvox_test`); without it those tests
//! return early.

use faxvox::directory::migrations::MIGRATIONS;
use faxvox::directory::{Directory, DirectoryError, LineKind, Locale, NewAccount, NewLine, Route};
use sqlx::Row;

fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}/{name}", dir.path().display())
}

fn account(id: &str, emails: &[&str]) -> NewAccount {
    NewAccount::new(id, emails.iter().map(|e| e.to_string()).collect())
}

fn line(number: &str, account: &str, kind: LineKind, target: Option<&str>) -> NewLine {
    NewLine {
        number: number.into(),
        account: account.into(),
        kind,
        target: target.map(Into::into),
    }
}

/// The Zoé account with a fax line, a voicemail line and an alias of the fax line.
async fn populate(dir: &Directory) {
    let zoe = dir
        .add_account(&NewAccount {
            id: "zoe".into(),
            name: Some("  Zoé Lefèvre ".into()),
            locale: Locale::En,
            time_zone: "america/martinique".into(),
            emails: vec![
                "Zoe@Cabinet-Lefevre.FR".into(),
                "secretariat@cabinet-lefevre.fr".into(),
            ],
        })
        .await
        .unwrap();
    assert_eq!(zoe.name.as_deref(), Some("Zoé Lefèvre"));
    assert_eq!(zoe.time_zone, "America/Martinique");
    assert_eq!(
        zoe.emails,
        ["Zoe@cabinet-lefevre.fr", "secretariat@cabinet-lefevre.fr"]
    );
    dir.add_account(&account("acme", &["fax@acme.example"]))
        .await
        .unwrap();
    let fax = dir
        .add_line(&line("+33 2 53 43 75 55", "zoe", LineKind::Fax, None))
        .await
        .unwrap();
    assert_eq!(fax.number, "+33253437555");
    dir.add_line(&line(
        "0033.2.53.43.75.56",
        "zoe",
        LineKind::Voicemail,
        None,
    ))
    .await
    .unwrap();
    let alias = dir
        .add_line(&line(
            "+33 (0)1 40 00 00 01",
            "zoe",
            LineKind::Alias,
            Some("0033 2 53 43 75 55"),
        ))
        .await
        .unwrap();
    assert_eq!(alias.number, "+33140000001");
    assert_eq!(alias.target.as_deref(), Some("+33253437555"));
    dir.add_line(&line("+44 20 7946 0958", "acme", LineKind::Fax, None))
        .await
        .unwrap();
}

/// Reads everything back (typed API and raw rows) and checks it is what `populate` wrote.
async fn check_populated(dir: &Directory) {
    let zoe = dir.account("zoe").await.unwrap().expect("zoe exists");
    assert_eq!(zoe.id, "zoe");
    assert_eq!(zoe.name.as_deref(), Some("Zoé Lefèvre"));
    assert_eq!(zoe.display_name(), "Zoé Lefèvre");
    assert_eq!(zoe.locale, Locale::En);
    assert_eq!(zoe.time_zone, "America/Martinique");
    assert_eq!(zoe.state, "active");
    assert_eq!(
        zoe.emails,
        ["Zoe@cabinet-lefevre.fr", "secretariat@cabinet-lefevre.fr"]
    );
    assert!(zoe.created_at.ends_with('Z') && zoe.created_at.len() == 20);
    assert!(zoe.created_at.parse::<jiff::Timestamp>().is_ok());
    assert_eq!(zoe.zone().unwrap().iana_name(), Some("America/Martinique"));

    let acme = dir.account("acme").await.unwrap().unwrap();
    assert_eq!(acme.name, None);
    assert_eq!(acme.display_name(), "acme");
    assert_eq!(acme.locale, Locale::Fr);
    assert_eq!(acme.time_zone, "Europe/Paris");
    assert!(dir.account("nobody").await.unwrap().is_none());
    assert!(
        dir.account("ZOE").await.unwrap().is_none(),
        "ids match exactly"
    );

    let accounts = dir.accounts().await.unwrap();
    assert_eq!(
        accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["acme", "zoe"]
    );
    assert_eq!(accounts[1], zoe);

    let lines = dir.lines().await.unwrap();
    let summary: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l.number.as_str(),
                l.account.as_str(),
                l.kind,
                l.target.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("+33140000001", "zoe", LineKind::Alias, Some("+33253437555")),
            ("+33253437555", "zoe", LineKind::Fax, None),
            ("+33253437556", "zoe", LineKind::Voicemail, None),
            ("+442079460958", "acme", LineKind::Fax, None),
        ]
    );
    assert_eq!(dir.account_lines("acme").await.unwrap().len(), 1);
    assert_eq!(
        dir.line("0033 2 53 43 75 56").await.unwrap().unwrap().kind,
        LineKind::Voicemail
    );

    // Raw rows: the stored forms are the normalised ones, emails keep their positions.
    let rows = sqlx::query(
        "SELECT account, position, address FROM account_emails ORDER BY account, position",
    )
    .fetch_all(dir.pool())
    .await
    .unwrap();
    let raw: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("account"),
                r.get::<i64, _>("position"),
                r.get::<String, _>("address"),
            )
        })
        .collect();
    assert_eq!(
        raw,
        [
            ("acme".into(), 0, "fax@acme.example".into()),
            ("zoe".into(), 0, "Zoe@cabinet-lefevre.fr".into()),
            ("zoe".into(), 1, "secretariat@cabinet-lefevre.fr".into()),
        ]
    );
    let name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind("zoe")
        .fetch_one(dir.pool())
        .await
        .unwrap();
    assert_eq!(name, "Zoé Lefèvre");
}

async fn check_resolution(dir: &Directory) {
    // Through the alias, in any written form: the fax line answers, for Zoé.
    let Route {
        dialled,
        line,
        account,
    } = dir
        .resolve("+33 1 40 00 00 01")
        .await
        .unwrap()
        .expect("alias resolves");
    assert_eq!(dialled, "+33140000001");
    assert_eq!(line.number, "+33253437555");
    assert_eq!(line.kind, LineKind::Fax);
    assert_eq!(account.id, "zoe");
    assert_eq!(account.emails.len(), 2);

    let route = dir.resolve("+33140000001").await.unwrap().unwrap();
    assert!(route.via_alias());

    // Directly.
    let route = dir.resolve("0033253437556").await.unwrap().unwrap();
    assert!(!route.via_alias());
    assert_eq!(route.line.kind, LineKind::Voicemail);
    assert_eq!(route.account.id, "zoe");
    let route = dir.resolve("+442079460958").await.unwrap().unwrap();
    assert_eq!(route.account.id, "acme");

    // Not ours, or not a number at all: no route.
    assert!(dir.resolve("+33999999999").await.unwrap().is_none());
    assert!(dir.resolve("0253437555").await.unwrap().is_none());
    assert!(dir.resolve("anonymous").await.unwrap().is_none());
}

fn err<T: std::fmt::Debug>(r: Result<T, DirectoryError>) -> DirectoryError {
    match r {
        Ok(v) => panic!("accepted: {v:?}"),
        Err(e) => e,
    }
}

/// Every refusal: the right error, a message naming the problem, and nothing written.
async fn check_validation(dir: &Directory) {
    let accounts_before = dir.accounts().await.unwrap();
    let lines_before = dir.lines().await.unwrap();

    // Accounts.
    let e = err(dir.add_account(&account("zoe", &["z@x.fr"])).await);
    assert!(matches!(e, DirectoryError::DuplicateAccount(ref id) if id == "zoe"));
    assert_eq!(e.to_string(), "account `zoe` already exists");
    let e = err(dir.add_account(&account("Zoe", &["z@x.fr"])).await);
    assert!(
        matches!(e, DirectoryError::DuplicateAccount(ref id) if id == "zoe"),
        "{e}"
    );
    let e = err(dir.add_account(&account("new", &["zoe.example.fr"])).await);
    assert!(matches!(e, DirectoryError::InvalidEmail { .. }));
    assert!(e.to_string().contains("`zoe.example.fr`"), "{e}");
    let e = err(dir.add_account(&account("new", &["a@b.fr", "zoe@"])).await);
    assert!(matches!(e, DirectoryError::InvalidEmail { .. }), "{e}");
    let e = err(dir
        .add_account(&account("new", &["a@b.fr", "A@b.fr"]))
        .await);
    assert!(matches!(e, DirectoryError::DuplicateEmail(_)), "{e}");
    let e = err(dir.add_account(&account("new", &[])).await);
    assert!(matches!(e, DirectoryError::NoEmail(_)), "{e}");
    let e = err(dir.add_account(&account("new/1", &["a@b.fr"])).await);
    assert!(matches!(e, DirectoryError::InvalidAccountId { .. }), "{e}");
    let mut bad_tz = account("new", &["a@b.fr"]);
    bad_tz.time_zone = "Europe/Lyon".into();
    let e = err(dir.add_account(&bad_tz).await);
    assert!(matches!(e, DirectoryError::UnknownTimeZone(_)));
    assert!(
        e.to_string().contains("unknown time zone `Europe/Lyon`"),
        "{e}"
    );
    let mut bad_name = account("new", &["a@b.fr"]);
    bad_name.name = Some("Zoé\r\nBcc: x@y.z".into());
    let e = err(dir.add_account(&bad_name).await);
    assert!(matches!(e, DirectoryError::InvalidName(_)), "{e}");

    // Lines.
    let e = err(dir
        .add_line(&line("+33 2 FAX", "zoe", LineKind::Fax, None))
        .await);
    assert!(matches!(e, DirectoryError::InvalidNumber { .. }));
    assert!(e.to_string().contains("letter"), "{e}");
    let e = err(dir
        .add_line(&line("02 53 43 75 57", "zoe", LineKind::Fax, None))
        .await);
    assert!(e.to_string().contains("international form"), "{e}");
    let e = err(dir
        .add_line(&line("+33 12345678901234", "zoe", LineKind::Fax, None))
        .await);
    assert!(e.to_string().contains("too long"), "{e}");
    let e = err(dir
        .add_line(&line("0033 2 53 43 75 55", "acme", LineKind::Fax, None))
        .await);
    assert!(
        matches!(e, DirectoryError::DuplicateLine(ref n) if n == "+33253437555"),
        "{e}"
    );
    assert_eq!(e.to_string(), "line +33253437555 already exists");
    let e = err(dir
        .add_line(&line("+33253437557", "nobody", LineKind::Fax, None))
        .await);
    assert!(matches!(e, DirectoryError::UnknownAccount(_)), "{e}");
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "zoe",
            LineKind::Alias,
            Some("+33299999999"),
        ))
        .await);
    assert!(matches!(e, DirectoryError::UnknownTarget { .. }));
    assert!(e.to_string().contains("+33299999999 is not a line"), "{e}");
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "zoe",
            LineKind::Alias,
            Some("+33140000001"),
        ))
        .await);
    assert!(
        matches!(e, DirectoryError::AliasToAlias { ref final_target, .. } if final_target == "+33253437555"),
        "{e}"
    );
    assert!(e.to_string().contains("is itself an alias"), "{e}");
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "zoe",
            LineKind::Alias,
            Some("+33 2 53 43 75 57"),
        ))
        .await);
    assert!(matches!(e, DirectoryError::SelfAlias(_)), "{e}");
    let e = err(dir
        .add_line(&line("+33253437557", "zoe", LineKind::Alias, None))
        .await);
    assert!(matches!(e, DirectoryError::MissingTarget(_)), "{e}");
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "zoe",
            LineKind::Fax,
            Some("+33253437555"),
        ))
        .await);
    assert!(matches!(e, DirectoryError::UnexpectedTarget { .. }), "{e}");
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "acme",
            LineKind::Alias,
            Some("+33253437555"),
        ))
        .await);
    assert!(
        matches!(e, DirectoryError::AliasAccountMismatch { .. }),
        "{e}"
    );
    let e = err(dir
        .add_line(&line(
            "+33253437557",
            "zoe",
            LineKind::Alias,
            Some("banana"),
        ))
        .await);
    assert!(matches!(e, DirectoryError::InvalidNumber { .. }), "{e}");

    for e in [
        DirectoryError::NoEmail("x".into()),
        DirectoryError::DuplicateLine("+1".into()),
    ] {
        assert!(e.is_user_error());
    }

    assert_eq!(
        dir.accounts().await.unwrap(),
        accounts_before,
        "nothing written"
    );
    assert_eq!(dir.lines().await.unwrap(), lines_before, "nothing written");
}

/// The database itself refuses what the application would: foreign keys are on, and the
/// alias/target rule is a CHECK constraint.
async fn check_constraints(dir: &Directory) {
    let orphan = sqlx::query(
        "INSERT INTO lines (number, account, kind, created_at) VALUES ('+33100000000', 'nobody', 'fax', 'x')",
    )
    .execute(dir.pool())
    .await;
    assert!(orphan.is_err(), "foreign key on lines.account");
    let dangling = sqlx::query(
        "INSERT INTO lines (number, account, kind, target, created_at) VALUES ('+33100000000', 'zoe', 'alias', '+33100000009', 'x')",
    )
    .execute(dir.pool())
    .await;
    assert!(dangling.is_err(), "foreign key on lines.target");
    let targetless = sqlx::query(
        "INSERT INTO lines (number, account, kind, created_at) VALUES ('+33100000000', 'zoe', 'alias', 'x')",
    )
    .execute(dir.pool())
    .await;
    assert!(targetless.is_err(), "CHECK: an alias has a target");
    let bad_locale =
        sqlx::query("INSERT INTO accounts (id, locale, created_at) VALUES ('x', 'de', 'x')")
            .execute(dir.pool())
            .await;
    assert!(bad_locale.is_err(), "CHECK on locale");
    let case_twin = sqlx::query("INSERT INTO accounts (id, created_at) VALUES ('ZOE', 'x')")
        .execute(dir.pool())
        .await;
    assert!(case_twin.is_err(), "unique index on LOWER(id)");
}

async fn check_greeting(dir: &Directory) {
    let l = dir
        .set_greeting("+33 2 53 43 75 56", Some("/srv/faxvox/greetings/zoe.wav"))
        .await
        .unwrap();
    assert_eq!(l.greeting.as_deref(), Some("/srv/faxvox/greetings/zoe.wav"));
    let route = dir.resolve("+33253437556").await.unwrap().unwrap();
    assert_eq!(
        route.line.greeting.as_deref(),
        Some("/srv/faxvox/greetings/zoe.wav")
    );
    let l = dir.set_greeting("+33253437556", None).await.unwrap();
    assert_eq!(l.greeting, None);
    assert!(matches!(
        dir.set_greeting("+33299999999", None).await,
        Err(DirectoryError::UnknownLine(_))
    ));
}

async fn applied_migrations(dir: &Directory) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version")
        .fetch_all(dir.pool())
        .await
        .unwrap()
}

/// The whole scenario on one database URL: populate, close, reopen (migrations again),
/// read back, resolve, refuse bad input.
async fn scenario(url: &str) {
    let dir = Directory::open(url).await.unwrap();
    populate(&dir).await;
    check_populated(&dir).await;
    dir.close().await;

    let dir = Directory::open(url)
        .await
        .expect("second open (migrations idempotent)");
    let expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
    assert_eq!(applied_migrations(&dir).await, expected);
    check_populated(&dir).await;
    check_resolution(&dir).await;
    check_validation(&dir).await;
    check_constraints(&dir).await;
    check_greeting(&dir).await;

    // A third open while the second is still open (the CLI next to `faxvox serve`).
    let other = Directory::open(url).await.unwrap();
    other
        .add_account(&account("late", &["late@example.org"]))
        .await
        .unwrap();
    assert!(dir.account("late").await.unwrap().is_some());
    assert_eq!(applied_migrations(&other).await, expected);
    other.close().await;
    dir.close().await;
}

#[tokio::test]
async fn sqlite_file_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    // The parent folders do not exist yet: open creates them, and the file.
    let url = sqlite_url(&tmp, "var/lib/faxvox.db");
    scenario(&url).await;
    assert!(tmp.path().join("var/lib/faxvox.db").is_file());
}

#[tokio::test]
async fn sqlite_memory_scenario() {
    let dir = Directory::open("sqlite::memory:").await.unwrap();
    populate(&dir).await;
    check_populated(&dir).await;
    check_resolution(&dir).await;
    check_validation(&dir).await;
}

#[tokio::test]
async fn bad_urls_are_refused_clearly() {
    let e = Directory::open("mysql://db/faxvox").await.unwrap_err();
    assert!(e.to_string().contains("unsupported database URL"), "{e}");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("file"), b"").unwrap();
    // The "folder" is a file: the message names it.
    let e = Directory::open(&sqlite_url(&tmp, "file/x.db"))
        .await
        .unwrap_err();
    assert!(matches!(e, DirectoryError::CreateDir { .. }), "{e}");
    // Not an SQLite file.
    std::fs::write(tmp.path().join("junk.db"), vec![b'x'; 4096]).unwrap();
    let e = Directory::open(&sqlite_url(&tmp, "junk.db"))
        .await
        .unwrap_err();
    assert!(!e.is_user_error(), "{e}");
}

/// The same scenario on PostgreSQL, when a scratch database is provided.
#[tokio::test]
async fn postgres_scenario() {
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL scenario skipped");
        return;
    };
    // Start from an empty schema so the scenario's ids are free (and every table later
    // migrations add is gone too).
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for sql in ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    scenario(&url).await;
}
