//! The `faxvox` binary's configuration handling, end to end: files, environment overrides,
//! and errors that name the offending key with a non-zero exit code.

use std::process::Command;

fn faxvox() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
    // Tests must not pick up a developer's ./faxvox.toml or FAXVOX_* variables.
    cmd.current_dir(std::env::temp_dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("FAXVOX_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn example_is_printed_and_loads_back() {
    let out = faxvox().args(["config", "example"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[fax]") && text.contains("ecm = true"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faxvox.toml");
    std::fs::write(&file, &text).unwrap();
    let out = faxvox()
        .args(["--config", file.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: toml::Table = String::from_utf8(out.stdout).unwrap().parse().unwrap();
    let example: toml::Table = text.parse().unwrap();
    assert_eq!(shown, example);
}

#[test]
fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.toml");
    std::fs::write(&file, "[spool]\ndir = \"/from/file\"\n").unwrap();
    let out = faxvox()
        .args(["--config", file.to_str().unwrap(), "config", "show"])
        .env("FAXVOX_SPOOL_DIR", "/from/env")
        .env("FAXVOX_FAX_ECM", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: toml::Table = String::from_utf8(out.stdout).unwrap().parse().unwrap();
    assert_eq!(shown["spool"]["dir"].as_str(), Some("/from/env"));
    assert_eq!(shown["fax"]["ecm"].as_bool(), Some(false));
}

#[test]
fn bad_configuration_fails_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[media]\nreorder_ms = \"fast\"\n").unwrap();
    let out = faxvox()
        .args(["--config", file.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("media.reorder_ms"), "{err}");

    std::fs::write(&file, "[sip]\nlisten = \"0.0.0.0:5060\"\nlisen = \"x\"\n").unwrap();
    let out = faxvox()
        .args(["--config", file.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sip.lisen"), "{err}");

    let out = faxvox()
        .args(["config", "show"])
        .env("FAXVOX_SIP_LISTN", "1.2.3.4:5")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAXVOX_SIP_LISTN"));

    let out = faxvox()
        .args(["--config", "/nonexistent/faxvox.toml", "config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/faxvox.toml"));
}

#[test]
fn config_show_masks_secrets() {
    let out = faxvox()
        .args(["config", "show"])
        .env(
            "FAXVOX_SMTP_URL",
            "smtps://mailer:s3cret-smtp@mail.example:465",
        )
        .env("FAXVOX_SIP_AUTH_USERS", "trunk:s3cret-sip,other:pa:ss")
        .env("FAXVOX_TRUNK_USER", "gw")
        .env("FAXVOX_TRUNK_PASSWORD", "s3cret-trunk")
        .env("FAXVOX_API_ADMIN_TOKEN", "s3cret-admin-token-0123456789")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("s3cret"), "a secret is shown:\n{text}");
    assert!(!text.contains("pa:ss"), "a secret is shown:\n{text}");
    let shown: toml::Table = text.parse().unwrap();
    assert_eq!(
        shown["smtp"]["url"].as_str(),
        Some("smtps://mailer:***@mail.example:465")
    );
    let users: Vec<&str> = shown["sip"]["auth_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(users, ["trunk:***", "other:***"]);
    assert_eq!(shown["trunk"]["password"].as_str(), Some("***"));
    assert_eq!(shown["api"]["admin_token"].as_str(), Some("***"));
}

/// Each value the modules parse (addresses, networks, port ranges, T.38 policies, the trunk
/// URI, digest entries) is refused when the configuration is loaded, from the file and from
/// the environment, with an error naming the key and quoting the value: none falls back to a
/// default.
#[test]
fn bad_parsed_values_are_refused_at_load_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    for (section, key, value, shown) in [
        ("sip", "t38", "always", "always"),
        ("trunk", "t38", "sometimes", "sometimes"),
        ("sip", "rtp_ports", "0-0", "0-0"),
        ("sip", "rtp_ports", "20001-29999", "20001-29999"),
        ("sip", "rtp_ports", "ports", "ports"),
        ("sip", "listen", "nowhere:5060", "nowhere"),
        ("sip", "tls_listen", "5061", "5061"),
        ("sip", "media_ip", "gateway.example", "gateway.example"),
        ("api", "listen", "localhost", "localhost"),
        ("trunk", "uri", "tel:+15550100", "tel:+15550100"),
        ("trunk", "uri", "sip:gw:s3cret@", "sip:gw:***@"),
    ] {
        std::fs::write(&file, format!("[{section}]\n{key} = \"{value}\"\n")).unwrap();
        let out = faxvox()
            .args(["--config", file.to_str().unwrap(), "config", "show"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{section}.{key} = {value:?} accepted"
        );
        assert!(err.contains(&format!("{section}.{key}")), "{value}: {err}");
        assert!(
            err.contains(shown) && !err.contains("s3cret"),
            "{value}: {err}"
        );

        let var = format!("FAXVOX_{}_{}", section, key).to_ascii_uppercase();
        let out = faxvox()
            .args(["config", "show"])
            .env(&var, value)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value:?} accepted");
        assert!(
            err.contains(&var) || err.contains(&format!("{section}.{key}")),
            "{err}"
        );
    }
    for (text, key, shown) in [
        (
            "[sip]\ntrusted = [\"10.0.0.0/8\", \"lan\"]\n",
            "sip.trusted",
            "lan",
        ),
        (
            "[sip]\ntrusted = [\"10.0.0.0/33\"]\n",
            "sip.trusted",
            "10.0.0.0/33",
        ),
        (
            "[sip]\nauth_users = [\"alice\"]\n",
            "sip.auth_users",
            "user:password",
        ),
        (
            "[sip]\nauth_accounts = [\"alice\"]\n",
            "sip.auth_accounts",
            "alice",
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = faxvox()
            .args(["--config", file.to_str().unwrap(), "config", "show"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text} accepted");
        assert!(err.contains(key) && err.contains(shown), "{text}: {err}");
    }
    let out = faxvox()
        .args(["config", "show"])
        .env("FAXVOX_SIP_TRUSTED", "127.0.0.1,bogus")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bogus"), "{err}");
}

/// Parsed values are shown the way they were written (the defaults, the example), and a
/// T.38 policy is read in any case.
#[test]
fn parsed_values_load_and_show_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.toml");
    std::fs::write(
        &file,
        "[sip]\nt38 = \"Accept\"\nrtp_ports = \"30000-30999\"\ntrusted = [\"192.0.2.7\"]\n\
         listen = \"127.0.0.1:5070\"\n[trunk]\nuri = \"sip:trunk.example;transport=tcp\"\n\
         t38 = \"OFF\"\n[api]\nlisten = \"127.0.0.1:8080\"\n",
    )
    .unwrap();
    let out = faxvox()
        .args(["--config", file.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: toml::Table = String::from_utf8_lossy(&out.stdout).parse().unwrap();
    assert_eq!(shown["sip"]["t38"].as_str(), Some("accept"));
    assert_eq!(shown["sip"]["rtp_ports"].as_str(), Some("30000-30999"));
    assert_eq!(shown["sip"]["trusted"][0].as_str(), Some("192.0.2.7/32"));
    assert_eq!(shown["sip"]["listen"].as_str(), Some("127.0.0.1:5070"));
    assert_eq!(shown["sip"]["tls_listen"].as_str(), Some(""));
    assert_eq!(
        shown["trunk"]["uri"].as_str(),
        Some("sip:trunk.example;transport=tcp")
    );
    assert_eq!(shown["trunk"]["t38"].as_str(), Some("off"));
    assert_eq!(shown["api"]["listen"].as_str(), Some("127.0.0.1:8080"));
}
