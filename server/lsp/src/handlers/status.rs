//! `tollgate/status` (request) and `tollgate/statusChanged` (notification):
//! the run as `tollgate status --format json` prints it, for the editors'
//! views (SPEC section 10). A root is watched from its first request on; when
//! its analyses settle the object is rebuilt and sent only when it differs.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use tollgate_engine::status::Report;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{notification::Notification, Uri};

use crate::proto;
use crate::server::Server;
use crate::session::Session;

pub const REQUEST: &str = "tollgate/status";

/// `{root}` (a directory at or below a factory root) or `{uri}` (a document in one).
#[derive(Debug, Deserialize)]
pub struct StatusParams {
    pub root: Option<String>,
    pub uri: Option<Uri>,
}

pub enum StatusChanged {}

impl Notification for StatusChanged {
    type Params = Value;
    const METHOD: &'static str = "tollgate/statusChanged";
}

pub async fn status(server: &Server, p: StatusParams) -> Result<Value> {
    let path = match (&p.root, &p.uri) {
        (Some(root), _) => PathBuf::from(root),
        (None, Some(uri)) => proto::path_of(uri).ok_or_else(|| Error::invalid_params("`uri` is not a file URI"))?,
        (None, None) => return Err(Error::invalid_params("give `root` (a directory) or `uri` (a document)")),
    };
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let key = server
        .with_session(|s| s.root_for(&path))?
        .ok_or_else(|| Error::invalid_params(format!("{}: no factory root here or above", path.display())))?;
    // A root nothing has analysed yet (no document of it open): analyse and scan it first.
    let fresh = server.with_session(|s| {
        s.roots.get(&key).is_some_and(|r| r.ws.last_findings().is_none()).then(|| s.analyze(&key, None))
    })?;
    if let Some(batch) = fresh {
        server.publish(vec![batch]).await;
        super::watched_files::rescan(server).await;
    }
    server.with_session(|s| {
        let report = report(s, &key).unwrap_or(Value::Null);
        s.status_sent.insert(key.clone(), report.clone());
        report
    })
}

fn report(s: &Session, key: &PathBuf) -> Option<Value> {
    let state = s.roots.get(key)?;
    let findings = state.ws.last_findings().unwrap_or_default();
    Some(Report::build(&state.ws.snapshot, &findings).to_json())
}

/// Analyses of a root come at typing speed; its status is rebuilt once they pause this long
/// (a 5,000-stage status object is megabytes: not one per keystroke).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// After an analysis of `key` is published: tell the client, once the analyses
/// settle, when the status of a root it asked about changed.
pub async fn after_publish(server: &Server, keys: Vec<PathBuf>) {
    for key in keys {
        let first = server.with_session(|s| s.status_pending.insert(key.clone())).unwrap_or(false);
        if !first {
            continue; // a task for this root is already waiting
        }
        let server = server.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SETTLE).await;
            let changed = server.with_session(|s| {
                s.status_pending.remove(&key);
                let before = s.status_sent.get(&key)?;
                let now = report(s, &key)?;
                (*before != now).then(|| {
                    s.status_sent.insert(key.clone(), now.clone());
                    now
                })
            });
            if let Ok(Some(now)) = changed {
                server.client.send_notification::<StatusChanged>(now).await;
            }
        });
    }
}
