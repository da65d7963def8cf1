//! The client (the test LSP client).

use super::*;

#[derive(Clone, Debug)]
pub struct Doc {
    pub uri: String,
    pub version: i64,
    pub text: String,
}

/// What the client side knows, shared with the reader thread that answers the server.
pub(super) struct ClientState {
    pub(super) encoding: Enc,
    pub(super) config: Value,
    pub(super) refuse_apply_edit: bool,
    /// The client can register file watchers dynamically and sends their events.
    pub(super) dynamic_watch: bool,
    /// The server registered `workspace/didChangeWatchedFiles`.
    pub(super) watch_registered: bool,
    pub(super) registrations: Vec<Value>,
    pub(super) apply_edits: Vec<Value>,
    pub(super) docs: HashMap<PathBuf, Doc>,
    /// Leave the server's requests unanswered (a slow client), keeping them here.
    pub(super) hold: bool,
    pub(super) held: Vec<Value>,
}

pub(super) struct Shared {
    pub(super) writer: Mutex<Option<ChildStdin>>,
    pub(super) client: Mutex<ClientState>,
    pub(super) stderr: Mutex<String>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(super) fn send(&self, msg: &Value) {
        let body = serde_json::to_vec(msg).unwrap();
        self.send_raw(&[format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(), &body].concat());
    }
    pub(super) fn send_raw(&self, bytes: &[u8]) {
        let mut w = lock(&self.writer);
        if let Some(w) = w.as_mut() {
            // A server that died shows in the waits; do not panic in the reader thread.
            let _ = w.write_all(bytes).and_then(|_| w.flush());
        }
    }
    pub(super) fn notify(&self, method: &str, params: Value) {
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

pub(super) fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

pub(super) enum Incoming {
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
pub(super) fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
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

pub(super) fn language_of(uri: &str) -> &'static str {
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

pub(super) fn offset_at(text: &str, p: &Value, enc: Enc) -> usize {
    offset(text, p["line"].as_u64().unwrap() as u32, p["character"].as_u64().unwrap() as u32, enc)
}

pub(super) fn summary(m: &Value) -> String {
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
