//! `setup --sandbox`: the running stage's box in the agent's own OS sandbox,
//! which holds shell commands too (a hook only sees file tools before they
//! write). The box comes from the engine (`tollgate_engine::sandbox`); this
//! module writes it in each agent's terms and takes tollgate's part out again.
//!
//! It is a picture of one stage: when the run moves on, `setup --sandbox` must
//! run again. Until then the sandbox holds the previous stage's box, while the
//! hook, which reads the run on every call, already judges by the new one.

use std::path::Path;

use tollgate_engine::recovery::json::Json;
use tollgate_engine::sandbox::ShellBox;

use super::AgentSettings;

/// A settings text after the change (None: unchanged), with notes for the person.
pub type Merge = fn(&str, &Context, &mut Vec<String>) -> Result<Option<String>, String>;

/// Where an agent's sandbox settings live and how tollgate's part is merged in.
pub struct Writer {
    /// Relative to the project directory.
    pub file: &'static str,
    pub merge: Merge,
    /// What the agent's sandbox cannot hold of the box, said after writing it.
    pub limits: &'static str,
}

pub struct Context<'a> {
    /// The factory root, as the sandbox sees it (symlinks resolved).
    pub root: &'a Path,
    /// Where the agent is started (the git top level, else the root).
    pub project: &'a Path,
    /// The box to hold; None: take tollgate's part out.
    pub shell_box: Option<&'a ShellBox>,
}

/// What the person is told after `setup --sandbox`.
pub fn summary(agent: &AgentSettings, b: Option<&ShellBox>) -> Vec<String> {
    let Some(w) = &agent.sandbox else { return Vec::new() };
    let Some(b) = b else {
        return vec![
            "sandbox: no run is active, so there is no stage box to hold; tollgate's sandbox entries are out".into()
        ];
    };
    let control = tollgate_engine::sandbox::SHELL_CONTROL;
    let own: Vec<String> =
        b.write.iter().filter(|p| !control.contains(&p.as_str())).map(|p| format!("`{}`", shown(p))).collect();
    let mut out = vec![format!(
        "sandbox: shell commands of stage `{}` may write {} in the factory root, and its control folders ({}); not {}",
        b.stage,
        if own.is_empty() { "nothing of their own".to_string() } else { own.join(", ") },
        control.join(", "),
        b.read_only.join(", "),
    )];
    for (rule, held) in &b.widened {
        out.push(format!(
            "sandbox: the rule `{rule}` is held as all of `{}` (a sandbox knows paths, not patterns; \
             the hook still judges file-tool writes by the rule)",
            shown(held)
        ));
    }
    out.push(format!("sandbox: {}", w.limits));
    out.push(format!(
        "sandbox: this is stage `{}`'s box; when the run moves to another stage, run `tollgate setup {} --sandbox` \
         again. Until then shell commands keep this box, while the hook judges file-tool writes by the new stage at once",
        b.stage, agent.name
    ));
    out
}

fn shown(rel: &str) -> &str {
    if rel.is_empty() {
        "."
    } else {
        rel
    }
}

/// Claude Code: `sandbox.filesystem.denyWrite` in `.claude/settings.json`. Its
/// sandbox lets commands write the working directory, and a path it denies cannot
/// be reopened below, so the box is held as what lies outside it: every entry of
/// the root, as it is now, that is neither in the box nor on the way to it.
/// tollgate's entries are the absolute (`//`) paths inside the root.
pub fn claude_code(text: &str, ctx: &Context, notes: &mut Vec<String>) -> Result<Option<String>, String> {
    let mut doc = if text.trim().is_empty() {
        Json::Obj(Vec::new())
    } else {
        Json::parse(text).map_err(|e| format!("not valid JSON ({e})"))?
    };
    if !matches!(doc, Json::Obj(_)) {
        return Err("not a JSON object".into());
    }
    let before = doc.clone();
    let ours = |s: &str| s.strip_prefix('/').is_some_and(|p| p.starts_with('/') && inside_root(p, ctx.root));
    let mut took = false;
    if let Some(sandbox) = doc.get_mut("sandbox") {
        let Json::Obj(_) = sandbox else { return Err("`sandbox` is not an object".into()) };
        if let Some(fs) = sandbox.get_mut("filesystem") {
            let Json::Obj(_) = fs else { return Err("`sandbox.filesystem` is not an object".into()) };
            if let Some(deny) = fs.get_mut("denyWrite") {
                let Json::Arr(items) = deny else { return Err("`sandbox.filesystem.denyWrite` is not a list".into()) };
                let n = items.len();
                items.retain(|i| !i.as_str().is_some_and(ours));
                took = items.len() != n;
            }
        }
    }
    match ctx.shell_box {
        Some(b) => {
            if !doc.has("sandbox") {
                doc.set("sandbox", Json::Obj(Vec::new()));
            }
            let sandbox = doc.get_mut("sandbox").expect("set above");
            match sandbox.get("enabled") {
                None => sandbox.set("enabled", Json::Bool(true)),
                Some(Json::Bool(true)) => {}
                Some(_) => notes.push(
                    "sandbox: `sandbox.enabled` is not true in this file; the lists hold nothing until it is".into(),
                ),
            }
            if !sandbox.has("filesystem") {
                sandbox.set("filesystem", Json::Obj(Vec::new()));
            }
            let fs = sandbox.get_mut("filesystem").expect("set above");
            if !fs.has("denyWrite") {
                fs.set("denyWrite", Json::Arr(Vec::new()));
            }
            let Some(Json::Arr(items)) = fs.get_mut("denyWrite") else { unreachable!("a list, checked above") };
            for rel in b.closed(ctx.root) {
                items.push(Json::Str(format!("/{}", ctx.root.join(&rel).display())));
            }
        }
        None if took => {
            // Left empty by tollgate: take the empty lists (and a sandbox that only
            // tollgate's lists needed) out with them.
            let sandbox = doc.get_mut("sandbox").expect("took from it");
            let fs = sandbox.get_mut("filesystem").expect("took from it");
            if matches!(fs.get("denyWrite"), Some(Json::Arr(a)) if a.is_empty()) {
                drop_key(fs, "denyWrite");
            }
            if matches!(fs, Json::Obj(m) if m.is_empty()) {
                drop_key(sandbox, "filesystem");
            }
            if matches!(sandbox, Json::Obj(m) if m.iter().all(|(k, v)| k == "enabled" && *v == Json::Bool(true))) {
                drop_key(&mut doc, "sandbox");
            } else if sandbox.get("enabled") == Some(&Json::Bool(true)) {
                notes.push("sandbox: `sandbox.enabled` stays true: the file has other sandbox settings".into());
            }
        }
        None => {}
    }
    if doc == before {
        return Ok(None);
    }
    Ok(Some(format!("{}\n", doc.to_pretty(&super::indent_of(text)))))
}

fn drop_key(obj: &mut Json, key: &str) {
    if let Json::Obj(m) = obj {
        m.retain(|(k, _)| k != key);
    }
}

fn inside_root(path: &str, root: &Path) -> bool {
    let p = Path::new(path);
    p != root && p.starts_with(root)
}

/// The profile's name in `.codex/config.toml`.
pub const CODEX_PROFILE: &str = "tollgate";

/// Codex: a permission profile `tollgate` in `.codex/config.toml`, made the
/// default: the factory root read-only, the box writable, the rule files in it
/// read-only (the more specific entry wins). Entries are relative to the
/// workspace root, where Codex is started.
pub fn codex(text: &str, ctx: &Context, notes: &mut Vec<String>) -> Result<Option<String>, String> {
    use toml_edit::{value, DocumentMut, Item, Table};
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML ({e})"))?;
    let default = match doc.get("default_permissions") {
        None => None,
        Some(i) => Some(i.as_str().ok_or("`default_permissions` is not a string")?.to_string()),
    };
    if let Some(p) = doc.get("permissions") {
        if !p.is_table_like() {
            return Err("`permissions` is not a table".into());
        }
    }
    match ctx.shell_box {
        Some(b) => {
            if let Some(d) = default.as_deref().filter(|d| *d != CODEX_PROFILE) {
                return Err(format!(
                    "`default_permissions` is `{d}`, so a `{CODEX_PROFILE}` profile would not be used \
                     (take it out, or set it to `{CODEX_PROFILE}`)"
                ));
            }
            if doc.contains_key("sandbox_mode") {
                notes.push(
                    "sandbox: `sandbox_mode` is set in .codex/config.toml, and Codex then ignores permission \
                     profiles: take it out for the box to hold"
                        .into(),
                );
            }
            let prefix = ctx.root.strip_prefix(ctx.project).unwrap_or(Path::new("")).to_string_lossy().to_string();
            let key = |rel: &str| match (prefix.as_str(), rel) {
                ("", "") => ".".to_string(),
                ("", r) => r.to_string(),
                (p, "") => p.to_string(),
                (p, r) => format!("{p}/{r}"),
            };
            let mut roots = Table::new();
            roots.insert(&key(""), value("read"));
            for w in &b.write {
                roots.insert(&key(w), value("write"));
            }
            for r in &b.read_only {
                roots.insert(&key(r), value("read"));
            }
            let mut fs = Table::new();
            fs.insert(":minimal", value("read"));
            fs.insert(":workspace_roots", Item::Table(roots));
            let mut profile = Table::new();
            profile.insert("extends", value(":workspace"));
            profile.insert("filesystem", Item::Table(fs));
            if default.is_none() {
                // After the other top-level keys, before any table.
                doc.insert("default_permissions", value(CODEX_PROFILE));
            }
            if !doc.contains_key("permissions") {
                let mut t = Table::new();
                t.set_implicit(true);
                doc.insert("permissions", Item::Table(t));
            }
            let perms = doc["permissions"].as_table_like_mut().expect("a table, checked above");
            perms.insert(CODEX_PROFILE, Item::Table(profile));
        }
        None => {
            if let Some(perms) = doc.get_mut("permissions").and_then(Item::as_table_like_mut) {
                perms.remove(CODEX_PROFILE);
                if perms.is_empty() {
                    doc.remove("permissions");
                }
            }
            if default.as_deref() == Some(CODEX_PROFILE) {
                doc.remove("default_permissions");
            }
        }
    }
    let out = doc.to_string();
    Ok((out != text).then_some(out))
}
