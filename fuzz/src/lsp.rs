//! `lsp_messages`: a stream of JSON-RPC messages and document edits, decoded from
//! the fuzzer's bytes, into an in-process server over a fresh copy of the example
//! project. The harness plays the client: it answers every request the server
//! sends (`workspace/configuration`, `workspace/applyEdit`, registrations) and
//! checks what it publishes. A panic (even one the server catches and turns into
//! an internal error) or a request slower than `REQUEST_TIMEOUT` is a failure.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{ErrorCode, Request, Response};
use tower_lsp_server::ls_types::Uri;
use tower_service::Service;

use super::{copy_tree, fixture, runtime, REQUEST_TIMEOUT};

/// Reads the fuzzer's bytes as small numbers and strings; zeros once exhausted.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn small(&mut self) -> u32 {
        let b = self.byte();
        if b < 250 {
            u32::from(b % 40)
        } else {
            u32::from(self.byte()) << 8 | u32::from(self.byte())
        }
    }

    fn string(&mut self) -> String {
        let len = usize::from(self.byte());
        let (s, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    fn done(&self) -> bool {
        self.data.is_empty()
    }
}

const FILES: &[&str] = &[
    "pipeline.yaml",
    "policies/capability.matrix.md",
    ".factory/state.json",
    ".factory/scope.yaml",
    ".factory/evidence.jsonl",
    "pipeline/error.log",
    "artifacts/prd/prd.md",
    "artifacts/new.ts",
    "input/idea.md",
    "other.yaml",
    "../outside.yaml",
    "日本/😀.yaml",
];

const COMMANDS: &[&str] = &[
    "tollgate.expandScope",
    "tollgate.returnToBuild",
    "tollgate.archiveAttempt",
    "tollgate.quarantine",
    "tollgate.gate",
    "tollgate.rollback",
    "tollgate.resume",
    "nope",
];

const METHODS: &[&str] = &[
    "textDocument/codeAction",
    "textDocument/documentLink",
    "textDocument/diagnostic",
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/completion",
    "textDocument/documentSymbol",
    "workspace/executeCommand",
    "textDocument/didOpen",
    "textDocument/didChange",
    "workspace/didChangeWatchedFiles",
    "workspace/didChangeConfiguration",
];

fn uri(root: &std::path::Path, rel: &str) -> Uri {
    Uri::from_file_path(root.join(rel)).expect("file uri")
}

pub fn lsp_messages(data: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    copy_tree(&fixture(), &root);
    std::fs::write(dir.path().join("outside.yaml"), "a: 1\n").unwrap();
    let mut input = Input { data };
    runtime().block_on(session(&root, &mut input));
}

async fn session(root: &std::path::Path, input: &mut Input<'_>) {
    let (mut service, socket) = tollgate_lsp::fuzzing::service();
    let (mut requests, mut responses) = socket.split();
    // The client: answer whatever the server asks (configuration: an override table).
    let client = tokio::spawn(async move {
        let mut published = 0usize;
        while let Some(req) = requests.next().await {
            if req.method() == "textDocument/publishDiagnostics" {
                published += 1;
                let p = req.params().cloned().unwrap_or(Value::Null);
                for d in p["diagnostics"].as_array().into_iter().flatten() {
                    let (s, e) = (&d["range"]["start"], &d["range"]["end"]);
                    let key = |p: &Value| (p["line"].as_u64().unwrap(), p["character"].as_u64().unwrap());
                    assert!(key(s) <= key(e), "reversed range in {d}");
                    assert_eq!(d["source"], "tollgate");
                }
            }
            if let Some(id) = req.id().cloned() {
                let result = match req.method() {
                    "workspace/configuration" => json!([{"severity": {"stage-summary": "off"}}]),
                    "workspace/applyEdit" => json!({"applied": published % 2 == 0}),
                    _ => Value::Null,
                };
                if responses.send(Response::from_ok(id, result)).await.is_err() {
                    break;
                }
            }
        }
    });

    let mut next_id = 0i64;
    let call = |service: &mut tower_lsp_server::LspService<tollgate_lsp::Server>, req: Request| {
        let method = req.method().to_string();
        let fut = {
            // The service is always ready (tower-lsp's LspService answers Ready at once).
            let waker = futures::task::noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            let _ = service.poll_ready(&mut cx);
            service.call(req)
        };
        async move {
            match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
                Err(_) => panic!("`{method}` took longer than {REQUEST_TIMEOUT:?}"),
                Ok(Err(_exited)) => {}
                Ok(Ok(Some(resp))) => {
                    if let (_, Err(e)) = resp.into_parts() {
                        assert!(
                            e.code != ErrorCode::InternalError,
                            "`{method}` failed inside the server: {}",
                            e.message
                        );
                    }
                }
                Ok(Ok(None)) => {}
            }
        }
    };
    let mut id = move || {
        next_id += 1;
        next_id
    };

    let flags = input.byte();
    let encodings = if flags & 1 == 1 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) };
    let mode = if flags & 2 == 2 { "pull" } else { "push" };
    let init = Request::build("initialize")
        .id(id())
        .params(json!({
            "capabilities": {"general": {"positionEncodings": encodings},
                             "workspace": {"configuration": true, "applyEdit": true}},
            "workspaceFolders": [{"uri": uri(root, "").as_str(), "name": "ws"}],
            "initializationOptions": {"diagnosticMode": mode},
        }))
        .finish();
    call(&mut service, init).await;
    call(&mut service, Request::build("initialized").params(json!({})).finish()).await;

    let mut versions = vec![0i32; FILES.len()];
    let mut steps = 0;
    while !input.done() && steps < 64 {
        steps += 1;
        let op = input.byte() % 12;
        let f = usize::from(input.byte()) % FILES.len();
        let doc = json!({"uri": uri(root, FILES[f]).as_str()});
        let req = match op {
            0 => {
                // A raw message: whatever JSON the bytes hold.
                let text = input.string();
                match serde_json::from_str::<Request>(&text) {
                    Ok(r) if r.method() != "exit" => r,
                    _ => continue,
                }
            }
            1 => {
                versions[f] += 1;
                let text = if input.byte() % 2 == 0 {
                    std::fs::read_to_string(root.join(FILES[f])).unwrap_or_default()
                } else {
                    input.string()
                };
                Request::build("textDocument/didOpen")
                    .params(json!({"textDocument": {"uri": doc["uri"], "languageId": "yaml", "version": versions[f], "text": text}}))
                    .finish()
            }
            2 => {
                versions[f] += 1;
                let n = 1 + input.byte() % 3;
                let changes: Vec<Value> = (0..n)
                    .map(|_| {
                        if input.byte() % 8 == 0 {
                            json!({"text": input.string()})
                        } else {
                            let r = json!({"start": {"line": input.small(), "character": input.small()},
                                           "end": {"line": input.small(), "character": input.small()}});
                            json!({"range": r, "text": input.string()})
                        }
                    })
                    .collect();
                Request::build("textDocument/didChange")
                    .params(
                        json!({"textDocument": {"uri": doc["uri"], "version": versions[f]}, "contentChanges": changes}),
                    )
                    .finish()
            }
            3 => Request::build("textDocument/didClose").params(json!({"textDocument": doc})).finish(),
            4 => Request::build("textDocument/didSave").params(json!({"textDocument": doc})).finish(),
            5 => {
                let r = json!({"start": {"line": input.small(), "character": input.small()},
                               "end": {"line": input.small(), "character": input.small()}});
                Request::build("textDocument/codeAction")
                    .id(id())
                    .params(json!({"textDocument": doc, "range": r, "context": {"diagnostics": []}}))
                    .finish()
            }
            6 => {
                let command = COMMANDS[usize::from(input.byte()) % COMMANDS.len()];
                let root_arg = match input.byte() % 4 {
                    0 => json!(root.to_string_lossy()),
                    1 => json!(uri(root, "").as_str()),
                    2 => json!(input.string()),
                    _ => Value::Null,
                };
                let args = json!([{"root": root_arg, "path": input.string(), "stage": input.string(),
                                   "ops": [input.string()], "reason": input.string(), "to": input.string()}]);
                Request::build("workspace/executeCommand")
                    .id(id())
                    .params(json!({"command": command, "arguments": args}))
                    .finish()
            }
            7 => Request::build("textDocument/documentLink").id(id()).params(json!({"textDocument": doc})).finish(),
            8 => Request::build("textDocument/diagnostic").id(id()).params(json!({"textDocument": doc})).finish(),
            9 => {
                let kind = 1 + input.byte() % 3;
                if kind == 3 {
                    let _ = std::fs::remove_file(root.join(FILES[f]));
                } else if let Some(parent) = root.join(FILES[f]).parent() {
                    let _ = std::fs::create_dir_all(parent);
                    let _ = std::fs::write(root.join(FILES[f]), input.string());
                }
                Request::build("workspace/didChangeWatchedFiles")
                    .params(json!({"changes": [{"uri": doc["uri"], "type": kind}]}))
                    .finish()
            }
            10 => Request::build("workspace/didChangeConfiguration").params(json!({"settings": {}})).finish(),
            _ => {
                // A known method with parameters of the wrong shape.
                let method = METHODS[usize::from(input.byte()) % METHODS.len()];
                let params: Value = serde_json::from_str(&input.string()).unwrap_or(json!({"textDocument": doc}));
                let b = Request::build(method.to_string()).params(params);
                if input.byte() % 2 == 0 {
                    b.id(id()).finish()
                } else {
                    b.finish()
                }
            }
        };
        call(&mut service, req).await;
    }
    call(&mut service, Request::build("shutdown").id(id()).finish()).await;
    drop(service);
    // Let the client read what is queued, then stop it; its assertions count.
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
    client.abort();
    if let Err(e) = client.await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
