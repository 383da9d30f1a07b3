//! The server over lsp-server's in-memory connection, driven as an editor drives it: open,
//! edit and close documents, diagnostics after each edit, code actions applied and the file
//! linted clean again, configuration reloads, bad input, shutdown and exit.

use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

/// An editor's end of the connection.
struct Client {
    conn: Connection,
    server: Option<JoinHandle<Result<(), arbor_lsp::LspError>>>,
    next: i32,
    /// Notifications received while waiting for something else.
    seen: Vec<Notification>,
    root: tempfile::TempDir,
}

const WAIT: Duration = Duration::from_secs(10);

impl Client {
    /// A server on a fresh workspace holding `files`, initialized; `pull` says the client
    /// pulls diagnostics.
    fn start(files: &[(&str, &str)], pull: bool) -> Client {
        Client::start_with(files, pull, None)
    }

    /// [`Client::start`] with a model for completions.
    fn start_with(
        files: &[(&str, &str)],
        pull: bool,
        model: Option<arbor_lsp::ModelLoader>,
    ) -> Client {
        let root = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(root.path().join(name), text).unwrap();
        }
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || {
            arbor_lsp::run(
                server,
                arbor_lsp::Options {
                    debounce: Duration::from_millis(20),
                },
                model,
            )
        });
        let mut client = Client {
            conn,
            server: Some(handle),
            next: 0,
            seen: Vec::new(),
            root,
        };
        let capabilities = if pull {
            json!({"textDocument": {"diagnostic": {}}})
        } else {
            json!({})
        };
        let root_uri = client.uri("");
        let init = client.request(
            "initialize",
            json!({"capabilities": capabilities, "rootUri": root_uri.trim_end_matches('/')}),
        );
        assert!(init.error.is_none(), "{init:?}");
        client.notify("initialized", json!({}));
        client
    }

    fn uri(&self, name: &str) -> String {
        let root = std::fs::canonicalize(self.root.path()).unwrap();
        url::Url::from_file_path(root.join(name))
            .unwrap()
            .to_string()
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.into(), params).into())
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// Sends a request without waiting for its answer.
    fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .unwrap();
        id
    }

    /// The answer to request `id`.
    fn response(&mut self, id: RequestId) -> Response {
        loop {
            match self.conn.receiver.recv_timeout(WAIT).expect("an answer") {
                Message::Response(r) if r.id == id => return r,
                Message::Notification(n) => self.seen.push(n),
                _ => {}
            }
        }
    }

    /// The next notification of `method` (already received, or within the wait).
    fn wait_for(&mut self, method: &str) -> Value {
        if let Some(i) = self.seen.iter().position(|n| n.method == method) {
            return self.seen.remove(i).params;
        }
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(WAIT)
                .expect("a notification")
            {
                Message::Notification(n) if n.method == method => return n.params,
                Message::Notification(n) => self.seen.push(n),
                _ => {}
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let params = self.wait_for("textDocument/publishDiagnostics");
            if params["uri"] == uri {
                return params["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    fn open(&self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r.error.is_none());
        let after = self.request("textDocument/documentSymbol", json!({}));
        assert_eq!(
            after.error.unwrap().code,
            -32600,
            "requests after shutdown are refused"
        );
        self.notify("exit", Value::Null);
        let served = self.server.take().unwrap().join().unwrap();
        assert!(served.is_ok(), "{served:?}");
    }
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

/// Applies LSP text edits (non-overlapping) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let index = arbor_lsp::position::LineIndex::new(text);
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let range: lsp_types::Range = serde_json::from_value(e["range"].clone()).unwrap();
            let bytes = index.bytes(text, range).unwrap();
            (
                bytes.start,
                bytes.end,
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}

const PYTHON: &str =
    "import os\nimport sys\n\nprint(sys.argv)\nx = None\nif x == None:\n    pass\n";

#[test]
fn diagnostics_follow_edits_and_fix_all_leaves_the_document_clean() {
    let mut client = Client::start(&[], false);
    let uri = client.uri("app.py");
    client.open(&uri, "python", PYTHON);
    let first = client.diagnostics(&uri);
    assert_eq!(codes(&first), ["py/none-comparison", "py/unused-import"]);
    let unused = first
        .iter()
        .find(|d| d["code"] == "py/unused-import")
        .unwrap();
    assert_eq!(unused["range"]["start"], json!({"line": 0, "character": 7}));
    assert_eq!(unused["source"], "arbor");
    // The rule's page, written into the cache, is the code's description.
    let page = url::Url::parse(unused["codeDescription"]["href"].as_str().unwrap()).unwrap();
    let page = std::fs::read_to_string(page.to_file_path().unwrap()).unwrap();
    assert!(page.starts_with("# py/unused-import\n"), "{page}");
    assert!(page.contains("arbor: ignore[py/unused-import]"), "{page}");
    assert_eq!(unused["tags"], json!([1]));
    // An incremental edit: another unused import on a new first line.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "import json\n"}]}),
    );
    let text = format!("import json\n{PYTHON}");
    let second = client.diagnostics(&uri);
    assert_eq!(
        codes(&second),
        ["py/none-comparison", "py/unused-import", "py/unused-import"]
    );
    // Fix all, applied as an editor applies it, then sent back.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let actions = actions.result.unwrap();
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.arbor");
    let fixed = apply(
        &text,
        actions[0]["edit"]["changes"][&uri].as_array().unwrap(),
    );
    assert_eq!(
        fixed,
        "import sys\n\nprint(sys.argv)\nx = None\nif x is None:\n    pass\n"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert!(client.diagnostics(&uri).is_empty());
    // Closing clears the document's diagnostics.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(client.diagnostics(&uri).is_empty());
    client.shutdown();
}

#[test]
fn quick_fixes_and_suppressions_apply_to_one_finding() {
    let mut client = Client::start(&[], false);
    let uri = client.uri("app.py");
    client.open(&uri, "python", PYTHON);
    let diagnostics = client.diagnostics(&uri);
    let comparison = diagnostics
        .iter()
        .find(|d| d["code"] == "py/none-comparison")
        .unwrap()
        .clone();
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": comparison["range"],
                   "context": {"diagnostics": [comparison]}}),
        )
        .result
        .unwrap();
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Fix py/none-comparison")),
        "{titles:?}"
    );
    let suppress = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Suppress py/none-comparison on this line")
        .expect("a suppression");
    assert_eq!(suppress["kind"], "quickfix");
    let suppressed = apply(
        PYTHON,
        suppress["edit"]["changes"][&uri].as_array().unwrap(),
    );
    assert!(
        suppressed.contains("if x == None:  # arbor: ignore[py/none-comparison]\n"),
        "{suppressed}"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": suppressed}]}),
    );
    assert_eq!(codes(&client.diagnostics(&uri)), ["py/unused-import"]);
    client.shutdown();
}

#[test]
fn a_client_that_pulls_gets_no_pushes_and_columns_count_utf16() {
    let mut client = Client::start(&[], true);
    let uri = client.uri("u.py");
    // `𝔸` is two UTF-16 units, `é` one: the comparison starts at column 13 in UTF-16.
    client.open(&uri, "python", "s = '𝔸é'; t = s == None\n");
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .result
        .unwrap();
    assert_eq!(report["kind"], "full");
    let items = report["items"].as_array().unwrap();
    assert_eq!(codes(items), ["py/none-comparison"]);
    assert_eq!(
        items[0]["range"]["start"],
        json!({"line": 0, "character": 15})
    );
    assert_eq!(
        items[0]["range"]["end"],
        json!({"line": 0, "character": 24})
    );
    // Nothing was pushed meanwhile.
    std::thread::sleep(Duration::from_millis(100));
    let _ = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(
        client
            .seen
            .iter()
            .all(|n| n.method != "textDocument/publishDiagnostics"),
        "{:?}",
        client.seen
    );
    client.shutdown();
}

#[test]
fn a_client_that_watches_files_is_asked_to_watch_the_configuration() {
    let (server, conn) = Connection::memory();
    let handle =
        std::thread::spawn(move || arbor_lsp::run(server, arbor_lsp::Options::default(), None));
    let capabilities =
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    conn.sender
        .send(
            Request::new(
                RequestId::from(1),
                "initialize".into(),
                json!({"capabilities": capabilities}),
            )
            .into(),
        )
        .unwrap();
    assert!(matches!(
        conn.receiver.recv_timeout(WAIT).unwrap(),
        Message::Response(_)
    ));
    conn.sender
        .send(Notification::new("initialized".into(), json!({})).into())
        .unwrap();
    let Message::Request(register) = conn.receiver.recv_timeout(WAIT).unwrap() else {
        panic!("a registration request");
    };
    assert_eq!(register.method, "client/registerCapability");
    let registration = &register.params["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs = registration["registerOptions"]["watchers"].to_string();
    assert!(
        globs.contains("**/arbor.toml") && globs.contains("**/pyproject.toml"),
        "{globs}"
    );
    conn.sender
        .send(Response::new_ok(register.id, Value::Null).into())
        .unwrap();
    conn.sender
        .send(Notification::new("exit".into(), Value::Null).into())
        .unwrap();
    assert!(handle.join().unwrap().is_ok());
}

#[test]
fn the_configuration_is_reloaded_and_its_errors_are_diagnostics() {
    let mut client = Client::start(
        &[(
            "arbor.toml",
            "ignore = [\"py/none-comparison\"]\nselect = 3\n",
        )],
        false,
    );
    let config = client.uri("arbor.toml");
    let problem = client.diagnostics(&config);
    assert_eq!(problem.len(), 1);
    assert_eq!(problem[0]["range"]["start"]["line"], 1, "{problem:?}");
    // Meanwhile the defaults are in force.
    let uri = client.uri("app.py");
    client.open(&uri, "python", PYTHON);
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["py/none-comparison", "py/unused-import"]
    );
    // The file is repaired and saved: its diagnostic goes, the configuration applies.
    std::fs::write(
        client.root.path().join("arbor.toml"),
        "ignore = [\"py/none-comparison\"]\n",
    )
    .unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": config}}),
    );
    assert!(client.diagnostics(&config).is_empty());
    assert_eq!(codes(&client.diagnostics(&uri)), ["py/unused-import"]);
    client.shutdown();
}

#[test]
fn bad_input_gets_errors_and_the_server_keeps_serving() {
    let mut client = Client::start(&[], false);
    let r = client.request("workspace/frobnicate", json!({}));
    assert_eq!(r.error.unwrap().code, -32601);
    let r = client.request("textDocument/codeAction", json!({"textDocument": 3}));
    assert_eq!(r.error.unwrap().code, -32602);
    let uri = client.uri("a.py");
    client.open(&uri, "python", "x = 1\n");
    assert!(client.diagnostics(&uri).is_empty());
    // An edit outside the document: an error message, the document dropped.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}}, "text": "y"}]}),
    );
    let shown = client.wait_for("window/showMessage");
    assert_eq!(shown["type"], 1);
    assert!(shown["message"]
        .as_str()
        .unwrap()
        .contains("outside the document"));
    // A 10 MB document and a binary one: no findings, no crash.
    let big = client.uri("big.py");
    client.open(&big, "python", &"x == None\n".repeat(1_100_000));
    assert!(client.diagnostics(&big).is_empty());
    let binary = client.uri("b.py");
    client.open(&binary, "python", "x == None\0\n");
    assert!(client.diagnostics(&binary).is_empty());
    // Still serving.
    let other = client.uri("c.py");
    client.open(&other, "python", "if y == None:\n    pass\n");
    assert_eq!(codes(&client.diagnostics(&other)), ["py/none-comparison"]);
    client.shutdown();
}

#[test]
fn document_symbols_nest_as_the_code_does() {
    let mut client = Client::start(&[], false);
    let uri = client.uri("shapes.py");
    client.open(
        &uri,
        "python",
        "class Shape:\n    def area(self):\n        return 0\n\n    def name(self):\n        return 'shape'\n\n\ndef make():\n    return Shape()\n",
    );
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        )
        .result
        .unwrap();
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&symbols), ["Shape", "make"]);
    assert_eq!(names(&symbols[0]["children"]), ["area", "name"]);
    assert_eq!(symbols[0]["kind"], 5); // Class
    assert_eq!(symbols[0]["children"][0]["kind"], 6); // Method
    assert_eq!(
        symbols[0]["children"][1]["selectionRange"]["start"],
        json!({"line": 4, "character": 8})
    );
    client.shutdown();
}

#[test]
fn symbols_definitions_and_search_come_from_the_workspace_index() {
    let util = "def load_config(path):\n    return open(path).read()\n\n\nclass Settings:\n    def merge_defaults(self, other):\n        return other\n";
    let mut client = Client::start(&[("util.py", util), ("notes.txt", "load_config")], false);
    let uri = client.uri("main.py");
    // A non-ASCII line before the call: the column is counted in UTF-16.
    let main = "from util import load_config\n\ns = 'é𝔸'; cfg = load_config('a.toml')\n";
    client.open(&uri, "python", main);
    let found = client
        .request("workspace/symbol", json!({"query": "merge_defaults"}))
        .result
        .unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["name"], "merge_defaults");
    assert_eq!(found[0]["containerName"], "Settings");
    assert_eq!(found[0]["kind"], 6);
    assert_eq!(found[0]["location"]["uri"], client.uri("util.py"));
    assert_eq!(
        found[0]["location"]["range"]["start"],
        json!({"line": 5, "character": 8})
    );
    // The definition of the name under the cursor (on `load_config(` of line 3).
    let target = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 18}}),
        )
        .result
        .unwrap();
    let target = target.as_array().unwrap();
    assert_eq!(target.len(), 1, "{target:?}");
    assert_eq!(target[0]["uri"], client.uri("util.py"));
    assert_eq!(
        target[0]["range"]["start"],
        json!({"line": 0, "character": 4})
    );
    // The full query language, and its errors with their column.
    let search = client
        .request(
            "arbor/search",
            json!({"query": "kind:class lang:python", "limit": 5}),
        )
        .result
        .unwrap();
    assert_eq!(search["count"], 1);
    assert_eq!(search["hits"][0]["symbol"], "Settings");
    let bad = client.request("arbor/search", json!({"query": "path:"}));
    let error = bad.error.unwrap();
    assert_eq!(error.code, -32602);
    assert!(error.message.contains("column"), "{}", error.message);
    // A file saved meanwhile is found after the save.
    std::fs::write(
        client.root.path().join("more.py"),
        "def brand_new():\n    pass\n",
    )
    .unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": client.uri("more.py")}}),
    );
    let found = client
        .request("workspace/symbol", json!({"query": "brand_new"}))
        .result
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found:?}");
    client.shutdown();
}

/// A model that writes `pieces` one by one with a pause, counting what it wrote.
struct Slow {
    pieces: Vec<&'static str>,
    pause: Duration,
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl arbor_gen::Generate for Slow {
    fn conversation(
        &self,
        _: arbor_gen::PromptFormat,
    ) -> Result<Box<dyn arbor_gen::Conversation>, arbor_gen::GenerateError> {
        Err(arbor_gen::GenerateError::new("no chat"))
    }
    fn generate(
        &mut self,
        prompt: &str,
        params: &arbor_gen::GenerationParams,
    ) -> Result<Vec<arbor_gen::Completion>, arbor_gen::GenerateError> {
        let one =
            self.generate_streaming(prompt, params, &mut |_| std::ops::ControlFlow::Continue(()))?;
        Ok(vec![one])
    }
    fn generate_streaming(
        &mut self,
        _: &str,
        params: &arbor_gen::GenerationParams,
        on_text: &mut dyn FnMut(&str) -> std::ops::ControlFlow<()>,
    ) -> Result<arbor_gen::Completion, arbor_gen::GenerateError> {
        let mut text = String::new();
        let mut stop_reason = arbor_gen::StopReason::EndOfSequence;
        for piece in self.pieces.iter().take(params.max_tokens) {
            std::thread::sleep(self.pause);
            self.written
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            text.push_str(piece);
            if on_text(piece).is_break() {
                stop_reason = arbor_gen::StopReason::Stopped;
                break;
            }
        }
        Ok(arbor_gen::Completion {
            completion_tokens: text.len(),
            text,
            prompt_tokens: 1,
            stop_reason,
            prefill_secs: 0.0,
            decode_secs: 0.0,
            mean_logprob: None,
        })
    }
}

/// A loader of a [`Slow`] model with the tiny test vocabulary (fill-in-the-middle tokens
/// included); the counter of pieces it wrote.
fn slow_model(
    pieces: Vec<&'static str>,
    pause: Duration,
) -> (
    arbor_lsp::ModelLoader,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = written.clone();
    let loader: arbor_lsp::ModelLoader = Box::new(move || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.gguf");
        arbor_lm::testing::write_tiny_gguf_with_specials(
            &path,
            &["<fim_prefix>", "<fim_middle>", "<fim_suffix>"],
            &[],
        )
        .unwrap();
        Ok(arbor_lsp::CodeModel {
            name: "slow".into(),
            model: Box::new(Slow {
                pieces,
                pause,
                written: counter,
            }),
            tokenizer: arbor_lm::LmTokenizer::load(&path).unwrap(),
        })
    });
    (loader, written)
}

#[test]
fn completions_come_from_the_model_cut_at_the_end_of_the_block() {
    let (model, _) = slow_model(
        vec![
            "\n    ",
            "return x",
            " + 1\n",
            "\n",
            "def other():\n",
            "    pass\n",
        ],
        Duration::ZERO,
    );
    let mut client = Client::start_with(&[], false, Some(model));
    let uri = client.uri("f.py");
    client.open(&uri, "python", "def f(x):\n    \n\nprint(f(1))\n");
    let at = json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}});
    let mut inline = at.clone();
    inline["context"] = json!({"triggerKind": 2});
    let answer = client
        .request("textDocument/inlineCompletion", inline)
        .result
        .unwrap();
    assert_eq!(answer["items"][0]["insertText"], "return x + 1");
    assert_eq!(
        answer["items"][0]["range"]["start"],
        json!({"line": 1, "character": 4})
    );
    let answer = client
        .request("textDocument/completion", at)
        .result
        .unwrap();
    assert_eq!(answer["items"][0]["label"], "return x + 1");
    assert_eq!(answer["items"][0]["textEdit"]["newText"], "return x + 1");
    assert_eq!(answer["items"][0]["detail"], "arbor · slow");
    client.shutdown();
    // Without a model there is no completion.
    let mut client = Client::start(&[], false);
    let r = client.request("textDocument/completion", json!({}));
    assert_eq!(r.error.unwrap().code, -32601);
    client.shutdown();
}

#[test]
fn a_cancel_or_an_edit_stops_the_generation_at_once() {
    // Lines that stay inside the function: only a cancel or an edit ends them.
    let pieces = vec!["\n    x = 1"; 500];
    let (model, written) = slow_model(pieces, Duration::from_millis(5));
    let mut client = Client::start_with(&[], false, Some(model));
    let uri = client.uri("g.py");
    client.open(&uri, "python", "def g():\n    \n");
    let at = json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}});
    let id = client.send_request("textDocument/completion", at.clone());
    std::thread::sleep(Duration::from_millis(100));
    client.notify("$/cancelRequest", json!({"id": id}));
    let answer = client.response(id);
    assert_eq!(answer.error.unwrap().code, -32800);
    let after_cancel = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(after_cancel < 100, "{after_cancel} pieces written");
    // An edit of the document stops it too, and the edit is still applied.
    let id = client.send_request("textDocument/completion", at);
    std::thread::sleep(Duration::from_millis(100));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "if y == None:\n    pass\n"}]}),
    );
    assert_eq!(client.response(id).error.unwrap().code, -32801);
    assert!(written.load(std::sync::atomic::Ordering::SeqCst) - after_cancel < 100);
    assert_eq!(codes(&client.diagnostics(&uri)), ["py/none-comparison"]);
    client.shutdown();
}
