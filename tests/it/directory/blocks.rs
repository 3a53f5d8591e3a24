//! The block list on SQLite and PostgreSQL: prefixes match the numbers that start with them,
//! the longest and the account's own entry win, directions and scopes are kept apart, and a
//! withheld caller is matched only by `anonymous`.

use crate::on_both;
use crate::support::billing_db;

use faxvox::directory::{BlockDirection, DirectoryError};

async fn lookups(url: &str) {
    let (dir, _billing) = billing_db::open(url, &["alice", "bob"]).await;
    dir.add_block("+33", None, BlockDirection::Out)
        .await
        .unwrap();
    dir.add_block("+33 2 99 00 11 22", Some("alice"), BlockDirection::Both)
        .await
        .unwrap();
    dir.add_block("anonymous", None, BlockDirection::In)
        .await
        .unwrap();
    let hit = |n: &'static str, a: &'static str, d| {
        let dir = dir.clone();
        async move {
            dir.blocked(n, a, d)
                .await
                .unwrap()
                .map(|e| (e.pattern, e.account))
        }
    };
    assert_eq!(
        hit("+33299001122", "alice", BlockDirection::Out).await,
        Some(("+33299001122".into(), Some("alice".into())))
    );
    assert_eq!(
        hit("+33299001122", "bob", BlockDirection::Out).await,
        Some(("+33".into(), None))
    );
    assert_eq!(hit("+33299001122", "bob", BlockDirection::In).await, None);
    assert_eq!(
        hit("+33299001122", "alice", BlockDirection::In).await,
        Some(("+33299001122".into(), Some("alice".into())))
    );
    assert_eq!(hit("+4420794600", "alice", BlockDirection::Out).await, None);
    assert_eq!(
        hit("anonymous", "bob", BlockDirection::In).await,
        Some(("anonymous".into(), None))
    );
    assert!(matches!(
        dir.add_block("0033", None, BlockDirection::In).await,
        Err(DirectoryError::DuplicateBlock(..))
    ));
    assert_eq!(dir.blocks(None).await.unwrap().len(), 3);
    dir.remove_block("+33", None).await.unwrap();
    assert_eq!(hit("+33299001122", "bob", BlockDirection::Out).await, None);
    dir.close().await;
}

on_both!(lookups, lookups_sqlite, lookups_postgres);
