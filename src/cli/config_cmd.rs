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
    c.smtp.url = crate::directory::redact_url(&c.smtp.url);
    c.database.url = crate::directory::redact_url(&c.database.url);
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
        .map(|entry| match entry.split_once(':') {
            Some((user, _)) => format!("{user}:***"),
            None => "***".to_string(),
        })
        .collect();
    c
}
