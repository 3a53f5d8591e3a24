//! Subject and body templates (minijinja), built in and overridable per file.
//!
//! The built-in set is embedded from the repository's `templates/` folder so the binary needs
//! no data files. An operator overrides one of them by putting a file with the same name in
//! `delivery.templates_dir`; files with other names there are ignored (with a warning) so a
//! typo is visible in the log. Names end in `.html` (HTML-escaped output) or `.txt` (plain).
//! `templates/README.md` documents the variables.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use tracing::{info, warn};

use super::DeliveryError;

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// Every built-in template as `(name, source)`.
pub const BUILTIN: &[(&str, &str)] = builtin![
    "fax.fr.subject.txt",
    "fax.fr.body.txt",
    "fax.fr.body.html",
    "fax.en.subject.txt",
    "fax.en.body.txt",
    "fax.en.body.html",
    "voicemail.fr.subject.txt",
    "voicemail.fr.body.txt",
    "voicemail.fr.body.html",
    "voicemail.en.subject.txt",
    "voicemail.en.body.txt",
    "voicemail.en.body.html",
    "missed_call.fr.subject.txt",
    "missed_call.fr.body.txt",
    "missed_call.fr.body.html",
    "missed_call.en.subject.txt",
    "missed_call.en.body.txt",
    "missed_call.en.body.html",
    "notice.fr.subject.txt",
    "notice.fr.body.txt",
    "notice.en.subject.txt",
    "notice.en.body.txt",
    "fax_status.fr.subject.txt",
    "fax_status.fr.body.txt",
    "fax_status.en.subject.txt",
    "fax_status.en.body.txt",
    "ceiling_notice.fr.subject.txt",
    "ceiling_notice.fr.body.txt",
    "ceiling_notice.en.subject.txt",
    "ceiling_notice.en.body.txt",
];

/// The compiled template set used by the composer and the admin notice.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    overridden: Vec<String>,
}

impl Templates {
    /// The built-in templates only.
    pub fn builtin() -> Templates {
        Templates::load(None).expect("built-in templates compile")
    }

    /// The built-in templates, each replaced by the file of the same name in `dir` if there is
    /// one. Syntax errors are reported here, at startup, with the template's name.
    pub fn load(dir: Option<&Path>) -> Result<Templates, DeliveryError> {
        let mut env = Environment::new();
        // A missing optional value renders as nothing instead of failing the delivery.
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_keep_trailing_newline(true);
        // Block tags on lines of their own leave no blank line behind (text bodies).
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        let mut overridden = Vec::new();
        for (name, source) in BUILTIN {
            let text = match dir.map(|d| d.join(name)) {
                Some(path) if path.is_file() => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|source| DeliveryError::TemplateRead { path, source })?;
                    overridden.push(name.to_string());
                    text
                }
                _ => source.to_string(),
            };
            env.add_template_owned(name.to_string(), text)
                .map_err(|e| template_error(name, &e))?;
        }
        if let Some(dir) = dir {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let known = BUILTIN.iter().any(|(n, _)| *n == name);
                    if !known && (name.ends_with(".txt") || name.ends_with(".html")) {
                        warn!(file = %entry.path().display(), "template override has no built-in counterpart; ignored");
                    }
                }
            } else {
                warn!(dir = %dir.display(), "delivery.templates_dir is not a readable folder; using built-in templates");
            }
            if !overridden.is_empty() {
                info!(dir = %dir.display(), templates = ?overridden, "template overrides loaded");
            }
        }
        Ok(Templates { env, overridden })
    }

    /// Templates from `delivery.templates_dir` (empty: built-in only).
    pub fn from_config(config: &super::DeliveryConfig) -> Result<Templates, DeliveryError> {
        let dir = config.templates_dir.trim();
        Templates::load((!dir.is_empty()).then_some(Path::new(dir)))
    }

    /// Names of the templates replaced by operator files.
    pub fn overridden(&self) -> &[String] {
        &self.overridden
    }

    /// Renders template `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String, DeliveryError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        tmpl.render(ctx).map_err(|e| template_error(name, &e))
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> DeliveryError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    DeliveryError::Template {
        name: name.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_templates_escape_and_text_templates_do_not() {
        let t = Templates::builtin();
        // Rendering through the real environment: auto-escape follows the file extension.
        let mut env = Environment::new();
        env.add_template("x.html", "{{ v }}").unwrap();
        env.add_template("x.txt", "{{ v }}").unwrap();
        let v = minijinja::context! { v => "<b>&" };
        assert_eq!(
            env.get_template("x.html").unwrap().render(&v).unwrap(),
            "&lt;b&gt;&amp;"
        );
        assert_eq!(
            env.get_template("x.txt").unwrap().render(&v).unwrap(),
            "<b>&"
        );
        assert!(t.overridden().is_empty());
    }

    #[test]
    fn overrides_replace_builtins_and_syntax_errors_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fax.en.subject.txt"), "Custom {{ job_id }}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(t.overridden(), ["fax.en.subject.txt"]);
        let out = t
            .render(
                "fax.en.subject.txt",
                &minijinja::context! { job_id => "J1" },
            )
            .unwrap();
        assert_eq!(out, "Custom J1");

        std::fs::write(dir.path().join("voicemail.fr.body.html"), "{% if %}").unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("voicemail.fr.body.html"), "{e}");
    }
}
