//! The server's loop: one message at a time, in order (as ruff's server: no handler runs
//! beside another). Edits mark their document; once the client has been quiet for the
//! debounce interval, the marked documents are linted and (for clients that do not pull)
//! their diagnostics pushed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, Diagnostic, DiagnosticOptions,
    DiagnosticServerCapabilities, DiagnosticSeverity, DocumentDiagnosticReport,
    DocumentDiagnosticReportResult, DocumentSymbolResponse, FullDocumentDiagnosticReport,
    InitializeParams, InitializeResult, MessageType, Position, PublishDiagnosticsParams, Range,
    RelatedFullDocumentDiagnosticReport, SaveOptions, ServerCapabilities, ServerInfo,
    ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

use crate::completion::{ModelLoader, ModelState};
use crate::diagnostics::{self, Linted, FIX_ALL};
use crate::documents::{path_of, uri_of, Document};
use crate::navigation::{self, Navigator};
use crate::workspace::{is_config_file, Workspace};
use crate::LspError;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Quiet time after an edit before the document is linted again.
    pub debounce: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            debounce: Duration::from_millis(10),
        }
    }
}

/// What the server advertises (completion only with a model).
fn capabilities(model: bool) -> ServerCapabilities {
    ServerCapabilities {
        completion_provider: model.then(lsp_types::CompletionOptions::default),
        inline_completion_provider: model.then_some(lsp_types::OneOf::Left(true)),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::new(FIX_ALL)]),
            ..CodeActionOptions::default()
        })),
        document_symbol_provider: Some(lsp_types::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp_types::OneOf::Left(true)),
        definition_provider: Some(lsp_types::OneOf::Left(true)),
        experimental: Some(serde_json::json!({"arborSearch": true})),
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("arbor".into()),
            inter_file_dependencies: false,
            workspace_diagnostics: false,
            ..DiagnosticOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// The workspace folders the client names (its root URI or, failing that, the current
/// directory).
#[allow(deprecated)] // root_uri and root_path: older clients send only those.
fn roots(params: &InitializeParams) -> Vec<std::path::PathBuf> {
    let folders: Vec<_> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| path_of(&f.uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    if let Some(root) = params.root_uri.as_ref().and_then(path_of) {
        return vec![root];
    }
    vec![std::env::current_dir().unwrap_or_default()]
}

/// Serves `connection` until the client exits: the `initialize` handshake, then every
/// message in order. With `model`, completions come from it (loaded on the first request).
pub fn run(
    connection: Connection,
    options: Options,
    model: Option<ModelLoader>,
) -> Result<(), LspError> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| LspError::Protocol(e.to_string()))?;
    let params: InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(e) => {
            // The client hears why before the server stops.
            let message = format!("bad parameters of `initialize`: {e}");
            let _ = connection.sender.send(
                Response::new_err(id, ErrorCode::InvalidParams as i32, message.clone()).into(),
            );
            return Err(LspError::Protocol(message));
        }
    };
    let pull = params
        .capabilities
        .text_document
        .as_ref()
        .and_then(|t| t.diagnostic.as_ref())
        .is_some();
    let watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    let result = InitializeResult {
        capabilities: capabilities(model.is_some()),
        server_info: Some(ServerInfo {
            name: "arbor".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        offset_encoding: None,
    };
    connection
        .initialize_finish(id, serde_json::to_value(result)?)
        .map_err(|e| LspError::Protocol(e.to_string()))?;
    let mut server = Server {
        workspaces: roots(&params)
            .iter()
            .map(|r| Workspace::load(r))
            .collect::<Result<_, _>>()?,
        connection,
        options,
        pull,
        watch,
        documents: HashMap::new(),
        linted: HashMap::new(),
        dirty: HashSet::new(),
        config_uris: HashSet::new(),
        navigators: HashMap::new(),
        model: model.map(ModelState::Pending),
        backlog: VecDeque::new(),
        shutting_down: false,
    };
    // (lsp-server's handshake has consumed `initialized`: the client is ready.)
    if server.watch {
        server.register_watchers();
    }
    server.publish_config_problems();
    server.serve()
}

struct Server {
    connection: Connection,
    options: Options,
    /// The client pulls diagnostics (`textDocument/diagnostic`): none are pushed.
    pull: bool,
    /// The client watches files for the server when asked (dynamic registration).
    watch: bool,
    workspaces: Vec<Workspace>,
    /// Open documents, by URI (as text: lsp-types' `Uri` caches inside, so it is no key).
    documents: HashMap<String, Document>,
    linted: HashMap<String, Linted>,
    /// Documents edited since they were last linted.
    dirty: HashSet<String>,
    /// Configuration files that have a diagnostic published.
    config_uris: HashSet<String>,
    /// Each workspace root's search index.
    navigators: HashMap<std::path::PathBuf, Navigator>,
    /// The model for completions, when the server has one.
    model: Option<ModelState>,
    /// Messages read while a completion was generated, not yet handled.
    backlog: VecDeque<Message>,
    shutting_down: bool,
}

impl Server {
    fn serve(&mut self) -> Result<(), LspError> {
        loop {
            let message = if let Some(message) = self.backlog.pop_front() {
                message
            } else if self.dirty.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.recv_timeout(self.options.debounce) {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => {
                        self.flush();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            };
            match message {
                Message::Request(request) => self.request(request),
                Message::Notification(n) if n.method == note::Exit::METHOD => return Ok(()),
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: impl Into<Message>) {
        let _ = self.connection.sender.send(message.into());
    }

    fn notify<N: note::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.into(), params));
    }

    fn show_error(&self, message: String) {
        self.notify::<note::ShowMessage>(ShowMessageParams {
            typ: MessageType::ERROR,
            message,
        });
    }

    /// The workspace `doc` belongs to.
    fn workspace_of(&self, doc: &Document) -> &Workspace {
        workspace_for(&self.workspaces, doc)
    }

    /// The findings of `uri`'s current text (linted now when they are stale).
    fn linted(&mut self, uri: &str) -> Option<&Linted> {
        let doc = self.documents.get_mut(uri)?;
        let fresh = self
            .linted
            .get(uri)
            .is_some_and(|l| l.version == doc.version);
        if !fresh {
            let linted = diagnostics::lint(workspace_for(&self.workspaces, doc), doc);
            self.linted.insert(uri.to_string(), linted);
            self.dirty.remove(uri);
        }
        self.linted.get(uri)
    }

    fn diagnostics_of(&mut self, uri: &str) -> Vec<Diagnostic> {
        let Some(linted) = self.linted(uri).cloned() else {
            return Vec::new();
        };
        let doc = &self.documents[uri];
        let docs = self.workspace_of(doc).docs.as_deref();
        linted
            .findings
            .iter()
            .map(|f| diagnostics::diagnostic(doc, f, docs))
            .collect()
    }

    /// Lints the edited documents and pushes their diagnostics.
    fn flush(&mut self) {
        let dirty: Vec<String> = self.dirty.drain().collect();
        for key in dirty {
            let items = self.diagnostics_of(&key);
            if let (false, Some(doc)) = (self.pull, self.documents.get(&key)) {
                self.publish(doc.uri.clone(), items, Some(doc.version));
            }
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        self.notify::<note::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        });
    }

    /// A diagnostic on each configuration file that did not load; the old ones cleared.
    fn publish_config_problems(&mut self) {
        let mut now = HashSet::new();
        for workspace in &self.workspaces {
            let Some(problem) = &workspace.problem else {
                continue;
            };
            let Some(uri) = uri_of(&problem.path) else {
                continue;
            };
            let at = Position::new(problem.line, 0);
            let diagnostic = Diagnostic {
                range: Range::new(at, Position::new(problem.line, u32::MAX)),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("arbor".into()),
                message: format!(
                    "{} (Arbor lints with its defaults until this is fixed)",
                    problem.message
                ),
                ..Diagnostic::default()
            };
            now.insert(uri.as_str().to_string());
            self.publish(uri, vec![diagnostic], None);
        }
        for gone in self.config_uris.difference(&now) {
            if let Ok(uri) = gone.parse::<Uri>() {
                self.publish(uri, Vec::new(), None);
            }
        }
        self.config_uris = now;
    }

    /// Reads the configurations again and lints every open document again.
    fn reload(&mut self) {
        let reloaded: Result<Vec<Workspace>, _> = self
            .workspaces
            .iter()
            .map(|w| Workspace::load(&w.root))
            .collect();
        match reloaded {
            Ok(workspaces) => self.workspaces = workspaces,
            Err(e) => self.show_error(format!("arbor: the linter did not reload: {e}")),
        }
        self.publish_config_problems();
        self.linted.clear();
        self.dirty.extend(self.documents.keys().cloned());
    }

    /// Asks the client to report changes of the configuration files (to reload them) and of
    /// source files (for the index), made in the editor or not.
    fn register_watchers(&self) {
        let globs = [
            "**/arbor.toml",
            "**/pyproject.toml",
            "**/*.{py,pyi,js,mjs,cjs,jsx,rs}",
        ];
        let watchers: Vec<Value> = globs
            .iter()
            .map(|g| serde_json::json!({ "globPattern": g }))
            .collect();
        let params = lsp_types::RegistrationParams {
            registrations: vec![lsp_types::Registration {
                id: "arbor-watch".into(),
                method: note::DidChangeWatchedFiles::METHOD.into(),
                register_options: Some(serde_json::json!({ "watchers": watchers })),
            }],
        };
        self.send(Request::new(
            RequestId::from("arbor-watch".to_string()),
            req::RegisterCapability::METHOD.into(),
            params,
        ));
    }

    /// Drops a document and what is known of it.
    fn forget(&mut self, key: &str) {
        self.documents.remove(key);
        self.linted.remove(key);
        self.dirty.remove(key);
    }

    fn notification(&mut self, n: Notification) {
        use lsp_types::{
            DidChangeTextDocumentParams as Change, DidChangeWatchedFilesParams as Watched,
            DidCloseTextDocumentParams as Close, DidOpenTextDocumentParams as Open,
            DidSaveTextDocumentParams as Save,
        };
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                if let Ok(p) = n.extract::<Open>(note::DidOpenTextDocument::METHOD) {
                    let d = p.text_document;
                    let key = d.uri.as_str().to_string();
                    let doc = Document::new(d.uri, &d.language_id, d.version, d.text);
                    self.documents.insert(key.clone(), doc);
                    self.dirty.insert(key);
                }
            }
            note::DidChangeTextDocument::METHOD => {
                if let Ok(p) = n.extract::<Change>(note::DidChangeTextDocument::METHOD) {
                    self.change(p);
                }
            }
            note::DidCloseTextDocument::METHOD => {
                if let Ok(p) = n.extract::<Close>(note::DidCloseTextDocument::METHOD) {
                    self.forget(p.text_document.uri.as_str());
                    if !self.pull {
                        self.publish(p.text_document.uri, Vec::new(), None);
                    }
                }
            }
            note::DidSaveTextDocument::METHOD => {
                if let Ok(p) = n.extract::<Save>(note::DidSaveTextDocument::METHOD) {
                    self.navigators.values_mut().for_each(Navigator::touch);
                    if path_of(&p.text_document.uri).is_some_and(|p| is_config_file(&p)) {
                        self.reload();
                    }
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = n.extract::<Watched>(note::DidChangeWatchedFiles::METHOD) {
                    let config = |c: &lsp_types::FileEvent| {
                        path_of(&c.uri).is_some_and(|p| is_config_file(&p))
                    };
                    self.navigators.values_mut().for_each(Navigator::touch);
                    if p.changes.iter().any(config) {
                        self.reload();
                    }
                }
            }
            _ => {} // $/cancelRequest, $/setTrace, …: nothing to do
        }
    }

    /// Applies an edit; one outside the document drops it (its text is no longer the
    /// client's) and says so.
    fn change(&mut self, p: lsp_types::DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        let key = uri.as_str().to_string();
        let Some(doc) = self.documents.get_mut(&key) else {
            return;
        };
        match doc.change(p.text_document.version, p.content_changes) {
            Ok(()) => {
                self.dirty.insert(key);
            }
            Err(e) => {
                self.forget(&key);
                self.show_error(format!(
                    "arbor: an edit of {} is outside the document ({e}); close and reopen it",
                    uri.as_str()
                ));
                if !self.pull {
                    self.publish(uri, Vec::new(), None);
                }
            }
        }
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        if request.method == req::Shutdown::METHOD {
            self.shutting_down = true;
            self.send(Response::new_ok(id, ()));
            return;
        }
        if self.shutting_down {
            self.send(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            ));
            return;
        }
        let answer = match request.method.as_str() {
            req::DocumentDiagnosticRequest::METHOD => self.pull_diagnostics(request),
            req::CodeActionRequest::METHOD => self.code_actions(request),
            req::DocumentSymbolRequest::METHOD => self.document_symbols(request),
            req::WorkspaceSymbolRequest::METHOD => self.workspace_symbols(request),
            req::GotoDefinition::METHOD => self.definition(request),
            SEARCH => self.search(request),
            req::InlineCompletionRequest::METHOD | req::Completion::METHOD
                if self.model.is_some() =>
            {
                self.completion(request)
            }
            method => Err((
                ErrorCode::MethodNotFound,
                format!("arbor lsp does not handle `{method}`"),
            )),
        };
        self.send(match answer {
            Ok(value) => Response {
                id,
                result: Some(value),
                error: None,
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        });
    }

    fn pull_diagnostics(&mut self, request: Request) -> Answer {
        let params: lsp_types::DocumentDiagnosticParams =
            params_of::<req::DocumentDiagnosticRequest>(request)?;
        let uri = params.text_document.uri.as_str();
        let version = self.documents.get(uri).map(|d| d.version);
        let items = self.diagnostics_of(uri);
        let report = DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: version.map(|v| v.to_string()),
                    items,
                },
            },
        ));
        Ok(serde_json::to_value(report).unwrap_or_default())
    }

    fn code_actions(&mut self, request: Request) -> Answer {
        let params: lsp_types::CodeActionParams = params_of::<req::CodeActionRequest>(request)?;
        let uri = params.text_document.uri.as_str();
        let findings = self
            .linted(uri)
            .map(|l| l.findings.clone())
            .unwrap_or_default();
        let Some(doc) = self.documents.get(uri) else {
            return Ok(serde_json::Value::Array(Vec::new()));
        };
        let docs = self.workspace_of(doc).docs.as_deref();
        let only = params.context.only.as_deref();
        let actions = diagnostics::code_actions(doc, &findings, params.range, only, docs);
        Ok(serde_json::to_value(actions).unwrap_or_default())
    }

    fn document_symbols(&mut self, request: Request) -> Answer {
        let params: lsp_types::DocumentSymbolParams =
            params_of::<req::DocumentSymbolRequest>(request)?;
        let symbols = self
            .documents
            .get_mut(params.text_document.uri.as_str())
            .map(crate::symbols::document_symbols)
            .unwrap_or_default();
        Ok(serde_json::to_value(DocumentSymbolResponse::Nested(symbols)).unwrap_or_default())
    }
}

/// The workspace `doc` belongs to: the one with the longest root above it, else the first.
fn workspace_for<'a>(workspaces: &'a [Workspace], doc: &Document) -> &'a Workspace {
    doc.path
        .as_deref()
        .and_then(|path| {
            workspaces
                .iter()
                .filter(|w| path.starts_with(&w.root))
                .max_by_key(|w| w.root.as_os_str().len())
        })
        .unwrap_or(&workspaces[0])
}

/// The custom request that runs Arbor's query language: `{"query", "limit"?}` in,
/// `{"count", "hits"}` out (hits as `arbor search --json` prints them).
pub const SEARCH: &str = "arbor/search";

/// The text of the open document at `path`, if there is one.
fn open_text(documents: &HashMap<String, Document>, path: &std::path::Path) -> Option<String> {
    let uri = uri_of(path)?;
    documents.get(uri.as_str()).map(|d| d.text.clone())
}

impl Server {
    fn workspace_symbols(&mut self, request: Request) -> Answer {
        let params: lsp_types::WorkspaceSymbolParams =
            params_of::<req::WorkspaceSymbolRequest>(request)?;
        let roots: Vec<_> = self.workspaces.iter().map(|w| w.root.clone()).collect();
        let mut symbols = Vec::new();
        for root in roots {
            let navigator = self.navigators.entry(root.clone()).or_default();
            let open = |p: &std::path::Path| open_text(&self.documents, p);
            let found = navigation::workspace_symbols(navigator, &root, &params.query, &open);
            symbols.extend(found.map_err(|e| (ErrorCode::InternalError, e.to_string()))?);
        }
        Ok(serde_json::to_value(symbols).unwrap_or_default())
    }

    fn definition(&mut self, request: Request) -> Answer {
        let params: lsp_types::GotoDefinitionParams = params_of::<req::GotoDefinition>(request)?;
        let at = params.text_document_position_params;
        // Out of the map while it is searched (its kept tree brought up to date in place, the
        // other documents' text lent to the search): the index's hits in its own file are
        // left out, so it is never asked for.
        let key = at.text_document.uri.as_str();
        let Some(mut doc) = self.documents.remove(key) else {
            return Ok(serde_json::Value::Null);
        };
        let root = self.workspace_of(&doc).root.clone();
        let navigator = self.navigators.entry(root.clone()).or_default();
        let open = |p: &std::path::Path| open_text(&self.documents, p);
        let found = navigation::definition(navigator, &root, &mut doc, at.position, &open);
        self.documents.insert(key.to_string(), doc);
        let found = found.map_err(|e| (ErrorCode::InternalError, e.to_string()))?;
        Ok(serde_json::to_value(found).unwrap_or_default())
    }

    fn search(&mut self, request: Request) -> Answer {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Params {
            query: String,
            limit: Option<usize>,
        }
        let params: Params = serde_json::from_value(request.params).map_err(|e| {
            (
                ErrorCode::InvalidParams,
                format!("bad parameters of `{SEARCH}`: {e}"),
            )
        })?;
        let root = self.workspaces[0].root.clone();
        let started = std::time::Instant::now();
        let hits = self
            .navigators
            .entry(root.clone())
            .or_default()
            .search(&root, &params.query, params.limit.unwrap_or(20))
            .map_err(|e| match e {
                navigation::SearchError::Query(q) => (ErrorCode::InvalidParams, q.to_string()),
                other => (ErrorCode::InternalError, other.to_string()),
            })?;
        Ok(serde_json::json!({
            "query": params.query, "count": hits.len(), "hits": hits,
            "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
        }))
    }
}

impl Server {
    /// A completion at the request's position: `textDocument/inlineCompletion` answers one
    /// inline item, `textDocument/completion` one list item. A request the client cancels,
    /// or whose document it edits or closes meanwhile, stops its generation and is answered
    /// `RequestCancelled` or `ContentModified`.
    fn completion(&mut self, request: Request) -> Answer {
        let inline = request.method == req::InlineCompletionRequest::METHOD;
        let id = serde_json::to_value(&request.id).unwrap_or_default();
        let at: lsp_types::TextDocumentPositionParams =
            serde_json::from_value(request.params.clone()).map_err(|e| {
                (
                    ErrorCode::InvalidParams,
                    format!("bad parameters of `{}`: {e}", request.method),
                )
            })?;
        let key = at.text_document.uri.as_str().to_string();
        let Some(doc) = self.documents.get(&key).cloned() else {
            return Ok(serde_json::Value::Null);
        };
        let offset = doc
            .lines
            .offset(&doc.text, at.position)
            .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
        let workspace = self.workspace_of(&doc);
        let site = doc
            .path
            .as_deref()
            .map(|p| (workspace.root.clone(), workspace.relative(p)));
        let Server {
            connection,
            backlog,
            model,
            ..
        } = self;
        let model = model
            .as_mut()
            .ok_or_else(|| {
                (
                    ErrorCode::MethodNotFound,
                    "no model: start `arbor lsp --model`".to_string(),
                )
            })?
            .get()
            .map_err(|e| (ErrorCode::InternalError, e))?;
        let mut why = None;
        let mut keep_going = || {
            while let Ok(message) = connection.receiver.try_recv() {
                backlog.push_back(message);
            }
            why = backlog.iter().find_map(|m| interruption(m, &id, &key));
            why.is_none()
        };
        let site = site
            .as_ref()
            .map(|(root, path)| (root.as_path(), path.clone()));
        let text = crate::completion::complete(model, &doc, offset, site, &mut keep_going)
            .map_err(|e| (ErrorCode::InternalError, e))?;
        if let Some(code) = why {
            return Err((code, "the completion was interrupted".into()));
        }
        let text = text.unwrap_or_default();
        let here = Range::new(at.position, at.position);
        let name = match &self.model {
            Some(ModelState::Ready(m)) => m.name.clone(),
            _ => String::new(),
        };
        Ok(if inline {
            let items: Vec<Value> = (!text.is_empty())
                .then(|| serde_json::json!({"insertText": text, "range": here}))
                .into_iter()
                .collect();
            serde_json::json!({ "items": items })
        } else {
            let label = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            let label: String = label.chars().take(60).collect();
            let items: Vec<Value> = (!text.is_empty())
                .then(|| {
                    serde_json::json!({
                        "label": label, "kind": 15, "detail": format!("arbor · {name}"),
                        "textEdit": {"range": here, "newText": text},
                        "filterText": doc.text[..offset].rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or(""),
                    })
                })
                .into_iter()
                .collect();
            serde_json::json!({ "isIncomplete": true, "items": items })
        })
    }
}

/// Whether `message` interrupts the completion request `id` on document `uri`: the client
/// cancelled it, or changed or closed the document.
fn interruption(message: &Message, id: &Value, uri: &str) -> Option<ErrorCode> {
    let Message::Notification(n) = message else {
        return None;
    };
    match n.method.as_str() {
        note::Cancel::METHOD if n.params.get("id") == Some(id) => Some(ErrorCode::RequestCanceled),
        note::DidChangeTextDocument::METHOD | note::DidCloseTextDocument::METHOD
            if n.params["textDocument"]["uri"] == uri =>
        {
            Some(ErrorCode::ContentModified)
        }
        _ => None,
    }
}

/// A request's result, or its error.
type Answer = Result<serde_json::Value, (ErrorCode, String)>;

/// The parameters of a request of type `R`, or an `InvalidParams` error.
fn params_of<R: req::Request>(request: Request) -> Result<R::Params, (ErrorCode, String)> {
    let _: &RequestId = &request.id;
    serde_json::from_value(request.params).map_err(|e| {
        (
            ErrorCode::InvalidParams,
            format!("bad parameters of `{}`: {e}", R::METHOD),
        )
    })
}
