//! `faxvox config example|show`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a commented example configuration with every key and its default.
    Example,
    /// Print the effective configuration (file plus environment overrides) as TOML, with
    /// secrets (passwords in URLs, SIP digest and trunk passwords, the API admin token) replaced
    /// by `***`.
    Show,
}

pub fn run(cmd: ConfigCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Example => print!("{}", crate::config::EXAMPLE),
        ConfigCommand::Show => print!("{}", toml::to_string_pretty(&redacted(config))?),
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration with its secrets masked, for display: `config show` output ends up in
/// tickets and chat logs.
fn redacted(config: &Config) -> Config {
    let mut c = config.clone();
    c.smtp.url = crate::redact::redact_url(&c.smtp.url);
    c.database.url = crate::redact::redact_url(&c.database.url);
    c.trunk.uri = c.trunk.uri.as_ref().map(|u| {
        u.redacted()
            .parse()
            .expect("a redacted trunk URI is still a URI")
    });
    if !c.api.admin_token.is_empty() {
        c.api.admin_token = "***".into();
    }
    if !c.trunk.password.is_empty() {
        c.trunk.password = "***".into();
    }
    c.sip.auth_users = c
        .sip
        .auth_users
        .iter()
        .map(|entry| crate::sip::settings::DigestUser {
            user: entry.user.clone(),
            password: "***".into(),
        })
        .collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_show_hides_every_password_in_urls() {
        let mut c = Config::default();
        c.database.url = "postgres://fax:pw1@db/faxvox?sslmode=require&password=pw2".into();
        c.smtp.url = "smtp://relay:pw3@mail.example:587?tls=required".into();
        c.trunk.uri = Some("sip:gw:pw4@trunk.example;transport=tcp".parse().unwrap());
        let shown = toml::to_string_pretty(&redacted(&c)).unwrap();
        for secret in ["pw1", "pw2", "pw3", "pw4"] {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
        assert!(shown.contains("postgres://fax:***@db/faxvox?sslmode=require&password=***"));
        assert!(shown.contains("smtp://relay:***@mail.example:587?tls=required"));
        assert!(shown.contains("sip:gw:***@trunk.example;transport=tcp"));
    }
}
