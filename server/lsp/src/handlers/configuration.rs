//! `workspace/configuration` (section `tollgate`): per-code severity overrides.

use serde_json::Value;
use tollgate_engine::diagnostic::SeverityOverrides;
use tower_lsp_server::ls_types::*;

use crate::server::Server;

/// Reads `tollgate.severity` ({"<code>": "error|warning|information|hint|off"}).
/// Unknown codes or levels are logged and skipped.
pub fn parse(settings: &Value) -> SeverityOverrides {
    let mut out = SeverityOverrides::default();
    let Some(map) = settings.get("severity").and_then(Value::as_object) else { return out };
    for (code, level) in map {
        let parsed = code.parse().and_then(|c| Ok((c, SeverityOverrides::parse_level(level.as_str().unwrap_or("?"))?)));
        match parsed {
            Ok((c, l)) => {
                out.0.insert(c, l);
            }
            Err(e) => tracing::warn!("tollgate.severity: `{code}`: {e}"),
        }
    }
    out
}

pub async fn reload(server: &Server) {
    let supported = server
        .caps
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .workspace
        .as_ref()
        .and_then(|w| w.configuration)
        .unwrap_or(false);
    if !supported {
        return;
    }
    let item = ConfigurationItem { scope_uri: None, section: Some("tollgate".into()) };
    let Ok(values) = server.client.configuration(vec![item]).await else { return };
    let overrides = values.first().map(parse).unwrap_or_default();
    let batches = server.with_session(|s| {
        if s.overrides == overrides {
            return Vec::new();
        }
        s.overrides = overrides;
        s.analyze_all()
    });
    if let Ok(batches) = batches {
        server.publish(batches).await;
    }
}
