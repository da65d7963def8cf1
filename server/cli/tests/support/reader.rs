//! The reader thread: frames in, the server's requests answered (the test LSP client).

use super::*;

pub(super) fn read_frame(r: &mut impl BufRead) -> Option<Result<Value, String>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).map_err(|_| String::from_utf8_lossy(&body).into_owned()))
}

pub(super) fn reader(mut r: BufReader<std::process::ChildStdout>, shared: Arc<Shared>, tx: Sender<Incoming>) {
    loop {
        match read_frame(&mut r) {
            None => {
                let _ = tx.send(Incoming::Closed);
                return;
            }
            Some(Err(bad)) => {
                let _ = tx.send(Incoming::Bad(bad));
            }
            Some(Ok(m)) => {
                if m.get("method").is_some() && m.get("id").is_some() {
                    let held = {
                        let mut c = lock(&shared.client);
                        if c.hold {
                            c.held.push(m.clone());
                        }
                        c.hold
                    };
                    if !held {
                        answer(&shared, &m);
                    }
                }
                if tx.send(Incoming::Message(m)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Answers a request of the server as an editor does.
pub(super) fn answer(shared: &Shared, m: &Value) {
    let id = m["id"].clone();
    let params = &m["params"];
    let reply = |result: Result<Value, (i64, &str)>| match result {
        Ok(v) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Err((code, msg)) => json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": msg}}),
    };
    let method = m["method"].as_str().unwrap_or_default();
    match method {
        "workspace/configuration" => {
            let config = lock(&shared.client).config.clone();
            let items = params["items"].as_array().cloned().unwrap_or_default();
            let answers: Vec<Value> = items
                .iter()
                .map(|it| match it["section"].as_str() {
                    Some("tollgate") | None => config.clone(),
                    Some(s) => s.strip_prefix("tollgate.").and_then(|k| config.get(k).cloned()).unwrap_or(Value::Null),
                })
                .collect();
            shared.send(&reply(Ok(json!(answers))));
        }
        "client/registerCapability" => {
            let mut c = lock(&shared.client);
            for r in params["registrations"].as_array().cloned().unwrap_or_default() {
                if r["method"] == "workspace/didChangeWatchedFiles" {
                    c.watch_registered = true;
                }
                c.registrations.push(r);
            }
            drop(c);
            shared.send(&reply(Ok(Value::Null)));
        }
        "client/unregisterCapability" => shared.send(&reply(Ok(Value::Null))),
        "workspace/applyEdit" => {
            let refuse = {
                let mut c = lock(&shared.client);
                c.apply_edits.push(params.clone());
                c.refuse_apply_edit
            };
            if refuse {
                shared.send(&reply(Ok(json!({"applied": false, "failureReason": "refused by the test client"}))));
                return;
            }
            match apply_workspace_edit(shared, &params["edit"]) {
                Ok(events) => {
                    shared.send(&reply(Ok(json!({"applied": true}))));
                    let watching = {
                        let c = lock(&shared.client);
                        c.dynamic_watch && c.watch_registered
                    };
                    if watching && !events.is_empty() {
                        let changes: Vec<Value> =
                            events.iter().map(|(p, t)| json!({"uri": file_uri(p), "type": t})).collect();
                        shared.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
                    }
                }
                Err(why) => shared.send(&reply(Ok(json!({"applied": false, "failureReason": why})))),
            }
        }
        "window/workDoneProgress/create"
        | "window/showMessageRequest"
        | "window/showDocument"
        | "workspace/diagnostic/refresh"
        | "workspace/codeLens/refresh"
        | "workspace/inlayHint/refresh"
        | "workspace/semanticTokens/refresh" => shared.send(&reply(Ok(Value::Null))),
        "workspace/workspaceFolders" => shared.send(&reply(Ok(Value::Null))),
        _ => shared.send(&reply(Err((-32601, "method not found in the test client")))),
    }
}

/// Applies a workspace edit as an editor that saves: open buffers change (and
/// the server hears `didChange` + `didSave`), files are written. All or nothing:
/// every edit is computed before anything is written. Returns the file events.
pub(super) fn apply_workspace_edit(shared: &Shared, edit: &Value) -> Result<Vec<(PathBuf, u8)>, String> {
    let enc = lock(&shared.client).encoding;
    // Planned contents: path -> Some(text) to write, None to delete.
    let mut planned: Vec<(PathBuf, Option<String>, u8)> = Vec::new();
    let current = |planned: &Vec<(PathBuf, Option<String>, u8)>, path: &Path| -> Result<String, String> {
        if let Some((_, t, _)) = planned.iter().rev().find(|(p, _, _)| p == path) {
            return t.clone().ok_or_else(|| format!("{} was deleted by this edit", path.display()));
        }
        if let Some(d) = lock(&shared.client).docs.get(path) {
            return Ok(d.text.clone());
        }
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let exists = |planned: &Vec<(PathBuf, Option<String>, u8)>, path: &Path| -> bool {
        match planned.iter().rev().find(|(p, _, _)| p == path) {
            Some((_, t, _)) => t.is_some(),
            None => path.exists(),
        }
    };
    let apply_text_edits = |text: &str, edits: &[Value]| -> Result<String, String> {
        let mut spans: Vec<(usize, usize, String)> = edits
            .iter()
            .map(|e| {
                let a = offset_at(text, &e["range"]["start"], enc);
                let b = offset_at(text, &e["range"]["end"], enc);
                (a, b, e["newText"].as_str().unwrap_or_default().to_string())
            })
            .collect();
        // All ranges refer to the original text: apply from the end.
        spans.sort_by_key(|s| std::cmp::Reverse((s.0, s.1)));
        let mut out = text.to_string();
        let mut last = usize::MAX;
        for (a, b, t) in spans {
            if a > b || b > last {
                return Err("overlapping or inverted text edits".into());
            }
            out.replace_range(a..b, &t);
            last = a;
        }
        Ok(out)
    };

    let mut ops: Vec<Value> = Vec::new();
    if let Some(list) = edit.get("documentChanges").and_then(Value::as_array) {
        ops.extend(list.iter().cloned());
    }
    if let Some(map) = edit.get("changes").and_then(Value::as_object) {
        for (uri, edits) in map {
            ops.push(json!({"textDocument": {"uri": uri, "version": null}, "edits": edits}));
        }
    }
    for op in ops {
        match op.get("kind").and_then(Value::as_str) {
            None => {
                let uri = op["textDocument"]["uri"].as_str().ok_or("a text edit without a URI")?;
                let path = uri_path(uri);
                if let Some(v) = op["textDocument"]["version"].as_i64() {
                    let open = lock(&shared.client).docs.get(&path).map(|d| d.version);
                    if open.is_some_and(|o| o != v) {
                        return Err(format!("{uri}: version {v} is not the buffer's {open:?}"));
                    }
                }
                let text = current(&planned, &path)?;
                let edits = op["edits"].as_array().cloned().unwrap_or_default();
                let new = apply_text_edits(&text, &edits)?;
                let kind = if exists(&planned, &path) { 2 } else { 1 };
                planned.push((path, Some(new), kind));
            }
            Some("create") => {
                let path = uri_path(op["uri"].as_str().ok_or("create without a URI")?);
                let overwrite = op["options"]["overwrite"].as_bool().unwrap_or(false);
                let ignore = op["options"]["ignoreIfExists"].as_bool().unwrap_or(false);
                if exists(&planned, &path) {
                    if overwrite {
                        planned.push((path, Some(String::new()), 2));
                    } else if !ignore {
                        return Err(format!("{} exists", path.display()));
                    }
                } else {
                    planned.push((path, Some(String::new()), 1));
                }
            }
            Some("rename") => {
                let from = uri_path(op["oldUri"].as_str().ok_or("rename without oldUri")?);
                let to = uri_path(op["newUri"].as_str().ok_or("rename without newUri")?);
                let text = current(&planned, &from)?;
                if exists(&planned, &to) && !op["options"]["overwrite"].as_bool().unwrap_or(false) {
                    return Err(format!("{} exists", to.display()));
                }
                planned.push((from, None, 3));
                planned.push((to, Some(text), 1));
            }
            Some("delete") => {
                let path = uri_path(op["uri"].as_str().ok_or("delete without a URI")?);
                if !exists(&planned, &path) && !op["options"]["ignoreIfNotExists"].as_bool().unwrap_or(false) {
                    return Err(format!("{} does not exist", path.display()));
                }
                planned.push((path, None, 3));
            }
            Some(other) => return Err(format!("unknown resource operation `{other}`")),
        }
    }

    // Carry out: buffers first (the server hears the change), then the disk (a save).
    let mut events: Vec<(PathBuf, u8)> = Vec::new();
    for (path, text, kind) in &planned {
        match text {
            Some(t) => {
                std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
                let open = {
                    let mut c = lock(&shared.client);
                    c.docs.get_mut(path).map(|d| {
                        d.version += 1;
                        d.text = t.clone();
                        (d.uri.clone(), d.version)
                    })
                };
                if let Some((uri, version)) = &open {
                    shared.notify(
                        "textDocument/didChange",
                        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": t}]}),
                    );
                }
                std::fs::write(path, t).map_err(|e| format!("{}: {e}", path.display()))?;
                if let Some((uri, _)) = open {
                    shared.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}}));
                }
            }
            None => std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?,
        }
        // One event per path: a file created then edited by this edit is a creation.
        match events.iter_mut().find(|(p, _)| p == path) {
            Some(e) if text.is_none() => e.1 = 3,
            Some(_) => {}
            None => events.push((path.clone(), *kind)),
        }
    }
    Ok(events)
}

/// A 2-element-range JSON helper for `Publish` assertions: `(sl, sc, el, ec)` of a diagnostic.
pub fn drange(d: &Value) -> (u64, u64, u64, u64) {
    quad(&d["range"])
}

/// The code actions' titles.
pub fn titles(actions: &[Value]) -> Vec<String> {
    actions.iter().map(|a| a["title"].as_str().unwrap_or_default().to_string()).collect()
}

/// The action titled exactly `title`.
pub fn action<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action titled {title:?}; offered: {:#?}", titles(actions)))
}

/// Bounded polling for a condition outside the protocol (a file on disk, a process).
pub fn poll(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out ({timeout:?}) waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
