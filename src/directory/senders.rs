//! Email-to-fax allow-lists: which mail senders may fax for which account.
//!
//! A pattern is a whole address (`alice@acme.example`) or every address of one domain
//! (`*@acme.example`), compared without regard to case; no other wildcards. A pattern
//! belongs to one account only, so a mail is charged to exactly one account, and an exact
//! address beats its domain's `*@`. An entry may name the fax line used as caller id of the
//! faxes it sends; without one the account's first fax line is used.
//!
//! The allow-list only says who may send: the mail listener also authenticates the sender
//! (`crate::mail_in::auth`) before it trusts the address it matched here.

use std::fmt;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{is_unique_violation, now_text, validate, Directory, DirectoryError, LineKind, Result};

/// Longest pattern accepted: an address is at most 320 characters (64 + `@` + 255).
const PATTERN_MAX: usize = 320;

/// One allowed sender, as stored. Serialises to the JSON of `account sender list --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SenderEntry {
    /// `alice@acme.example` or `*@acme.example`, lower case.
    pub pattern: String,
    pub account: String,
    /// The caller id (E.164) of faxes sent for this pattern; `None`: the first fax line.
    pub line: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl fmt::Display for SenderEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.line {
            Some(line) => write!(f, "{} (line {line})", self.pattern),
            None => write!(f, "{} (first fax line)", self.pattern),
        }
    }
}

/// The entry a mail sender matched: the answer of [`Directory::match_sender`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SenderMatch {
    /// The account the fax is sent (and charged) for.
    pub account_id: String,
    /// The pattern that matched (the exact address or `*@domain`).
    pub pattern: String,
    /// The caller id the entry names (E.164); `None`: the account's first fax line.
    pub line: Option<String>,
}

fn bad(input: &str, reason: &str) -> DirectoryError {
    DirectoryError::InvalidSenderPattern {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

/// Checks a pattern (`local@domain` or `*@domain`) and returns it in lower case.
pub fn normalize_sender_pattern(input: &str) -> Result<String> {
    let s = input.trim().to_lowercase();
    if s.is_empty() {
        return Err(bad(input, "the pattern is empty"));
    }
    if s.len() > PATTERN_MAX {
        return Err(bad(input, "it is longer than an address can be"));
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(bad(
            input,
            "expected an address (alice@acme.example) or a domain (*@acme.example)",
        ));
    };
    if domain.contains('*') {
        return Err(bad(input, "the domain cannot hold a wildcard"));
    }
    if local == "*" {
        // Validate the domain the way addresses are validated.
        validate::normalize_email(&format!("x@{domain}"))
            .map_err(|_| bad(input, "the domain is not a valid host name with a dot"))?;
        return Ok(s);
    }
    if local.contains('*') {
        return Err(bad(
            input,
            "`*` is only allowed as the whole part before the `@` (*@acme.example)",
        ));
    }
    validate::normalize_email(&s).map_err(|e| match e {
        DirectoryError::InvalidEmail { reason, .. } => bad(input, &reason),
        other => other,
    })
}

fn entry_from_row(row: &AnyRow) -> Result<SenderEntry> {
    Ok(SenderEntry {
        pattern: row.try_get("pattern")?,
        account: row.try_get("account")?,
        line: row.try_get("line")?,
        created_at: row.try_get("created_at")?,
    })
}

const COLUMNS: &str = "pattern, account, line, created_at";

impl Directory {
    /// Allows `pattern` to send faxes by email for `account`, with `line` (any number form;
    /// a fax line of that account) as caller id. A pattern another account holds is refused.
    pub async fn add_sender(
        &self,
        account: &str,
        pattern: &str,
        line: Option<&str>,
    ) -> Result<SenderEntry> {
        let account = account.trim();
        let pattern = normalize_sender_pattern(pattern)?;
        if self.account_exists(account).await?.is_none() {
            return Err(DirectoryError::UnknownAccount(account.to_string()));
        }
        let line = match line {
            Some(l) => {
                let number = validate::normalize_number(l)?;
                match self.line(&number).await? {
                    Some(found) if found.account == account && found.kind == LineKind::Fax => {
                        Some(number)
                    }
                    _ => {
                        return Err(DirectoryError::SenderLineNotFax {
                            line: number,
                            account: account.to_string(),
                        })
                    }
                }
            }
            None => None,
        };
        if let Some(holder) = self.sender_holder(&pattern).await? {
            return Err(if holder == account {
                DirectoryError::DuplicateSender(pattern, holder)
            } else {
                DirectoryError::SenderTaken { pattern, holder }
            });
        }
        let entry = SenderEntry {
            pattern,
            account: account.to_string(),
            line,
            created_at: now_text(),
        };
        let inserted = sqlx::query(
            "INSERT INTO account_senders (pattern, account, line, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&entry.pattern)
        .bind(&entry.account)
        .bind(entry.line.as_deref())
        .bind(&entry.created_at)
        .execute(self.pool())
        .await;
        match inserted {
            // Added by someone else between the check and the insert.
            Err(e) if is_unique_violation(&e) => {
                let holder = self
                    .sender_holder(&entry.pattern)
                    .await?
                    .unwrap_or_default();
                return Err(DirectoryError::SenderTaken {
                    pattern: entry.pattern,
                    holder,
                });
            }
            other => other?,
        };
        Ok(entry)
    }

    async fn sender_holder(&self, pattern: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT account FROM account_senders WHERE pattern = $1")
                .bind(pattern)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The allowed senders of `account`, by pattern.
    pub async fn list_senders(&self, account: &str) -> Result<Vec<SenderEntry>> {
        let account = account.trim();
        if self.account_exists(account).await?.is_none() {
            return Err(DirectoryError::UnknownAccount(account.to_string()));
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM account_senders WHERE account = $1 ORDER BY pattern"
        ))
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Removes `pattern` from `account`'s senders; returns the entry, or
    /// [`DirectoryError::UnknownSender`].
    pub async fn remove_sender(&self, account: &str, pattern: &str) -> Result<SenderEntry> {
        let account = account.trim();
        let pattern = normalize_sender_pattern(pattern)?;
        if self.account_exists(account).await?.is_none() {
            return Err(DirectoryError::UnknownAccount(account.to_string()));
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM account_senders WHERE pattern = $1 AND account = $2"
        ))
        .bind(&pattern)
        .bind(account)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Err(DirectoryError::UnknownSender(pattern, account.to_string()));
        };
        let entry = entry_from_row(&row)?;
        sqlx::query("DELETE FROM account_senders WHERE pattern = $1 AND account = $2")
            .bind(&pattern)
            .bind(account)
            .execute(self.pool())
            .await?;
        Ok(entry)
    }

    /// The entry that allows `address` (a bare address, any case) to send, if any: its exact
    /// address before its domain's `*@`. `None` for anything that is not an address.
    pub async fn match_sender(&self, address: &str) -> Result<Option<SenderMatch>> {
        let address = address.trim().to_lowercase();
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Ok(None);
        };
        if local.is_empty() || domain.is_empty() || address.contains('*') {
            return Ok(None);
        }
        let wildcard = format!("*@{domain}");
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM account_senders WHERE pattern IN ($1, $2)"
        ))
        .bind(&address)
        .bind(&wildcard)
        .fetch_all(self.pool())
        .await?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        // The exact address first.
        entries.sort_by_key(|e| e.pattern.starts_with("*@"));
        Ok(entries.into_iter().next().map(|e| SenderMatch {
            account_id: e.account,
            pattern: e.pattern,
            line: e.line,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{NewAccount, NewLine};

    fn line(number: &str, account: &str, kind: LineKind) -> NewLine {
        NewLine {
            number: number.to_string(),
            account: account.to_string(),
            kind,
            target: None,
        }
    }

    #[test]
    fn patterns_are_addresses_or_whole_domains() {
        assert_eq!(
            normalize_sender_pattern(" Alice@ACME.example ").unwrap(),
            "alice@acme.example"
        );
        assert_eq!(
            normalize_sender_pattern("*@Acme.Example").unwrap(),
            "*@acme.example"
        );
        for bad in [
            "",
            "acme.example",
            "a*@acme.example",
            "*lice@acme.example",
            "*@*.example",
            "alice@acme",
            "*@",
            "alice@",
            "@acme.example",
            "*",
            "alice smith@acme.example",
        ] {
            assert!(
                matches!(
                    normalize_sender_pattern(bad),
                    Err(DirectoryError::InvalidSenderPattern { .. })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[tokio::test]
    async fn exact_address_beats_domain_and_one_account_per_pattern() {
        let dir = Directory::open("sqlite::memory:").await.unwrap();
        for id in ["acme", "other"] {
            dir.add_account(&NewAccount::new(id, vec![format!("fax@{id}.example")]))
                .await
                .unwrap();
        }
        dir.add_line(&line("+33253437555", "acme", LineKind::Fax))
            .await
            .unwrap();
        dir.add_line(&line("+33253437556", "acme", LineKind::Voicemail))
            .await
            .unwrap();
        dir.add_line(&line("+33253437560", "other", LineKind::Fax))
            .await
            .unwrap();
        dir.add_sender("acme", "*@acme.example", None)
            .await
            .unwrap();
        let boss = dir
            .add_sender("other", "Boss@acme.example", Some("02 53 43 75 60"))
            .await;
        // The French national form is not E.164: give it as such.
        assert!(boss.is_err());
        dir.add_sender("other", "Boss@acme.example", Some("+33 2 53 43 75 60"))
            .await
            .unwrap();

        let m = dir
            .match_sender("ALICE@acme.EXAMPLE")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.account_id.as_str(), m.pattern.as_str(), m.line),
            ("acme", "*@acme.example", None)
        );
        let m = dir
            .match_sender("boss@acme.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.account_id.as_str(), m.line.as_deref()),
            ("other", Some("+33253437560"))
        );
        assert!(dir
            .match_sender("alice@sub.acme.example")
            .await
            .unwrap()
            .is_none());
        assert!(dir.match_sender("*@acme.example").await.unwrap().is_none());
        assert!(dir.match_sender("nobody").await.unwrap().is_none());

        assert!(matches!(
            dir.add_sender("other", "*@ACME.example", None).await,
            Err(DirectoryError::SenderTaken { ref holder, .. }) if holder == "acme"
        ));
        assert!(matches!(
            dir.add_sender("acme", "*@acme.example", None).await,
            Err(DirectoryError::DuplicateSender(..))
        ));
        assert!(matches!(
            dir.add_sender("acme", "bob@acme.example", Some("+33253437556"))
                .await,
            Err(DirectoryError::SenderLineNotFax { .. })
        ));
        assert!(matches!(
            dir.add_sender("acme", "bob@acme.example", Some("+33253437560"))
                .await,
            Err(DirectoryError::SenderLineNotFax { .. })
        ));
        assert!(matches!(
            dir.add_sender("nobody", "bob@acme.example", None).await,
            Err(DirectoryError::UnknownAccount(_))
        ));

        assert_eq!(dir.list_senders("acme").await.unwrap().len(), 1);
        assert!(matches!(
            dir.remove_sender("acme", "boss@acme.example").await,
            Err(DirectoryError::UnknownSender(..))
        ));
        dir.remove_sender("other", "BOSS@acme.example")
            .await
            .unwrap();
        let m = dir
            .match_sender("boss@acme.example")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.account_id, "acme");
    }
}
