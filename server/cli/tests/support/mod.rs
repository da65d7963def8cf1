//! A real LSP client for end-to-end tests: it spawns `tollgate lsp`, speaks
//! JSON-RPC over its stdio (Content-Length frames), answers the server's
//! requests the way an editor does (`workspace/configuration`,
//! `client/registerCapability`, `workspace/applyEdit` applied to the files on
//! disk like a client that saves, `window/*`), and waits for what the server
//! publishes, every wait bounded and failing with the messages seen so far.
//!
//! Projects are copies of the bundled fixtures in a temporary directory of
//! their own, optionally a git repository with one commit.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

/// The bound of every wait.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Before the fixture run's `startTime` (2026-01-29T10:00:00Z): copied files
/// get this mtime, so outside git only what a test writes counts as changed.
pub const OLD_MTIME: u64 = 1_769_679_000; // 2026-01-29T09:30:00Z

// ===========================================================================
// Positions
// ===========================================================================

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    Utf8,
    Utf16,
}

impl Enc {
    pub fn kind(self) -> &'static str {
        match self {
            Enc::Utf8 => "utf-8",
            Enc::Utf16 => "utf-16",
        }
    }
    fn width(self, c: char) -> u32 {
        match self {
            Enc::Utf8 => c.len_utf8() as u32,
            Enc::Utf16 => c.len_utf16() as u32,
        }
    }
}

pub const BOTH: [Enc; 2] = [Enc::Utf8, Enc::Utf16];

/// The LSP position of byte `offset` (lines end at `\n`, `\r\n` or `\r`).
pub fn position(text: &str, offset: usize, enc: Enc) -> (u32, u32) {
    let (mut line, mut col) = (0u32, 0u32);
    let mut chars = text[..offset].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => {
                line += 1;
                col = 0;
            }
            c => col += enc.width(c),
        }
    }
    // An offset between `\r` and `\n` does not occur in our tests.
    (line, col)
}

/// The byte offset of an LSP position (clamped to the line's end).
pub fn offset(text: &str, line: u32, character: u32, enc: Enc) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut l = 0;
    while l < line && i < bytes.len() {
        match bytes[i] {
            b'\n' => l += 1,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => l += 1,
            _ => {}
        }
        i += 1;
    }
    let mut col = 0;
    for c in text[i..].chars() {
        if col >= character || c == '\n' || c == '\r' {
            break;
        }
        col += enc.width(c);
        i += c.len_utf8();
    }
    i
}

/// The byte span of the `nth` (0-based) occurrence of `needle`.
pub fn find(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` (#{nth}) is not in the text:\n{text}"))
        .0;
    (start, start + needle.len())
}

/// An LSP range (JSON) of a byte span.
pub fn range(text: &str, span: (usize, usize), enc: Enc) -> Value {
    let (a, b) = (position(text, span.0, enc), position(text, span.1, enc));
    json!({"start": {"line": a.0, "character": a.1}, "end": {"line": b.0, "character": b.1}})
}

/// The LSP range of the `nth` occurrence of `needle`.
pub fn range_of(text: &str, needle: &str, nth: usize, enc: Enc) -> Value {
    range(text, find(text, needle, nth), enc)
}

/// A range as `(line, character, line, character)`.
pub fn quad(r: &Value) -> (u64, u64, u64, u64) {
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a position number in {r}"));
    (n(&r["start"]["line"]), n(&r["start"]["character"]), n(&r["end"]["line"]), n(&r["end"]["character"]))
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

// ===========================================================================
// URIs
// ===========================================================================

/// `file://` URI of an absolute path, percent-encoding what RFC 3986 does not allow in a path.
pub fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for &b in path.to_string_lossy().as_bytes() {
        let plain = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a `file://` URI (percent-decoded), to compare URIs however they are spelled.
pub fn uri_path(uri: &str) -> PathBuf {
    let rest = uri.strip_prefix("file://").unwrap_or_else(|| panic!("not a file URI: {uri}"));
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8(out).unwrap_or_else(|_| panic!("URI is not UTF-8 once decoded: {uri}")))
}

// ===========================================================================
// Projects
// ===========================================================================

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A project in a temporary directory of its own, removed on drop.
pub struct Project {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Project {
    pub fn empty() -> Project {
        let dir = tempfile::Builder::new().prefix("tollgate-lsp-").tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
        Project { _dir: dir, root }
    }

    /// `tests/fixtures/example`: the real pipeline and matrix, the agents, an
    /// active run of stage `code` and a scope. Files get an mtime before the
    /// run's start.
    pub fn example() -> Project {
        Self::copy_of("example")
    }

    /// `tests/fixtures/agent-app-factory`: the real project's pipeline and matrix, unchanged.
    pub fn agent_app_factory() -> Project {
        Self::copy_of("agent-app-factory")
    }

    pub fn copy_of(fixture: &str) -> Project {
        let p = Project::empty();
        copy_tree(&fixtures().join(fixture), &p.root);
        p
    }

    /// `git init` and one commit of everything: later changes are the changed paths.
    pub fn git_init(&self) -> &Self {
        self.git(&["-c", "init.defaultBranch=main", "init", "-q"]);
        self.commit_all("fixture");
        self
    }

    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            message,
        ]);
    }

    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git").args(args).current_dir(&self.root).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.path(rel))
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.path(rel)).is_ok()
    }

    /// Every file (bytes), directory (`dir/`) and symlink (its target) under the root.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root)
    }
}

/// Every file, directory and symlink under `root`, by relative path.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(format!("{rel} ->"), std::fs::read_link(&p).unwrap().to_string_lossy().as_bytes().to_vec());
            } else if m.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            set_old_mtime(&target);
        }
    }
}

pub fn set_old_mtime(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(OLD_MTIME)).unwrap();
}

// ===========================================================================
// Diagnostics
// ===========================================================================

/// One `textDocument/publishDiagnostics`.
#[derive(Clone, Debug)]
pub struct Publish {
    /// Position in the order of all publishes.
    pub seq: usize,
    pub uri: String,
    pub path: PathBuf,
    pub version: Option<i64>,
    pub diagnostics: Vec<Value>,
}

impl Publish {
    pub fn codes(&self) -> Vec<&str> {
        self.diagnostics.iter().map(code).collect()
    }
    pub fn with_code(&self, c: &str) -> Vec<&Value> {
        self.diagnostics.iter().filter(|d| code(d) == c).collect()
    }
    pub fn count(&self, c: &str) -> usize {
        self.with_code(c).len()
    }
    pub fn has(&self, c: &str) -> bool {
        self.count(c) > 0
    }
    /// The one diagnostic with code `c`.
    pub fn one(&self, c: &str) -> &Value {
        let found = self.with_code(c);
        assert_eq!(found.len(), 1, "expected one `{c}` in {}: {:#?}", self.uri, self.diagnostics);
        found[0]
    }
}

pub fn code(d: &Value) -> &str {
    d["code"].as_str().unwrap_or("")
}

/// A short line per diagnostic: `code sev [l:c-l:c] message`.
pub fn describe(diags: &[Value]) -> String {
    diags
        .iter()
        .map(|d| {
            let (a, b, c, e) = quad(&d["range"]);
            format!("  {} sev{} [{a}:{b}-{c}:{e}] {}", code(d), d["severity"], d["message"].as_str().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ===========================================================================
// The client
// ===========================================================================

#[derive(Clone, Debug)]
pub struct Doc {
    pub uri: String,
    pub version: i64,
    pub text: String,
}

/// What the client side knows, shared with the reader thread that answers the server.
struct ClientState {
    encoding: Enc,
    config: Value,
    refuse_apply_edit: bool,
    /// The client can register file watchers dynamically and sends their events.
    dynamic_watch: bool,
    /// The server registered `workspace/didChangeWatchedFiles`.
    watch_registered: bool,
    registrations: Vec<Value>,
    apply_edits: Vec<Value>,
    docs: HashMap<PathBuf, Doc>,
    /// Leave the server's requests unanswered (a slow client), keeping them here.
    hold: bool,
    held: Vec<Value>,
}

struct Shared {
    writer: Mutex<Option<ChildStdin>>,
    client: Mutex<ClientState>,
    stderr: Mutex<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn send(&self, msg: &Value) {
        let body = serde_json::to_vec(msg).unwrap();
        self.send_raw(&[format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(), &body].concat());
    }
    fn send_raw(&self, bytes: &[u8]) {
        let mut w = lock(&self.writer);
        if let Some(w) = w.as_mut() {
            // A server that died shows in the waits; do not panic in the reader thread.
            let _ = w.write_all(bytes).and_then(|_| w.flush());
        }
    }
    fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }
}

pub struct Builder {
    folders: Vec<PathBuf>,
    encoding: Enc,
    dynamic_watch: bool,
    extra_caps: Value,
    config: Value,
    init_options: Option<Value>,
    refuse_apply_edit: bool,
    hold: bool,
}

impl Builder {
    /// A slow client from the start: the server's requests stay unanswered until `release`.
    pub fn hold(mut self, yes: bool) -> Self {
        self.hold = yes;
        self
    }

    /// The workspace folder (one root); call again for more folders.
    pub fn root(mut self, dir: &Path) -> Self {
        self.folders.push(dir.to_path_buf());
        self
    }
    /// The encodings the client offers: UTF-8 (and UTF-16), or UTF-16 only.
    pub fn encoding(mut self, enc: Enc) -> Self {
        self.encoding = enc;
        self
    }
    /// Merged into the default client capabilities (objects merge, other values replace).
    pub fn capabilities(mut self, caps: Value) -> Self {
        merge(&mut self.extra_caps, caps);
        self
    }
    /// Whether the client can register file watchers (and then sends their events).
    pub fn dynamic_watch(mut self, yes: bool) -> Self {
        self.dynamic_watch = yes;
        self
    }
    /// The `tollgate` section answered to `workspace/configuration`.
    pub fn config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }
    pub fn init_options(mut self, options: Value) -> Self {
        self.init_options = Some(options);
        self
    }
    pub fn refuse_apply_edit(mut self, yes: bool) -> Self {
        self.refuse_apply_edit = yes;
        self
    }

    fn client_capabilities(&self) -> Value {
        let encodings = match self.encoding {
            Enc::Utf8 => json!(["utf-8", "utf-16"]),
            Enc::Utf16 => json!(["utf-16"]),
        };
        let mut caps = json!({
            "general": {"positionEncodings": encodings},
            "workspace": {
                "applyEdit": true,
                "configuration": true,
                "workspaceFolders": true,
                "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]},
                "didChangeWatchedFiles": {"dynamicRegistration": self.dynamic_watch, "relativePatternSupport": true},
                "executeCommand": {"dynamicRegistration": false},
            },
            "textDocument": {
                "synchronization": {"dynamicRegistration": false, "didSave": true},
                "publishDiagnostics": {"versionSupport": true, "relatedInformation": true},
                "codeAction": {
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["", "quickfix", "refactor", "source"]}},
                    "disabledSupport": true,
                    "dataSupport": true,
                },
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "definition": {"linkSupport": false},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
                "completion": {"completionItem": {"snippetSupport": false, "insertReplaceSupport": false}},
                "documentLink": {"tooltipSupport": true},
            },
            "window": {"workDoneProgress": true, "showMessage": {}},
        });
        merge(&mut caps, self.extra_caps.clone());
        caps
    }

    /// Spawns the server, sends `initialize` and `initialized`.
    pub fn start(self) -> TestServer {
        let caps = self.client_capabilities();
        let mut server = TestServer::spawn(ClientState {
            encoding: self.encoding,
            config: self.config.clone(),
            refuse_apply_edit: self.refuse_apply_edit,
            dynamic_watch: self.dynamic_watch,
            watch_registered: false,
            registrations: Vec::new(),
            apply_edits: Vec::new(),
            docs: HashMap::new(),
            hold: self.hold,
            held: Vec::new(),
        });
        server.root = self.folders.first().cloned();
        server.expects_configuration = caps["workspace"]["configuration"] == json!(true) && !self.hold;
        let folders: Vec<Value> = self
            .folders
            .iter()
            .map(|f| json!({"uri": file_uri(f), "name": f.file_name().unwrap().to_string_lossy()}))
            .collect();
        let mut params = json!({
            "processId": std::process::id(),
            "clientInfo": {"name": "tollgate-e2e", "version": "1"},
            "rootUri": self.folders.first().map(|f| file_uri(f)),
            "workspaceFolders": if folders.is_empty() { Value::Null } else { json!(folders) },
            "capabilities": caps,
        });
        if let Some(o) = self.init_options {
            params["initializationOptions"] = o;
        }
        let result = server.request("initialize", params).unwrap_or_else(|e| panic!("initialize failed: {e}"));
        server.init_result = result;
        let negotiated = server.init_result["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16");
        server.encoding = if negotiated == "utf-8" { Enc::Utf8 } else { Enc::Utf16 };
        lock(&server.shared.client).encoding = server.encoding;
        server.notify("initialized", json!({}));
        server
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

enum Incoming {
    Message(Value),
    /// A frame that is not JSON, or stdout closed.
    Bad(String),
    Closed,
}

pub struct TestServer {
    child: Child,
    shared: Arc<Shared>,
    rx: Receiver<Incoming>,
    /// Every message received, in order.
    pub log: Vec<Value>,
    publishes: Vec<Publish>,
    cursor: usize,
    responses: HashMap<i64, Value>,
    next_id: i64,
    closed: bool,
    pub encoding: Enc,
    pub init_result: Value,
    pub root: Option<PathBuf>,
    /// The client announced `workspace.configuration`: start-up ends with that request.
    expects_configuration: bool,
}

impl TestServer {
    pub fn builder() -> Builder {
        Builder {
            folders: Vec::new(),
            encoding: Enc::Utf16,
            dynamic_watch: true,
            extra_caps: json!({}),
            config: json!({}),
            init_options: None,
            refuse_apply_edit: false,
            hold: false,
        }
    }

    /// A server on `root` with the default client (UTF-16, dynamic watching).
    pub fn start(root: &Path, enc: Enc) -> TestServer {
        Self::builder().root(root).encoding(enc).start()
    }

    /// The process, not initialized (for lifecycle and malformed-input tests).
    pub fn spawn_raw() -> TestServer {
        Self::spawn(ClientState {
            encoding: Enc::Utf16,
            config: json!({}),
            refuse_apply_edit: false,
            dynamic_watch: false,
            watch_registered: false,
            registrations: Vec::new(),
            apply_edits: Vec::new(),
            docs: HashMap::new(),
            hold: false,
            held: Vec::new(),
        })
    }

    fn spawn(client: ClientState) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .arg("lsp")
            .env("TOLLGATE_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tollgate lsp");
        let shared = Arc::new(Shared {
            writer: Mutex::new(child.stdin.take()),
            client: Mutex::new(client),
            stderr: Mutex::new(String::new()),
        });
        let (tx, rx) = channel();
        let stdout = child.stdout.take().unwrap();
        let reader_shared = shared.clone();
        std::thread::spawn(move || reader(BufReader::new(stdout), reader_shared, tx));
        let mut stderr = child.stderr.take().unwrap();
        let err_shared = shared.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lock(&err_shared.stderr).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        TestServer {
            child,
            shared,
            rx,
            log: Vec::new(),
            publishes: Vec::new(),
            cursor: 0,
            responses: HashMap::new(),
            next_id: 1,
            closed: false,
            encoding: Enc::Utf16,
            init_result: Value::Null,
            root: None,
            expects_configuration: false,
        }
    }

    // ----- raw I/O ---------------------------------------------------------

    pub fn send(&self, msg: &Value) {
        self.shared.send(msg);
    }

    /// Bytes as they are, for malformed-message tests.
    pub fn send_raw(&self, bytes: &[u8]) {
        self.shared.send_raw(bytes);
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.shared.notify(method, params);
    }

    /// Sends a request; returns its id (see `response`).
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the response to request `id`: `Ok(result)` or `Err(error object)`.
    pub fn response(&mut self, id: i64, timeout: Duration) -> Result<Value, Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.responses.remove(&id) {
                return match r.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(r.get("result").cloned().unwrap_or(Value::Null)),
                };
            }
            if !self.pump(deadline) {
                self.fail(&format!("no response to request {id} within {timeout:?}"));
            }
        }
    }

    /// A request and its answer, within `TIMEOUT`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.response(id, TIMEOUT)
    }

    /// Receives one message (until `deadline`); false on timeout or when the server is gone.
    fn pump(&mut self, deadline: Instant) -> bool {
        if self.closed {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(Incoming::Message(m)) => {
                self.record(m);
                true
            }
            Ok(Incoming::Bad(what)) => {
                self.log.push(json!({"unparsed": what}));
                true
            }
            Ok(Incoming::Closed) => {
                self.closed = true;
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                false
            }
        }
    }

    fn record(&mut self, m: Value) {
        if m.get("method").is_none() {
            if let Some(id) = m.get("id").and_then(Value::as_i64) {
                self.responses.insert(id, m.clone());
            }
        } else if m["method"] == "textDocument/publishDiagnostics" {
            let p = &m["params"];
            let uri = p["uri"].as_str().unwrap_or_default().to_string();
            self.publishes.push(Publish {
                seq: self.publishes.len(),
                path: uri_path(&uri),
                uri,
                version: p.get("version").and_then(Value::as_i64),
                diagnostics: p["diagnostics"].as_array().cloned().unwrap_or_default(),
            });
        }
        self.log.push(m);
    }

    /// The notifications `method` received so far, in order.
    pub fn notifications(&mut self, method: &str) -> Vec<Value> {
        self.drain();
        self.log.iter().filter(|m| m["method"] == method).map(|m| m["params"].clone()).collect()
    }

    /// Waits until the `n`th (0-based) notification `method` arrives; its params.
    pub fn wait_for_notification(&mut self, method: &str, n: usize, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(p) = self.notifications(method).get(n) {
                return p.clone();
            }
            if !self.pump(deadline) && Instant::now() >= deadline {
                self.fail(&format!("no {method} notification number {} within {timeout:?}", n + 1));
            }
        }
    }

    /// Takes in whatever has arrived, without waiting.
    pub fn drain(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            match m {
                Incoming::Message(m) => self.record(m),
                Incoming::Bad(what) => self.log.push(json!({"unparsed": what})),
                Incoming::Closed => self.closed = true,
            }
        }
    }

    /// Panics with what the server said so far.
    pub fn fail(&mut self, what: &str) -> ! {
        self.drain();
        let recent: Vec<String> = self.log.iter().rev().take(60).rev().map(summary).collect();
        let stderr = lock(&self.shared.stderr).clone();
        // Give a dying process a moment to be reaped, to report how it ended.
        let mut status = None;
        for _ in 0..20 {
            status = self.child.try_wait().ok().flatten();
            if status.is_some() || !self.closed {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let what = match (self.closed, status) {
            (_, Some(st)) => format!("{what}\n(the server process has ended: {st})"),
            (true, None) => format!("{what}\n(the server closed its output)"),
            _ => what.to_string(),
        };
        let what = what.as_str();
        let tail: String =
            stderr.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        panic!(
            "{what}\n--- {} messages received (last {}):\n{}\n--- server stderr (tail):\n{tail}",
            self.log.len(),
            recent.len(),
            recent.join("\n")
        );
    }

    // ----- diagnostics -----------------------------------------------------

    /// Publishes from now on are the ones `wait_for_diagnostics` looks at.
    pub fn mark(&mut self) {
        self.drain();
        self.cursor = self.publishes.len();
    }

    /// The first publish for `uri` since the last `mark` that satisfies `pred`.
    pub fn wait_for_diagnostics(&mut self, uri: &str, pred: impl Fn(&Publish) -> bool, timeout: Duration) -> Publish {
        let path = uri_path(uri);
        let deadline = Instant::now() + timeout;
        let mut from = self.cursor;
        loop {
            if let Some(p) = self.publishes[from..].iter().find(|p| p.path == path && pred(p)) {
                return p.clone();
            }
            from = self.publishes.len();
            if !self.pump(deadline) {
                let seen = self.describe_publishes(&path);
                self.fail(&format!("timed out ({timeout:?}) waiting for diagnostics on {uri}; its publishes:\n{seen}"));
            }
        }
    }

    /// The publish for `uri` with exactly `version`.
    pub fn wait_for_version(&mut self, uri: &str, version: i64) -> Publish {
        self.wait_for_diagnostics(uri, |p| p.version == Some(version), TIMEOUT)
    }

    /// Waits until the latest publish for `uri` (the server's current view) satisfies `pred`.
    pub fn wait_for_latest(&mut self, uri: &str, pred: impl Fn(&Publish) -> bool) -> Publish {
        let path = uri_path(uri);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(p) = self.latest_of(&path).filter(|p| pred(p)) {
                return p.clone();
            }
            if !self.pump(deadline) {
                let seen = self.describe_publishes(&path);
                self.fail(&format!(
                    "timed out ({TIMEOUT:?}) waiting for the latest diagnostics of {uri}; its publishes:\n{seen}"
                ));
            }
        }
    }

    /// Waits until `uri` has no diagnostic with code `c` (never published counts as none).
    pub fn wait_for_no(&mut self, uri: &str, c: &str) {
        let path = uri_path(uri);
        if self.latest_of(&path).is_none() {
            self.drain();
            if self.latest_of(&path).is_none() {
                return;
            }
        }
        self.wait_for_latest(uri, |p| !p.has(c));
    }

    pub fn latest(&mut self, uri: &str) -> Option<Publish> {
        self.drain();
        self.latest_of(&uri_path(uri)).cloned()
    }

    fn latest_of(&self, path: &Path) -> Option<&Publish> {
        self.publishes.iter().rev().find(|p| p.path == path)
    }

    /// Every publish for `uri` so far.
    pub fn publishes_for(&mut self, uri: &str) -> Vec<Publish> {
        self.drain();
        let path = uri_path(uri);
        self.publishes.iter().filter(|p| p.path == path).cloned().collect()
    }

    pub fn all_publishes(&mut self) -> Vec<Publish> {
        self.drain();
        self.publishes.clone()
    }

    fn describe_publishes(&self, path: &Path) -> String {
        self.publishes
            .iter()
            .filter(|p| p.path == path)
            .map(|p| format!("#{} v{:?}:\n{}", p.seq, p.version, describe(&p.diagnostics)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    // ----- documents -------------------------------------------------------

    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.root.as_ref().expect("a root").join(rel))
    }

    /// Opens the file at `uri` with its text on disk, version 1.
    pub fn open(&mut self, uri: &str) -> Doc {
        let text = std::fs::read_to_string(uri_path(uri)).unwrap_or_else(|e| panic!("{uri}: {e}"));
        self.open_text(uri, &text)
    }

    /// Opens `uri` with `text` (not necessarily what is on disk), version 1.
    pub fn open_text(&mut self, uri: &str, text: &str) -> Doc {
        let doc = Doc { uri: uri.to_string(), version: 1, text: text.to_string() };
        let lang = language_of(uri);
        lock(&self.shared.client).docs.insert(uri_path(uri), doc.clone());
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}}),
        );
        doc
    }

    pub fn doc(&self, uri: &str) -> Doc {
        lock(&self.shared.client).docs.get(&uri_path(uri)).cloned().unwrap_or_else(|| panic!("{uri} is not open"))
    }

    pub fn text(&self, uri: &str) -> String {
        self.doc(uri).text
    }

    /// Sends `didChange` with `version` and the edits `(range, new text)`, applied in
    /// order (each range against the text the previous one left); keeps our copy in step.
    pub fn change(&mut self, uri: &str, version: i64, edits: Vec<(Value, String)>) {
        let enc = self.encoding;
        {
            let mut client = lock(&self.shared.client);
            let doc = client.docs.get_mut(&uri_path(uri)).unwrap_or_else(|| panic!("{uri} is not open"));
            for (r, new) in &edits {
                let (a, b) = (offset_at(&doc.text, &r["start"], enc), offset_at(&doc.text, &r["end"], enc));
                doc.text.replace_range(a..b, new);
            }
            doc.version = version;
        }
        let changes: Vec<Value> = edits.into_iter().map(|(r, t)| json!({"range": r, "text": t})).collect();
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// Replaces the `nth` occurrence of `needle` with `new` as an incremental edit; returns the new version.
    pub fn replace_nth(&mut self, uri: &str, needle: &str, nth: usize, new: &str) -> i64 {
        let doc = self.doc(uri);
        let r = range_of(&doc.text, needle, nth, self.encoding);
        let version = doc.version + 1;
        self.change(uri, version, vec![(r, new.to_string())]);
        version
    }

    pub fn replace(&mut self, uri: &str, needle: &str, new: &str) -> i64 {
        self.replace_nth(uri, needle, 0, new)
    }

    /// Replaces the whole text (a full-document change); returns the new version.
    pub fn set_text(&mut self, uri: &str, text: &str) -> i64 {
        let version = {
            let mut client = lock(&self.shared.client);
            let doc = client.docs.get_mut(&uri_path(uri)).unwrap_or_else(|| panic!("{uri} is not open"));
            doc.version += 1;
            doc.text = text.to_string();
            doc.version
        };
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        version
    }

    pub fn close(&mut self, uri: &str) {
        lock(&self.shared.client).docs.remove(&uri_path(uri));
        self.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }

    // ----- the disk, as a client that watches files sees it ---------------

    fn watching(&self) -> bool {
        let c = lock(&self.shared.client);
        c.dynamic_watch && c.watch_registered
    }

    /// Waits until the server registered its file watcher with the client.
    pub fn wait_for_watch_registration(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        while !lock(&self.shared.client).watch_registered {
            if !self.pump(deadline) {
                self.fail("the server did not register workspace/didChangeWatchedFiles");
            }
        }
    }

    pub fn file_events(&self, events: &[(&Path, u8)]) {
        let changes: Vec<Value> = events.iter().map(|(p, t)| json!({"uri": file_uri(p), "type": t})).collect();
        self.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
    }

    /// A handle another thread can send file events with, as a client's watcher
    /// does while the test thread goes on with requests.
    pub fn notifier(&self) -> Notifier {
        Notifier(self.shared.clone())
    }

    /// Writes a file, then (when the client watches for the server) sends the event.
    pub fn write_file(&self, path: &Path, bytes: impl AsRef<[u8]>) {
        let existed = path.exists();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if self.watching() {
            self.file_events(&[(path, if existed { 2 } else { 1 })]);
        }
    }

    pub fn remove_file(&self, path: &Path) {
        std::fs::remove_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if self.watching() {
            self.file_events(&[(path, 3)]);
        }
    }

    pub fn rename_file(&self, from: &Path, to: &Path) {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(from, to).unwrap_or_else(|e| panic!("{} -> {}: {e}", from.display(), to.display()));
        if self.watching() {
            self.file_events(&[(from, 3), (to, 1)]);
        }
    }

    // ----- what the client was asked --------------------------------------

    /// Applies a workspace edit as the client does for a code action's `edit`
    /// (buffers, disk, and the watcher's events).
    pub fn apply_edit(&self, edit: &Value) -> Result<(), String> {
        let events = apply_workspace_edit(&self.shared, edit)?;
        if self.watching() && !events.is_empty() {
            let changes: Vec<Value> = events.iter().map(|(p, t)| json!({"uri": file_uri(p), "type": t})).collect();
            self.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
        }
        Ok(())
    }

    /// Every `workspace/applyEdit` params received so far.
    pub fn apply_edits(&self) -> Vec<Value> {
        lock(&self.shared.client).apply_edits.clone()
    }

    pub fn registrations(&self) -> Vec<Value> {
        lock(&self.shared.client).registrations.clone()
    }

    pub fn set_config(&self, config: Value) {
        lock(&self.shared.client).config = config;
    }

    /// A slow client: the server's requests stay unanswered until `release`.
    pub fn set_hold(&self, yes: bool) {
        lock(&self.shared.client).hold = yes;
    }

    /// Answers the held requests now.
    pub fn release(&self) {
        let held = {
            let mut c = lock(&self.shared.client);
            c.hold = false;
            std::mem::take(&mut c.held)
        };
        for m in held {
            answer(&self.shared, &m);
        }
    }

    /// Waits until the server has sent a request `method` (answered or held).
    pub fn wait_for_server_request(&mut self, method: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(m) = self.log.iter().find(|m| m["method"] == method && m.get("id").is_some()) {
                return m.clone();
            }
            if !self.pump(deadline) {
                self.fail(&format!("the server did not send `{method}`"));
            }
        }
    }

    /// Waits until start-up asked the client its last question (the server's
    /// `initialized` awaits the client's answers; an `exit` in between is a
    /// separate, dedicated test).
    pub fn settle(&mut self) {
        if self.expects_configuration {
            self.wait_for_server_request("workspace/configuration");
        }
    }

    /// Waits for the first publish after start-up: `initialized` has run through
    /// (registration, configuration, the first scan). Needs a root with findings.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        while self.publishes.is_empty() {
            if !self.pump(deadline) {
                self.fail("no diagnostics published after start-up");
            }
        }
    }

    pub fn set_refuse_apply_edit(&self, yes: bool) {
        lock(&self.shared.client).refuse_apply_edit = yes;
    }

    pub fn stderr(&self) -> String {
        lock(&self.shared.stderr).clone()
    }

    // ----- requests with positions ---------------------------------------

    /// `textDocument/<method>` at the `nth` occurrence of `needle` in the open
    /// document (or the file on disk), `into` bytes inside it.
    pub fn at(&mut self, method: &str, uri: &str, needle: &str, nth: usize, into: usize) -> Result<Value, Value> {
        let text = match lock(&self.shared.client).docs.get(&uri_path(uri)) {
            Some(d) => d.text.clone(),
            None => std::fs::read_to_string(uri_path(uri)).unwrap(),
        };
        let (start, _) = find(&text, needle, nth);
        let (line, ch) = position(&text, start + into, self.encoding);
        self.request(method, json!({"textDocument": {"uri": uri}, "position": pos(line, ch)}))
    }

    /// `textDocument/codeAction` over `range` with `diagnostics` as context.
    pub fn code_actions(&mut self, uri: &str, range: Value, diagnostics: Vec<Value>) -> Vec<Value> {
        let r = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": diagnostics}}),
        );
        match r {
            Ok(Value::Array(a)) => a,
            Ok(Value::Null) => Vec::new(),
            other => self.fail(&format!("codeAction answered {other:?}")),
        }
    }

    /// Runs a code action's command through `workspace/executeCommand`.
    pub fn execute(&mut self, command: &Value) -> Result<Value, Value> {
        let params = json!({"command": command["command"], "arguments": command["arguments"].clone()});
        self.request("workspace/executeCommand", params)
    }

    // ----- lifecycle --------------------------------------------------------

    /// `shutdown` then `exit` (stdin left open): the process must end within 2 s, with 0.
    pub fn shutdown_and_exit(mut self) -> (ExitStatus, Duration) {
        self.settle();
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Ok(Value::Null), "shutdown answered {r:?}");
        let t = Instant::now();
        self.notify("exit", Value::Null);
        let status = self.wait_exit(Duration::from_secs(2));
        assert_eq!(status.code(), Some(0), "exit after shutdown; stderr:\n{}", self.stderr());
        (status, t.elapsed())
    }

    /// Waits for the process to end (stdin left open); fails after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("the server process did not end within {within:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn close_stdin(&self) {
        lock(&self.shared.writer).take();
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server process's peak resident memory so far (`VmHWM`), in KiB
    /// (None when /proc is not there or the process has ended).
    pub fn peak_rss_kb(&self) -> Option<u64> {
        proc_status_kb(self.pid(), "VmHWM:")
    }

    /// The server process's resident memory now (`VmRSS`), in KiB.
    pub fn rss_kb(&self) -> Option<u64> {
        proc_status_kb(self.pid(), "VmRSS:")
    }
}

/// Sends notifications to the server from any thread (see `TestServer::notifier`).
pub struct Notifier(Arc<Shared>);

impl Notifier {
    /// `workspace/didChangeWatchedFiles` with `(path, type)` events (1 created, 2 changed, 3 deleted).
    pub fn file_events(&self, events: &[(&Path, u8)]) {
        let changes: Vec<Value> = events.iter().map(|(p, t)| json!({"uri": file_uri(p), "type": t})).collect();
        self.0.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
    }
}

/// A `kB` field of `/proc/<pid>/status`.
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn language_of(uri: &str) -> &'static str {
    let u = uri.to_ascii_lowercase();
    if u.ends_with(".yaml") || u.ends_with(".yml") {
        "yaml"
    } else if u.ends_with(".json") {
        "json"
    } else if u.ends_with(".md") {
        "markdown"
    } else if u.ends_with(".ts") {
        "typescript"
    } else {
        "plaintext"
    }
}

fn offset_at(text: &str, p: &Value, enc: Enc) -> usize {
    offset(text, p["line"].as_u64().unwrap() as u32, p["character"].as_u64().unwrap() as u32, enc)
}

fn summary(m: &Value) -> String {
    if let Some(method) = m.get("method").and_then(Value::as_str) {
        if method == "textDocument/publishDiagnostics" {
            let p = &m["params"];
            let diags = p["diagnostics"].as_array().cloned().unwrap_or_default();
            return format!(
                "publish {} v{} [{}]",
                p["uri"].as_str().unwrap_or(""),
                p.get("version").unwrap_or(&Value::Null),
                diags.iter().map(code).collect::<Vec<_>>().join(", ")
            );
        }
        let mut s = format!("{method} {}", m.get("params").unwrap_or(&Value::Null));
        s.truncate(300);
        return s;
    }
    let mut s = m.to_string();
    s.truncate(300);
    s
}

// ===========================================================================
// The reader thread: frames in, the server's requests answered
// ===========================================================================

fn read_frame(r: &mut impl BufRead) -> Option<Result<Value, String>> {
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

fn reader(mut r: BufReader<std::process::ChildStdout>, shared: Arc<Shared>, tx: Sender<Incoming>) {
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
fn answer(shared: &Shared, m: &Value) {
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
fn apply_workspace_edit(shared: &Shared, edit: &Value) -> Result<Vec<(PathBuf, u8)>, String> {
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
