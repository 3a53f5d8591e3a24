//! `faxvox config example|show`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a commented example configuration with every key and its default.
    Example,
    /// Print the effective configuration (file plus environment overrides) as TOML.
    Show,
}

pub fn run(cmd: ConfigCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Example => print!("{}", crate::config::EXAMPLE),
        ConfigCommand::Show => print!("{}", toml::to_string_pretty(config)?),
    }
    Ok(ExitCode::SUCCESS)
}
