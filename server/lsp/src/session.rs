//! The server's state. Notifications mutate it in order, synchronously (no
//! `.await` while it is borrowed); every analysis produces a `Batch` stamped
//! with a generation, and a batch older than the latest of its root is dropped
//! instead of published.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tollgate_engine::analysis::{read_text, FileKind, Snapshot};
use tollgate_engine::diagnostic::SeverityOverrides;
use tollgate_engine::root::Root;
use tollgate_engine::workspace::{Buffer, Scan, Workspace};
use tollgate_engine::{Finding, LineIndex, PositionEncoding};
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::document::Document;
use crate::proto;

/// A root as the session holds it: the engine's live workspace, and what was
/// last published of it.
pub struct RootState {
    pub ws: Workspace,
    /// URIs given non-empty diagnostics by the last published batch.
    pub published: HashSet<Uri>,
    /// Documents changed since a batch carrying them was last published: every
    /// batch includes them, so a change is answered even when its own batch is
    /// superseded by a newer one.
    pub pending: HashSet<Uri>,
    /// What was last sent for each URI: a file whose diagnostics are the same is
    /// not sent again (a keystroke in one file does not re-publish the others).
    sent: HashMap<Uri, Sent>,
}

/// One URI's diagnostics as last sent: the analysis they came from, and the
/// text and version they were placed in.
struct Sent {
    findings: Arc<Vec<Finding>>,
    span: std::ops::Range<usize>,
    text: Arc<str>,
    version: Option<i32>,
}

impl Sent {
    /// Would `p` show the client exactly what it has? Same diagnostics, placed
    /// in the same text (or, for a file the root does not hold, in a text whose
    /// findings kept their bytes: a changed file's finding moves with its first
    /// changed line), at the same version.
    fn same_as(&self, version: Option<i32>, held: Option<&Arc<str>>, findings: &[Finding]) -> bool {
        self.version == version
            && held.is_none_or(|t| Arc::ptr_eq(&self.text, t))
            && self.findings[self.span.clone()] == *findings
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticMode {
    Push,
    Pull,
}

pub struct Session {
    pub docs: HashMap<Uri, Document>,
    pub roots: BTreeMap<PathBuf, RootState>,
    pub encoding: PositionEncoding,
    pub overrides: SeverityOverrides,
    pub mode: DiagnosticMode,
    /// Generation of the latest batch per key (a root dir, or a loose document's path).
    latest: HashMap<PathBuf, u64>,
    generation: u64,
    /// Loose documents (outside any root) that had diagnostics.
    loose_published: HashSet<Uri>,
    /// The `tollgate/status` object last sent per root the client asked about.
    pub status_sent: HashMap<PathBuf, serde_json::Value>,
    /// Roots whose status is about to be rebuilt (a task waits for their analyses to settle).
    pub status_pending: HashSet<PathBuf>,
}

/// Diagnostics to publish: each URI with the document version they were computed for.
pub struct Batch {
    pub key: PathBuf,
    pub generation: u64,
    pub encoding: PositionEncoding,
    pub items: Vec<Publish>,
}

/// One document's diagnostics, still in the engine's terms with the text they
/// point into: converted once, straight into the wire format when pushed
/// (`proto::write_publish`), or into LSP types for a pull.
pub struct Publish {
    pub uri: Uri,
    pub version: Option<i32>,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
    /// `findings[span]`: shared with the root's analysis, not copied per document.
    findings: Arc<Vec<Finding>>,
    span: std::ops::Range<usize>,
}

impl Publish {
    fn clear(uri: Uri, version: Option<i32>) -> Self {
        let (text, index) = (Arc::from(""), Arc::new(LineIndex::new("")));
        Publish { uri, version, text, index, findings: Arc::default(), span: 0..0 }
    }

    pub fn diagnostics(&self) -> impl Iterator<Item = &tollgate_engine::Diagnostic> {
        self.findings[self.span.clone()].iter().map(|f| &f.diagnostic)
    }

    pub fn len(&self) -> usize {
        self.span.len()
    }

    pub fn to_lsp(&self, enc: PositionEncoding) -> Vec<lsp::Diagnostic> {
        self.diagnostics().map(|d| proto::diagnostic(&self.text, &self.index, d, enc)).collect()
    }
}

impl Default for Session {
    fn default() -> Self {
        Session {
            docs: HashMap::new(),
            roots: BTreeMap::new(),
            encoding: PositionEncoding::Utf16,
            overrides: SeverityOverrides::default(),
            mode: DiagnosticMode::Push,
            latest: HashMap::new(),
            generation: 0,
            loose_published: HashSet::new(),
            status_sent: HashMap::new(),
            status_pending: HashSet::new(),
        }
    }
}

impl Session {
    /// The key of the root `path` belongs to, registering the root if new.
    pub fn root_for(&mut self, path: &Path) -> Option<PathBuf> {
        if let Some(key) = self.roots.keys().filter(|k| path.starts_with(k)).max_by_key(|k| k.as_os_str().len()) {
            // A nearer root below a known one still wins.
            let nearer = Root::find(path).filter(|r| r.dir.starts_with(key) && r.dir != *key);
            match nearer {
                None => return Some(key.clone()),
                Some(r) => return Some(self.add_root(r)),
            }
        }
        let root = Root::find(path)?;
        Some(self.add_root(root))
    }

    pub fn add_root(&mut self, root: Root) -> PathBuf {
        let key = root.dir.clone();
        if !self.roots.contains_key(&key) {
            let (mut ws, errors) = Workspace::load(root.clone());
            for e in errors {
                tracing::warn!("{}: cannot read {}: {}", root.dir.display(), e.path, e.message);
            }
            // Open buffers of the root's files win over the disk.
            for doc in self.docs.values() {
                if let Some(rel) = root.relative(&doc.path) {
                    ws.set(&rel, Some(doc.text.clone()));
                }
            }
            tracing::info!("factory root {}", root.dir.display());
            let state = RootState { ws, published: HashSet::new(), pending: HashSet::new(), sent: HashMap::new() };
            self.roots.insert(key.clone(), state);
        }
        key
    }

    /// Finds the roots of a workspace folder: the folder itself, or folders a few levels below.
    pub fn discover(&mut self, folder: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut todo = vec![(folder.to_path_buf(), 0)];
        while let Some((dir, depth)) = todo.pop() {
            if let Some(root) = Root::at(&dir) {
                found.push(self.add_root(root));
                continue;
            }
            if depth >= 3 {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || name == "node_modules" || name == "target" {
                    continue;
                }
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    todo.push((e.path(), depth + 1));
                }
            }
        }
        found
    }

    fn next_generation(&mut self, key: &Path) -> u64 {
        self.generation += 1;
        self.latest.insert(key.to_path_buf(), self.generation);
        self.generation
    }

    /// Is `batch` the newest of its root? If so, it is about to be sent: the
    /// documents it carries are answered.
    pub fn take_if_latest(&mut self, batch: &Batch) -> bool {
        if self.latest.get(&batch.key) != Some(&batch.generation) {
            return false;
        }
        if let Some(state) = self.roots.get_mut(&batch.key) {
            for p in &batch.items {
                state.pending.remove(&p.uri);
                if p.span.is_empty() {
                    state.sent.remove(&p.uri);
                } else {
                    let sent = Sent {
                        findings: p.findings.clone(),
                        span: p.span.clone(),
                        text: p.text.clone(),
                        version: p.version,
                    };
                    state.sent.insert(p.uri.clone(), sent);
                }
            }
        }
        true
    }

    // ----- documents --------------------------------------------------------

    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> Option<PathBuf> {
        let path = proto::path_of(&uri)?;
        let disk = read_abs(&path).ok().flatten();
        let doc = Document::new(path.clone(), version, text, disk);
        let text = doc.text.clone();
        self.docs.insert(uri, doc);
        self.sync_root_file(&path, Some(text))
    }

    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
    ) -> Option<PathBuf> {
        let enc = self.encoding;
        let doc = self.docs.get_mut(uri)?;
        doc.apply(version, changes, enc);
        let (path, text) = (doc.path.clone(), doc.text.clone());
        self.sync_root_file(&path, Some(text))
    }

    pub fn close(&mut self, uri: &Uri) -> Option<PathBuf> {
        let doc = self.docs.remove(uri)?;
        // The root's file goes back to what is on disk.
        let disk = read_abs(&doc.path).ok().flatten();
        self.sync_root_file(&doc.path, disk).or_else(|| Some(doc.path.clone()))
    }

    /// Puts a root file's new text into its snapshot. Returns the key to re-analyze:
    /// the root, or the document's own path when it is in no root.
    fn sync_root_file(&mut self, path: &Path, text: Option<Arc<str>>) -> Option<PathBuf> {
        let Some(key) = self.root_for(path) else { return Some(path.to_path_buf()) };
        let state = self.roots.get_mut(&key)?;
        if let Some(rel) = state.ws.root.relative(path) {
            state.ws.set(&rel, text);
        }
        Some(key)
    }

    // ----- file events -----------------------------------------------------

    /// A file changed on disk (created, changed or deleted). Updates only what it touches.
    pub fn file_changed(&mut self, path: &Path) -> Option<PathBuf> {
        let read = read_abs(path);
        let disk = read.clone().ok().flatten();
        for doc in self.docs.values_mut().filter(|d| d.path == path) {
            doc.disk = disk.clone();
        }
        let open = self.docs.values().any(|d| d.path == path);
        let key = self.roots.keys().filter(|k| path.starts_with(k)).max_by_key(|k| k.as_os_str().len()).cloned()?;
        self.roots.get_mut(&key)?.ws.file_changed(path, &read, open);
        Some(key)
    }

    /// Marks every root for a full changed-path scan.
    pub fn rescan_all(&mut self) {
        for state in self.roots.values_mut() {
            state.ws.mark_unscanned();
        }
    }

    /// Roots whose changed paths must be read again from scratch.
    pub fn unscanned_roots(&self) -> Vec<PathBuf> {
        self.roots.iter().filter(|(_, s)| s.ws.needs_scan()).map(|(k, _)| k.clone()).collect()
    }

    /// A full scan's inputs: the snapshot to read facts from.
    pub fn scan_input(&self, key: &Path) -> Option<Snapshot> {
        self.roots.get(key).map(|s| s.ws.snapshot.clone())
    }

    pub fn scan_done(&mut self, key: &Path, scan: Scan) {
        if let Some(state) = self.roots.get_mut(key) {
            state.ws.scan_done(scan);
        }
    }

    // ----- analysis --------------------------------------------------------

    /// Analyzes the root (or loose document) under `key` and returns what to publish.
    /// `touched`: a document that must be published even when nothing changed for it.
    pub fn analyze(&mut self, key: &Path, touched: Option<&Uri>) -> Batch {
        let generation = self.next_generation(key);
        let enc = self.encoding;
        let Some(state) = self.roots.get_mut(key) else {
            return self.analyze_loose(key, generation);
        };
        let mut buffers = Vec::new();
        let mut other_yaml = Vec::new();
        for doc in self.docs.values() {
            let Some(rel) = state.ws.root.relative(&doc.path) else { continue };
            if state.ws.root.kind_of(&rel) == FileKind::OtherYaml {
                other_yaml.push((rel.clone(), doc));
            }
            if doc.is_dirty() {
                buffers.push(Buffer { rel, disk: doc.disk.as_deref(), text: &doc.text });
            }
        }
        let mut findings = state.ws.analyze(&buffers, &self.overrides);
        // Open YAML buffers the root does not model: syntax only (`analyze` applied
        // the overrides to its own findings already). Rare: only then are the
        // findings copied, to keep each file's together.
        let mut extra = Vec::new();
        for (rel, doc) in other_yaml {
            let rel: Arc<str> = rel.as_str().into();
            for d in doc.yaml_findings() {
                let mut d = d.clone();
                if self.overrides.adjust(&mut d) {
                    extra.push(Finding { path: rel.clone(), diagnostic: d });
                }
            }
        }
        if !extra.is_empty() {
            let mut all = (*findings).clone();
            all.extend(extra);
            tollgate_engine::analysis::sort(&mut all);
            findings = Arc::new(all);
        }

        // One publish per file: the analysis keeps each file's findings together.
        let by_uri: HashMap<PathBuf, &Uri> = self.docs.iter().map(|(u, d)| (d.path.clone(), u)).collect();
        let mut items = Vec::new();
        let mut now_published = HashSet::new();
        let mut at = 0;
        while at < findings.len() {
            let shared = findings[at].path.clone();
            let rel = &*shared;
            let end = at + findings[at..].iter().take_while(|f| f.is_in(&shared)).count();
            let span = at..end;
            at = end;
            let abs = state.ws.root.absolute(rel);
            let (uri, version, held) = match by_uri.get(&abs) {
                Some(uri) => ((*uri).clone(), Some(self.docs[*uri].version), Some(self.docs[*uri].text.clone())),
                None => {
                    let Some(uri) = proto::uri_of(&abs) else { continue };
                    (uri, None, state.ws.snapshot.text(rel))
                }
            };
            now_published.insert(uri.clone());
            // The text the root holds (an open buffer, a file it models) is compared by
            // identity; another file's is read only when its diagnostics are sent.
            let answer = touched == Some(&uri) || state.pending.contains(&uri);
            let same = |s: &Sent| s.same_as(version, held.as_ref(), &findings[span.clone()]);
            if !answer && state.sent.get(&uri).is_some_and(same) {
                continue;
            }
            let (text, index) = match by_uri.get(&abs) {
                Some(u) => (self.docs[*u].text.clone(), self.docs[*u].index.clone()),
                None => {
                    let text = held.or_else(|| state.ws.text(rel)).unwrap_or_else(|| Arc::from(""));
                    let index = Arc::new(LineIndex::new(&text));
                    (text, index)
                }
            };
            items.push(Publish { uri, version, text, index, findings: findings.clone(), span });
        }
        // Clear what no longer has findings (first: a client that sees a later file
        // of the batch has seen these), and always answer the changed documents.
        let mut clears = Vec::new();
        for uri in state.published.difference(&now_published) {
            let version = self.docs.get(uri).map(|d| d.version);
            clears.push(Publish::clear(uri.clone(), version));
        }
        items.splice(0..0, clears);
        if let Some(uri) = touched {
            state.pending.insert(uri.clone());
        }
        for uri in &state.pending {
            if !now_published.contains(uri) && !state.published.contains(uri) {
                items.push(Publish::clear(uri.clone(), self.docs.get(uri).map(|d| d.version)));
            }
        }
        state.published = now_published;
        Batch { key: key.to_path_buf(), generation, encoding: enc, items }
    }

    /// A document in no root: YAML and JSON syntax only.
    fn analyze_loose(&mut self, key: &Path, generation: u64) -> Batch {
        let enc = self.encoding;
        let mut items = Vec::new();
        if let Some((uri, doc)) = self.docs.iter().find(|(_, d)| d.path == key) {
            let is_yaml = [".yaml", ".yml", ".json"].iter().any(|e| doc.path.to_string_lossy().ends_with(e));
            let mut diagnostics = if is_yaml { doc.yaml_findings().to_vec() } else { Vec::new() };
            self.overrides.apply(&mut diagnostics);
            let rel: Arc<str> = doc.path.to_string_lossy().into();
            let findings: Vec<Finding> =
                diagnostics.into_iter().map(|diagnostic| Finding { path: rel.clone(), diagnostic }).collect();
            if findings.is_empty() {
                self.loose_published.remove(uri);
            } else {
                self.loose_published.insert(uri.clone());
            }
            let (text, index) = (doc.text.clone(), doc.index.clone());
            let span = 0..findings.len();
            let findings = Arc::new(findings);
            items.push(Publish { uri: uri.clone(), version: Some(doc.version), text, index, findings, span });
        } else if let Some(uri) = proto::uri_of(key).filter(|u| self.loose_published.remove(u)) {
            items.push(Publish::clear(uri, None));
        }
        Batch { key: key.to_path_buf(), generation, encoding: enc, items }
    }

    /// Every root, for a configuration change or the first scan.
    pub fn analyze_all(&mut self) -> Vec<Batch> {
        let keys: Vec<PathBuf> = self.roots.keys().cloned().collect();
        keys.iter().map(|k| self.analyze(k, None)).collect()
    }

    /// The diagnostics of one document now (pull diagnostics).
    pub fn pull(&mut self, uri: &Uri) -> Vec<lsp::Diagnostic> {
        let Some(path) = proto::path_of(uri) else { return Vec::new() };
        let key = self.root_for(&path).unwrap_or(path);
        let batch = self.analyze(&key, Some(uri));
        batch.items.iter().find(|p| &p.uri == uri).map(|p| p.to_lsp(batch.encoding)).unwrap_or_default()
    }
}

/// Reads a file by its absolute path (`read_text` joins a root and a relative path).
fn read_abs(path: &Path) -> Result<Option<Arc<str>>, String> {
    let (dir, name) = (path.parent().unwrap_or(Path::new("/")), path.file_name().unwrap_or_default());
    read_text(dir, &name.to_string_lossy())
}
