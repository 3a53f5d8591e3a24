//! Block lists: callers the gateway declines and destinations it will not fax (do-not-fax).
//!
//! An entry is a pattern (an E.164 number or the start of one, or `anonymous` for callers who
//! withhold their number), a scope (one account, or operator-wide) and a direction (`in`:
//! calls from it, `out`: faxes to it, `both`). The gateway asks [`Directory::blocked`] on
//! every INVITE before it sets up any media, and the submit path before it prices a fax.
//! The lookup is one indexed query: the number's prefixes are the candidate patterns.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{is_unique_violation, now_text, validate, Directory, DirectoryError, Result};

/// Which way an entry blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BlockDirection {
    /// Calls from the pattern to our lines.
    In,
    /// Faxes we would send to the pattern.
    Out,
    /// Both.
    #[default]
    Both,
}

impl BlockDirection {
    /// The word stored in the database and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockDirection::In => "in",
            BlockDirection::Out => "out",
            BlockDirection::Both => "both",
        }
    }
}

impl fmt::Display for BlockDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BlockDirection {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "in" => Ok(BlockDirection::In),
            "out" => Ok(BlockDirection::Out),
            "both" => Ok(BlockDirection::Both),
            _ => Err(DirectoryError::InvalidBlockDirection(s.to_string())),
        }
    }
}

/// One block-list entry, as stored. Serialises to the JSON of `block list --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockEntry {
    /// `+33612345678` (a number), `+336` (every number starting so) or `anonymous`.
    pub pattern: String,
    /// The account it applies to; `None`: every account (operator-wide).
    pub account: Option<String>,
    pub direction: BlockDirection,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl BlockEntry {
    /// `operator-wide` or `account ID`, for messages.
    pub fn scope(&self) -> String {
        match &self.account {
            Some(a) => format!("account {a}"),
            None => "operator-wide".to_string(),
        }
    }
}

impl fmt::Display for BlockEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {})",
            self.pattern,
            self.scope(),
            match self.direction {
                BlockDirection::In => "calls in",
                BlockDirection::Out => "faxes out",
                BlockDirection::Both => "in and out",
            }
        )
    }
}

fn entry_from_row(row: &AnyRow) -> Result<BlockEntry> {
    let account: String = row.try_get("account")?;
    let direction: String = row.try_get("direction")?;
    Ok(BlockEntry {
        pattern: row.try_get("pattern")?,
        account: (!account.is_empty()).then_some(account),
        direction: direction
            .parse()
            .map_err(|_| DirectoryError::Corrupt(format!("block direction `{direction}`")))?,
        created_at: row.try_get("created_at")?,
    })
}

/// The patterns that would match `number`: every prefix of it (`+3`, `+33`, … the number
/// itself), or only `anonymous` for a withheld caller.
fn candidates(number: &str) -> Vec<String> {
    if number == validate::ANONYMOUS {
        return vec![validate::ANONYMOUS.to_string()];
    }
    (2..=number.len())
        .filter(|&n| number.is_char_boundary(n))
        .map(|n| number[..n].to_string())
        .collect()
}

impl Directory {
    /// Adds an entry; `account` `None` makes it operator-wide. The pattern is normalised
    /// ([`validate::normalize_block_pattern`]); adding the same pattern twice for the same
    /// scope is refused (remove it first to change its direction).
    pub async fn add_block(
        &self,
        pattern: &str,
        account: Option<&str>,
        direction: BlockDirection,
    ) -> Result<BlockEntry> {
        let pattern = validate::normalize_block_pattern(pattern)?;
        let account = account.map(str::trim);
        if let Some(a) = account {
            if self.account_exists(a).await?.is_none() {
                return Err(DirectoryError::UnknownAccount(a.to_string()));
            }
        }
        let entry = BlockEntry {
            pattern,
            account: account.map(str::to_string),
            direction,
            created_at: now_text(),
        };
        let inserted = sqlx::query(
            "INSERT INTO block_list (pattern, account, direction, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&entry.pattern)
        .bind(account.unwrap_or(""))
        .bind(direction.as_str())
        .bind(&entry.created_at)
        .execute(self.pool())
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                let scope = entry.scope();
                return Err(DirectoryError::DuplicateBlock(entry.pattern, scope));
            }
            other => other?,
        };
        Ok(entry)
    }

    /// Every entry (only `account`'s own when given), operator-wide first, then by pattern.
    pub async fn blocks(&self, account: Option<&str>) -> Result<Vec<BlockEntry>> {
        const COLUMNS: &str = "pattern, account, direction, created_at";
        let rows = match account {
            Some(a) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM block_list WHERE account = $1 ORDER BY pattern"
                ))
                .bind(a.trim())
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM block_list ORDER BY account, pattern"
                ))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(entry_from_row).collect()
    }

    /// Removes the entry of `pattern` in that scope (`None`: the operator-wide one); returns
    /// it, or [`DirectoryError::UnknownBlock`].
    pub async fn remove_block(&self, pattern: &str, account: Option<&str>) -> Result<BlockEntry> {
        let pattern = validate::normalize_block_pattern(pattern)?;
        let account = account.map(str::trim).unwrap_or("");
        let row = sqlx::query(
            "SELECT pattern, account, direction, created_at FROM block_list \
             WHERE pattern = $1 AND account = $2",
        )
        .bind(&pattern)
        .bind(account)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            let scope = if account.is_empty() {
                "operator-wide".to_string()
            } else {
                format!("account {account}")
            };
            return Err(DirectoryError::UnknownBlock(pattern, scope));
        };
        let entry = entry_from_row(&row)?;
        sqlx::query("DELETE FROM block_list WHERE pattern = $1 AND account = $2")
            .bind(&pattern)
            .bind(account)
            .execute(self.pool())
            .await?;
        Ok(entry)
    }

    /// The entry that blocks `number` for `account` in `direction`, if any: the longest
    /// matching pattern, the account's own before the operator's. `number` is E.164 or
    /// [`validate::ANONYMOUS`] (which only an `anonymous` entry matches); `direction` is
    /// `In` or `Out` (entries for `Both` match either).
    pub async fn blocked(
        &self,
        number: &str,
        account: &str,
        direction: BlockDirection,
    ) -> Result<Option<BlockEntry>> {
        let candidates = candidates(number);
        if candidates.is_empty() {
            return Ok(None);
        }
        let list: Vec<String> = (0..candidates.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        let sql = format!(
            "SELECT pattern, account, direction, created_at FROM block_list \
             WHERE (account = '' OR account = $1) AND direction IN ($2, 'both') \
             AND pattern IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(account).bind(direction.as_str());
        for c in &candidates {
            query = query.bind(c);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        entries.sort_by_key(|e| (std::cmp::Reverse(e.pattern.len()), e.account.is_none()));
        Ok(entries.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::NewAccount;

    #[test]
    fn candidates_are_the_prefixes() {
        assert_eq!(candidates("+3361"), vec!["+3", "+33", "+336", "+3361"]);
        assert_eq!(candidates("anonymous"), vec!["anonymous"]);
    }

    #[tokio::test]
    async fn prefixes_scopes_and_directions() {
        let dir = Directory::open("sqlite::memory:").await.unwrap();
        for id in ["acme", "other"] {
            dir.add_account(&NewAccount::new(id, vec![format!("fax@{id}.example")]))
                .await
                .unwrap();
        }
        dir.add_block("+33 6", None, BlockDirection::In)
            .await
            .unwrap();
        dir.add_block("0044 20 7946 0000", Some("acme"), BlockDirection::Out)
            .await
            .unwrap();
        dir.add_block("Anonymous", Some("acme"), BlockDirection::Both)
            .await
            .unwrap();
        let hit = dir
            .blocked("+33612345678", "other", BlockDirection::In)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((hit.pattern.as_str(), hit.account), ("+336", None));
        assert!(dir
            .blocked("+33612345678", "other", BlockDirection::Out)
            .await
            .unwrap()
            .is_none());
        assert!(dir
            .blocked("+33253437555", "other", BlockDirection::In)
            .await
            .unwrap()
            .is_none());
        let out = dir
            .blocked("+442079460000", "acme", BlockDirection::Out)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out.account.as_deref(), Some("acme"));
        assert!(dir
            .blocked("+442079460000", "other", BlockDirection::Out)
            .await
            .unwrap()
            .is_none());
        // Withheld callers only match `anonymous`, never a number prefix.
        assert!(dir
            .blocked("anonymous", "acme", BlockDirection::In)
            .await
            .unwrap()
            .is_some());
        assert!(dir
            .blocked("anonymous", "other", BlockDirection::In)
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            dir.add_block("+336", None, BlockDirection::Out).await,
            Err(DirectoryError::DuplicateBlock(..))
        ));
        assert!(matches!(
            dir.add_block("+336", Some("nobody"), BlockDirection::Out)
                .await,
            Err(DirectoryError::UnknownAccount(_))
        ));
        assert_eq!(dir.blocks(None).await.unwrap().len(), 3);
        assert_eq!(dir.blocks(Some("acme")).await.unwrap().len(), 2);
        dir.remove_block("+336*", None).await.unwrap();
        assert!(matches!(
            dir.remove_block("+336", None).await,
            Err(DirectoryError::UnknownBlock(..))
        ));
        assert!(dir
            .blocked("+33612345678", "other", BlockDirection::In)
            .await
            .unwrap()
            .is_none());
    }
}
