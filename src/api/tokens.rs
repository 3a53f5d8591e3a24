//! API bearer tokens: one or more per account, stored only as SHA-256 hashes.
//!
//! A token is `fvx_` followed by 64 hex digits (32 random bytes from the thread's CSPRNG);
//! `faxvox account token ID` prints it once. The database keeps its SHA-256 (hex), so a
//! leaked database does not leak tokens; a request's token is hashed and looked up. The
//! admin token (`api.admin_token`) lives in the configuration and is compared by hash in
//! constant time.

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::directory::{Directory, DirectoryError, Result};

/// Prefix of every account token (recognisable in logs and secret scanners).
pub const TOKEN_PREFIX: &str = "fvx_";

/// SHA-256 of `token`, lowercase hex: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A new random token (not stored).
pub fn generate_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{TOKEN_PREFIX}{}", hex(&bytes))
}

/// Whether `presented` is the admin token `admin` (empty `admin`: never). Compares the two
/// SHA-256 digests in constant time, so timing reveals nothing about the admin token.
pub fn is_admin_token(presented: &str, admin: &str) -> bool {
    if admin.is_empty() {
        return false;
    }
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(admin.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A token just created: the secret (shown once) and its row id.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Row id, for the operator's records.
    pub id: String,
    /// The bearer token itself; not stored anywhere.
    pub token: String,
}

/// Creates a token for `account` (which must exist) and stores its hash.
pub async fn create_token(dir: &Directory, account: &str, now: SystemTime) -> Result<NewToken> {
    if dir.account(account).await?.is_none() {
        return Err(DirectoryError::UnknownAccount(account.to_string()));
    }
    let token = generate_token();
    let id = format!("tok-{:016x}", rand::random::<u64>());
    sqlx::query(
        "INSERT INTO api_tokens (id, account, token_hash, created_at, revoked_at) \
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(&id)
    .bind(account)
    .bind(token_hash(&token))
    .bind(faxvox_spool::format_rfc3339(now))
    .execute(dir.pool())
    .await?;
    Ok(NewToken { id, token })
}

/// Revokes every live token of `account`; returns how many were revoked.
pub async fn revoke_tokens(dir: &Directory, account: &str, now: SystemTime) -> Result<u64> {
    if dir.account(account).await?.is_none() {
        return Err(DirectoryError::UnknownAccount(account.to_string()));
    }
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE account = $2 AND revoked_at IS NULL",
    )
    .bind(faxvox_spool::format_rfc3339(now))
    .bind(account)
    .execute(dir.pool())
    .await?;
    Ok(done.rows_affected())
}

/// The account a (non-revoked) token belongs to, if any.
pub async fn account_for_token(dir: &Directory, token: &str) -> Result<Option<String>> {
    use sqlx::Row;
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let row =
        sqlx::query("SELECT account FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash(token))
            .fetch_optional(dir.pool())
            .await?;
    match row {
        Some(r) => Ok(Some(r.try_get::<String, _>(0)?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_hashes() {
        let t = generate_token();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(t, generate_token());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_admin_token("s3cret", "s3cret"));
        assert!(!is_admin_token("s3cret", "other"));
        assert!(!is_admin_token("", ""));
    }
}
