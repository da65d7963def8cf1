//! The server's lifecycle over real JSON-RPC: what `initialize` answers, the
//! position-encoding negotiation, and how `shutdown` and `exit` end the process.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{Enc, Project, TestServer};

const COMMANDS: [&str; 7] = [
    "tollgate.expandScope",
    "tollgate.returnToBuild",
    "tollgate.archiveAttempt",
    "tollgate.quarantine",
    "tollgate.gate",
    "tollgate.rollback",
    "tollgate.resume",
];

#[test]
fn initialize_announces_sync_commands_and_code_actions() {
    let p = Project::example();
    let s = TestServer::start(&p.root, Enc::Utf16);
    let caps = &s.init_result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    // Incremental sync (2), with open/close and save.
    let sync = &caps["textDocumentSync"];
    assert_eq!(sync["change"], 2, "{sync}");
    assert_eq!(sync["openClose"], true, "{sync}");
    assert!(sync["save"] == json!(true) || sync["save"].is_object(), "{sync}");
    let commands: Vec<&str> =
        caps["executeCommandProvider"]["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(commands, COMMANDS);
    let actions = &caps["codeActionProvider"];
    assert!(
        actions == &json!(true)
            || actions["codeActionKinds"].as_array().is_some_and(|k| k.contains(&json!("quickfix"))),
        "{actions}"
    );
    assert_eq!(s.init_result["serverInfo"]["name"], "tollgate");
    s.shutdown_and_exit();
}

#[test]
fn position_encoding_is_negotiated() {
    let p = Project::example();
    // Offered UTF-8 (and UTF-16): UTF-8.
    // (Each waits for start-up to settle before shutting down: see
    // `exit_while_the_server_awaits_the_client_still_ends_the_process`.)
    let mut s = TestServer::start(&p.root, Enc::Utf8);
    assert_eq!(s.init_result["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(s.encoding, Enc::Utf8);
    s.wait_ready();
    s.shutdown_and_exit();
    // UTF-16 only: UTF-16.
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    assert_eq!(s.init_result["capabilities"]["positionEncoding"], "utf-16");
    s.wait_ready();
    s.shutdown_and_exit();
    // Nothing offered (an LSP 3.16 client): UTF-16, LSP's default.
    let mut s =
        TestServer::builder().root(&p.root).capabilities(json!({"general": {"positionEncodings": null}})).start();
    let negotiated = &s.init_result["capabilities"]["positionEncoding"];
    assert!(negotiated == "utf-16" || negotiated.is_null(), "{negotiated}");
    s.wait_ready();
    s.shutdown_and_exit();
    // Only encodings we do not speak, or UTF-32 first: never UTF-8 unless offered.
    let mut s = TestServer::builder()
        .root(&p.root)
        .capabilities(json!({"general": {"positionEncodings": ["utf-32", "utf-16"]}}))
        .start();
    assert_eq!(s.init_result["capabilities"]["positionEncoding"], "utf-16");
    s.wait_ready();
    s.shutdown_and_exit();
}

#[test]
fn shutdown_then_exit_ends_the_process_promptly_with_0_even_with_stdin_open() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    // Some work in flight first: a document open, its diagnostics published.
    let uri = p.uri("pipeline.yaml");
    s.open(&uri);
    s.wait_for_version(&uri, 1);
    let (status, took) = s.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn exit_without_shutdown_ends_with_1() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    s.settle();
    let t = Instant::now();
    s.notify("exit", Value::Null);
    let status = s.wait_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(1), "stderr:\n{}", s.stderr());
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn exit_before_initialize_ends_with_1() {
    let mut s = TestServer::spawn_raw();
    s.notify("exit", Value::Null);
    assert_eq!(s.wait_exit(Duration::from_secs(2)).code(), Some(1));
}

#[test]
fn requests_after_shutdown_are_refused_and_exit_still_ends_with_0() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    s.wait_ready();
    assert_eq!(s.request("shutdown", Value::Null), Ok(Value::Null));
    // LSP: after shutdown, requests get InvalidRequest.
    let uri = p.uri("pipeline.yaml");
    let err = s
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
        )
        .expect_err("a request after shutdown is refused");
    assert_eq!(err["code"], -32600, "{err}");
    s.notify("exit", Value::Null);
    assert_eq!(s.wait_exit(Duration::from_secs(2)).code(), Some(0));
}

#[test]
fn closing_stdin_ends_the_process() {
    let p = Project::example();
    let mut s = TestServer::start(&p.root, Enc::Utf16);
    s.wait_for_diagnostics(&p.uri("pipeline.yaml"), |_| true, support::TIMEOUT);
    s.close_stdin();
    // The client is gone without `shutdown`: the server ends (with 1) instead of lingering.
    let status = s.wait_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_request_before_initialize_is_refused_and_the_server_lives_on() {
    let mut s = TestServer::spawn_raw();
    let err = s
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///x.yaml"}, "position": {"line": 0, "character": 0}}),
        )
        .expect_err("not initialized");
    assert_eq!(err["code"], -32002, "ServerNotInitialized: {err}");
    let r =
        s.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}})).expect("initialize");
    assert_eq!(r["capabilities"]["positionEncoding"], "utf-16");
    s.notify("initialized", json!({}));
    s.shutdown_and_exit();
}

/// A client that is slow to answer the server's start-up requests (here
/// `client/registerCapability`) and shuts the server down meanwhile: `exit`
/// must still end the process at once.
#[test]
fn exit_while_the_server_awaits_the_client_still_ends_the_process() {
    let p = Project::example();
    let mut s = TestServer::builder().root(&p.root).hold(true).start();
    s.wait_for_server_request("client/registerCapability");
    assert_eq!(s.request("shutdown", Value::Null), Ok(Value::Null));
    let t = Instant::now();
    s.notify("exit", Value::Null);
    let status = s.wait_exit(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0));
    assert!(t.elapsed() < Duration::from_secs(2));
}

/// Clients (vscode-languageclient, nvim-lspconfig's generic configs, Helix) start servers with
/// `--stdio`: accepted, and the same server answers.
#[test]
fn lsp_accepts_the_stdio_flag_that_clients_pass() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["lsp", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |msg: Value| {
        let body = msg.to_string();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    };
    // The answer to request `id`, reading past any other frame.
    let mut answer = |id: i64| loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout");
            if line == "\r\n" {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        stdout.read_exact(&mut body).unwrap();
        let msg: Value = serde_json::from_slice(&body).unwrap();
        if msg["id"] == id {
            break msg;
        }
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "rootUri": null, "capabilities": {}}}),
    );
    let init = answer(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "tollgate", "{init}");
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    assert_eq!(answer(2)["result"], Value::Null);
    send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no exit after shutdown and exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));

    // Another transport is refused as a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate")).args(["lsp", "--socket", "9257"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--socket'"));
}
