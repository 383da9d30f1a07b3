//! A scope model of a Python file as pyflakes and ruff build it, for `py/unused-import` (F401)
//! and `py/unused-variable` (F841).
//!
//! Scopes are the module, classes, functions, lambdas and comprehensions. Bindings are imports,
//! assignments (plain, chained, augmented, annotated with a value), `for`/`with`/`except … as`
//! targets, the walrus, parameters, `def`/`class` names and match captures; `global` and
//! `nonlocal` declare a name in a function. Loads are resolved by Python's rules: inner scopes
//! first, a class scope seen only from its own body (and the comprehensions directly in it).
//! Function and lambda bodies are deferred to the end of the module, as pyflakes does, so that
//! the names a module binds after a function still count as used by it; names in string
//! annotations are resolved last. A rebinding in the same scope inherits `used` from the
//! binding it replaces (`try: import x` / `except ImportError: x = None` is no finding) and
//! only the bindings left at the end are reported.
//!
//! One walk over the tree, with an explicit stack (no recursion on deep expressions): linear.

use std::collections::{HashMap, HashSet};

use arbor_syntax::node;
use arbor_syntax::tree_sitter::{Node, TreeCursor};

use crate::rule::{Edit, FileContext, RawFinding};

type ScopeId = usize;
type BindingId = usize;

/// The findings of both rules in a file, computed once and shared through
/// [`FileContext::cached`].
pub struct ScopeFindings {
    /// `py/unused-import`, in document order.
    pub imports: Vec<RawFinding>,
    /// `py/unused-variable`, in document order.
    pub variables: Vec<RawFinding>,
}

/// The findings of the scope rules in the file of `ctx`, computed once per file.
pub fn findings(ctx: &FileContext<'_>) -> std::rc::Rc<ScopeFindings> {
    ctx.cached(|| {
        let mut walker = Walker::new(ctx.file.source(), ctx.file.root());
        walker.run(ctx.file.root());
        walker.report()
    })
}

/// The ids of the grammar's fields the walk reads (looking a field up by name scans them all).
struct Fields {
    alias: u16,
    arguments: u16,
    body: u16,
    function: u16,
    left: u16,
    name: u16,
    object: u16,
    parameters: u16,
    return_type: u16,
    right: u16,
    superclasses: u16,
    type_: u16,
    value: u16,
    name_id: std::num::NonZeroU16,
    /// The kind id of `identifier`.
    identifier: u16,
}

fn fields() -> &'static Fields {
    static FIELDS: std::sync::OnceLock<Fields> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        let grammar = arbor_syntax::Language::Python.grammar();
        let id = |name: &str| {
            grammar
                .field_id_for_name(name)
                .expect("the Python grammar has the fields the scope walk reads")
        };
        Fields {
            alias: id("alias").get(),
            arguments: id("arguments").get(),
            body: id("body").get(),
            function: id("function").get(),
            left: id("left").get(),
            name: id("name").get(),
            object: id("object").get(),
            parameters: id("parameters").get(),
            return_type: id("return_type").get(),
            right: id("right").get(),
            superclasses: id("superclasses").get(),
            type_: id("type").get(),
            value: id("value").get(),
            name_id: id("name"),
            identifier: grammar.id_for_node_kind("identifier", true),
        }
    })
}

/// A fast hash for names (identifiers are short; hash flooding is no concern for a linter's
/// own maps of one file).
#[derive(Default)]
struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type NameMap<'t, V> = HashMap<&'t str, V, std::hash::BuildHasherDefault<NameHasher>>;
type NameSet<'t> = HashSet<&'t str, std::hash::BuildHasherDefault<NameHasher>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
}

struct Scope<'t> {
    kind: ScopeKind,
    parent: Option<ScopeId>,
    names: NameMap<'t, BindingId>,
    /// Names declared `global` or `nonlocal` here.
    declared: NameSet<'t>,
    uses_locals: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An import: the index of its statement, whether it is an explicit re-export (`X as X`).
    Import(usize, bool),
    /// `x = …`, `x += …`, `x: T = …`, a literal unpacking `a, b = 1, 2`.
    Assignment,
    /// `(x := …)`.
    NamedExpr,
    /// `with … as x`.
    WithItem,
    /// `except … as x`.
    Except,
    /// `x: T` without a value.
    Annotation,
    /// Anything else: parameters, loop targets, unpacking, definitions, match captures.
    Other,
}

struct Binding<'t> {
    name: &'t str,
    kind: Kind,
    node: Node<'t>,
    used: bool,
    declared: bool,
}

/// An import statement: how many names it binds, the block holding it.
struct Import<'t> {
    statement: Node<'t>,
    count: usize,
    block: Option<(Node<'t>, bool)>,
}

enum Task<'t> {
    /// Visit a node; `true` in an annotation (where strings hold names).
    Visit(Node<'t>, bool),
    /// Bind the names of an assignment target.
    Target(Node<'t>, Kind),
    /// Bind a match pattern's captures, load its values.
    Pattern(Node<'t>),
    /// Bind a walrus name in the nearest scope that is not a comprehension.
    Walrus(Node<'t>),
    /// Bind an `except … as` name for the handler's body.
    ExceptBind(Node<'t>),
    /// The end of an `except … as` handler.
    ExceptEnd,
    SetScope(ScopeId),
    /// `del x`: a use, then the name is unbound (a later binding inherits nothing).
    Delete(Node<'t>),
}

struct Walker<'t> {
    source: &'t str,
    /// One cursor for all the walk (a cursor per node was a `malloc` per node).
    cursor: TreeCursor<'t>,
    scopes: Vec<Scope<'t>>,
    bindings: Vec<Binding<'t>>,
    scope: ScopeId,
    tasks: Vec<Task<'t>>,
    /// Functions and lambdas with the scope they are defined in, run after the module.
    deferred: Vec<(Node<'t>, ScopeId)>,
    /// Names in string annotations, resolved at the end.
    strings: Vec<(ScopeId, &'t str)>,
    /// Open `except … as` handlers: the binding, the one it hides, the scope.
    handlers: Vec<(BindingId, Option<BindingId>, ScopeId)>,
    /// `except … as` names unused in their handler.
    unused_handlers: Vec<BindingId>,
    /// Import statements, and how many names each binds.
    imports: Vec<Import<'t>>,
    /// The block holding each import statement (by node id), and whether it is a `try` body.
    blocks: HashMap<usize, (Node<'t>, bool)>,
    /// The `try` bodies (by node id).
    try_bodies: HashSet<usize>,
    /// The names listed in `__all__`.
    exports: NameSet<'t>,
}

const COMPREHENSIONS: &[&str] = &[
    "list_comprehension",
    "set_comprehension",
    "dictionary_comprehension",
    "generator_expression",
];

impl<'t> Walker<'t> {
    fn new(source: &'t str, root: Node<'t>) -> Walker<'t> {
        Walker {
            source,
            cursor: root.walk(),
            scopes: Vec::new(),
            bindings: Vec::new(),
            scope: 0,
            tasks: Vec::new(),
            deferred: Vec::new(),
            strings: Vec::new(),
            handlers: Vec::new(),
            unused_handlers: Vec::new(),
            imports: Vec::new(),
            exports: NameSet::default(),
            blocks: HashMap::new(),
            try_bodies: HashSet::new(),
        }
    }

    fn text(&self, node: Node<'_>) -> &'t str {
        &self.source[node.byte_range()]
    }

    fn new_scope(&mut self, kind: ScopeKind, parent: Option<ScopeId>) -> ScopeId {
        self.scopes.push(Scope {
            kind,
            parent,
            names: NameMap::default(),
            declared: NameSet::default(),
            uses_locals: false,
        });
        self.scopes.len() - 1
    }

    fn run(&mut self, root: Node<'t>) {
        self.scope = self.new_scope(ScopeKind::Module, None);
        self.tasks.push(Task::Visit(root, false));
        self.drain();
        let mut next = 0;
        while next < self.deferred.len() {
            let (function, parent) = self.deferred[next];
            next += 1;
            self.run_function(function, parent);
            self.drain();
        }
        for (scope, name) in std::mem::take(&mut self.strings) {
            self.resolve(name, scope);
        }
        let exports = std::mem::take(&mut self.exports);
        for name in exports {
            if let Some(&b) = self.scopes[0].names.get(name) {
                self.bindings[b].used = true;
            }
        }
    }

    fn drain(&mut self) {
        while let Some(task) = self.tasks.pop() {
            match task {
                Task::Visit(n, annotation) => self.visit(n, annotation),
                Task::Target(n, kind) => self.target(n, kind),
                Task::Pattern(n) => self.pattern(n),
                Task::Walrus(n) => {
                    let mut scope = self.scope;
                    while self.scopes[scope].kind == ScopeKind::Comprehension {
                        scope = self.scopes[scope].parent.unwrap_or(0);
                    }
                    self.bind_in(scope, self.text(n), n, Kind::NamedExpr);
                }
                Task::ExceptBind(n) => {
                    let name = self.text(n);
                    let hidden = self.scopes[self.scope].names.get(name).copied();
                    let b = self.bind_in(self.scope, name, n, Kind::Except);
                    self.handlers.push((b, hidden, self.scope));
                }
                Task::ExceptEnd => self.end_handler(),
                Task::SetScope(scope) => self.scope = scope,
                Task::Delete(n) => {
                    self.load(n);
                    let name = self.text(n);
                    self.scopes[self.scope].names.remove(name);
                }
            }
        }
    }

    /// Pushes the named children of `n` to be visited in order; returns how many.
    fn push_children(&mut self, n: Node<'t>, annotation: bool) -> usize {
        if n.child_count() == 0 {
            return 0;
        }
        let start = self.tasks.len();
        self.cursor.reset(n);
        let mut more = self.cursor.goto_first_child();
        while more {
            let child = self.cursor.node();
            // Of the leaves only names matter (a string's parts are read by its parent).
            let leaf = child.child_count() == 0;
            if child.is_named() && (!leaf || child.kind_id() == fields().identifier) {
                self.tasks.push(Task::Visit(child, annotation));
            }
            more = self.cursor.goto_next_sibling();
        }
        self.tasks[start..].reverse();
        self.tasks.len() - start
    }

    fn visit(&mut self, n: Node<'t>, annotation: bool) {
        match n.kind() {
            "identifier" => self.load(n),
            "attribute" => {
                if let Some(object) = n.child_by_field_id(fields().object) {
                    self.tasks.push(Task::Visit(object, annotation));
                }
            }
            "keyword_argument" => {
                if let Some(value) = n.child_by_field_id(fields().value) {
                    self.tasks.push(Task::Visit(value, annotation));
                }
            }
            "dotted_name" => {
                if let Some(first) = n.named_child(0) {
                    self.load(first);
                }
            }
            _ => self.visit_statement(n, annotation),
        }
    }

    /// [`Walker::visit`] of the statements and the constructs that bind.
    fn visit_statement(&mut self, n: Node<'t>, annotation: bool) {
        match n.kind() {
            "import_statement" | "import_from_statement" => self.import(n),
            "module" | "block" => {
                let in_try = self.try_bodies.contains(&n.id());
                for child in node::named_children(n) {
                    if matches!(child.kind(), "import_statement" | "import_from_statement") {
                        self.blocks.insert(child.id(), (n, in_try));
                    }
                }
                self.push_children(n, annotation);
            }
            "try_statement" => {
                self.try_bodies
                    .extend(n.child_by_field_id(fields().body).map(|b| b.id()));
                self.push_children(n, annotation);
            }
            "future_import_statement" | "comment" | "wildcard_import" => {}
            "function_definition" => self.function(n),
            "lambda" => self.lambda(n),
            "class_definition" => self.class(n),
            kind if COMPREHENSIONS.contains(&kind) => self.comprehension(n),
            "assignment" => self.assignment(n),
            "augmented_assignment" => self.augmented_assignment(n),
            "for_statement" => self.for_statement(n),
            "named_expression" => {
                if let Some(name) = n.child_by_field_id(fields().name) {
                    self.tasks.push(Task::Walrus(name));
                }
                if let Some(value) = n.child_by_field_id(fields().value) {
                    self.tasks.push(Task::Visit(value, annotation));
                }
            }
            _ => self.visit_binding(n, annotation),
        }
    }

    /// [`Walker::visit`] of the remaining constructs that bind or hold names.
    fn visit_binding(&mut self, n: Node<'t>, annotation: bool) {
        match n.kind() {
            "as_pattern" => self.with_item(n),
            "except_clause" => self.except_clause(n),
            "global_statement" | "nonlocal_statement" => self.declare(n),
            "case_pattern" => self.tasks.push(Task::Pattern(n)),
            "type" => {
                self.push_children(n, true);
            }
            "string" if annotation => self.string_annotation(n),
            "subscript" => {
                // `Union["A", B]` holds types wherever it is; `Literal["a"]` holds values.
                let last = n
                    .child_by_field_id(fields().value)
                    .map(|v| last_name(self.text(v)));
                let typed = annotation || last.is_some_and(|l| TYPING_GENERICS.contains(&l));
                self.push_children(n, typed && last != Some("Literal"));
            }
            "call" => self.call(n, annotation),
            "delete_statement" => {
                let start = self.tasks.len();
                let targets = node::named_children(n);
                let targets = match targets.as_slice() {
                    [list] if list.kind() == "expression_list" => node::named_children(*list),
                    _ => targets,
                };
                for target in targets {
                    self.tasks.push(match target.kind() {
                        "identifier" => Task::Delete(target),
                        _ => Task::Visit(target, false),
                    });
                }
                self.tasks[start..].reverse();
            }
            _ => {
                self.push_children(n, annotation);
            }
        }
    }

    /// A call: `cast("T", x)` and `TypeVar("T", bound="B")` hold types in strings.
    fn call(&mut self, n: Node<'t>, annotation: bool) {
        let function = n.child_by_field_id(fields().function);
        let last = function.map_or("", |f| last_name(self.text(f)));
        let arguments = n.child_by_field_id(fields().arguments);
        let (Some(function), Some(arguments), "cast" | "TypeVar") = (function, arguments, last)
        else {
            self.push_children(n, annotation);
            return;
        };
        let start = self.tasks.len();
        self.tasks.push(Task::Visit(function, annotation));
        for (i, argument) in node::named_children(arguments).into_iter().enumerate() {
            let typed = match argument.kind() {
                "keyword_argument" => argument
                    .child_by_field_id(fields().name)
                    .is_some_and(|k| self.text(k) == "bound"),
                _ => (last == "cast") == (i == 0),
            };
            self.tasks.push(Task::Visit(argument, typed));
        }
        self.tasks[start..].reverse();
    }

    /// A name read in the current scope (`locals()` reads them all).
    fn load(&mut self, n: Node<'t>) {
        let name = self.text(n);
        if name == "locals" {
            let call = n.parent().filter(|p| p.kind() == "call");
            if call.and_then(|c| c.child_by_field_id(fields().function)) == Some(n) {
                let mut scope = self.scope;
                while self.scopes[scope].kind == ScopeKind::Comprehension {
                    scope = self.scopes[scope].parent.unwrap_or(0);
                }
                self.scopes[scope].uses_locals = true;
            }
        }
        self.resolve(name, self.scope);
    }

    /// Marks the binding `name` resolves to from `from` as used.
    fn resolve(&mut self, name: &str, from: ScopeId) {
        let mut scope = Some(from);
        // A class scope is seen from its body and the comprehensions directly in it.
        let mut direct = true;
        while let Some(id) = scope {
            let s = &self.scopes[id];
            if s.kind != ScopeKind::Class || direct {
                if let Some(&b) = s.names.get(name) {
                    self.bindings[b].used = true;
                    return;
                }
            }
            if s.kind != ScopeKind::Comprehension {
                direct = false;
            }
            scope = s.parent;
        }
    }

    fn bind_in(&mut self, scope: ScopeId, name: &'t str, node: Node<'t>, kind: Kind) -> BindingId {
        let s = &self.scopes[scope];
        let hidden = s.names.get(name).copied();
        if kind == Kind::Annotation {
            if let Some(b) = hidden {
                return b; // `x: T` after `x = …` binds nothing
            }
        }
        let used = hidden.is_some_and(|b| self.bindings[b].used);
        let declared = s.declared.contains(name);
        self.bindings.push(Binding {
            name,
            kind,
            node,
            used,
            declared,
        });
        let id = self.bindings.len() - 1;
        self.scopes[scope].names.insert(name, id);
        id
    }

    fn bind(&mut self, n: Node<'t>, kind: Kind) {
        self.bind_in(self.scope, self.text(n), n, kind);
    }

    fn end_handler(&mut self) {
        let Some((b, hidden, scope)) = self.handlers.pop() else {
            return;
        };
        if !self.bindings[b].used {
            self.unused_handlers.push(b);
        }
        let name = self.bindings[b].name;
        match hidden {
            Some(h) => self.scopes[scope].names.insert(name, h),
            None => self.scopes[scope].names.remove(name),
        };
    }

    fn import(&mut self, n: Node<'t>) {
        let from = n.kind() == "import_from_statement";
        let statement = self.imports.len();
        let mut count = 0;
        let mut cursor = n.walk();
        for child in n.children_by_field_id(fields().name_id, &mut cursor) {
            match child.kind() {
                "aliased_import" => {
                    let (Some(name), Some(alias)) = (
                        child.child_by_field_id(fields().name),
                        child.child_by_field_id(fields().alias),
                    ) else {
                        continue;
                    };
                    let reexport = self.text(name) == self.text(alias);
                    self.bind(alias, Kind::Import(statement, reexport));
                    count += 1;
                }
                "dotted_name" => {
                    // `import a.b` binds `a`; `from m import b` binds `b`.
                    let first = if from {
                        Some(child)
                    } else {
                        child.named_child(0)
                    };
                    if let Some(first) = first {
                        let name = self.text(first);
                        self.bind_in(self.scope, name, child, Kind::Import(statement, false));
                        count += 1;
                    }
                }
                _ => {}
            }
        }
        let block = self.blocks.get(&n.id()).copied();
        self.imports.push(Import {
            statement: n,
            count,
            block,
        });
    }

    /// Parameter defaults and annotations are evaluated where the function is defined.
    fn parameter_values(&mut self, parameters: Option<Node<'t>>) {
        let Some(parameters) = parameters else { return };
        let start = self.tasks.len();
        let mut cursor = parameters.walk();
        for p in parameters.named_children(&mut cursor) {
            for (field, annotation) in [(fields().type_, true), (fields().value, false)] {
                if let Some(value) = p.child_by_field_id(field) {
                    self.tasks.push(Task::Visit(value, annotation));
                }
            }
        }
        self.tasks[start..].reverse();
    }

    fn function(&mut self, n: Node<'t>) {
        if let Some(name) = n.child_by_field_id(fields().name) {
            self.tasks.push(Task::Target(name, Kind::Other));
        }
        if let Some(returns) = n.child_by_field_id(fields().return_type) {
            self.tasks.push(Task::Visit(returns, true));
        }
        self.parameter_values(n.child_by_field_id(fields().parameters));
        self.deferred.push((n, self.scope));
    }

    fn lambda(&mut self, n: Node<'t>) {
        self.parameter_values(n.child_by_field_id(fields().parameters));
        self.deferred.push((n, self.scope));
    }

    /// A deferred function or lambda body, in a new scope under the one it was defined in.
    fn run_function(&mut self, n: Node<'t>, parent: ScopeId) {
        let kind = if n.kind() == "lambda" {
            ScopeKind::Lambda
        } else {
            ScopeKind::Function
        };
        self.scope = self.new_scope(kind, Some(parent));
        if let Some(parameters) = n.child_by_field_id(fields().parameters) {
            for p in node::named_children(parameters) {
                let name = match p.kind() {
                    "identifier" => Some(p),
                    "default_parameter" | "typed_default_parameter" => {
                        p.child_by_field_id(fields().name)
                    }
                    _ => p.named_child(0),
                };
                // `*args: T` and `**kwargs` hold the name one level down.
                let name = name.map(|n| match n.kind() {
                    "list_splat_pattern" | "dictionary_splat_pattern" => n.named_child(0),
                    _ => Some(n),
                });
                if let Some(name) = name.flatten().filter(|n| n.kind() == "identifier") {
                    self.bind(name, Kind::Other);
                }
            }
        }
        if let Some(body) = n.child_by_field_id(fields().body) {
            self.tasks.push(Task::Visit(body, false));
        }
    }

    fn class(&mut self, n: Node<'t>) {
        let outer = self.scope;
        let inner = self.new_scope(ScopeKind::Class, Some(outer));
        if let Some(name) = n.child_by_field_id(fields().name) {
            self.tasks.push(Task::Target(name, Kind::Other));
        }
        self.tasks.push(Task::SetScope(outer));
        if let Some(body) = n.child_by_field_id(fields().body) {
            self.tasks.push(Task::Visit(body, false));
        }
        self.tasks.push(Task::SetScope(inner));
        if let Some(bases) = n.child_by_field_id(fields().superclasses) {
            self.tasks.push(Task::Visit(bases, false));
        }
    }

    /// The first iterable is evaluated outside, the rest in the comprehension's own scope.
    fn comprehension(&mut self, n: Node<'t>) {
        let outer = self.scope;
        let inner = self.new_scope(ScopeKind::Comprehension, Some(outer));
        // In the order of execution, pushed reversed at the end.
        let mut order = Vec::new();
        let mut entered = false;
        for clause in node::named_children(n) {
            match clause.kind() {
                "for_in_clause" => {
                    if let Some(right) = clause.child_by_field_id(fields().right) {
                        order.push(Task::Visit(right, false));
                    }
                    if !entered {
                        order.push(Task::SetScope(inner));
                        entered = true;
                    }
                    if let Some(left) = clause.child_by_field_id(fields().left) {
                        order.push(Task::Target(left, Kind::Other));
                    }
                }
                "if_clause" => order.push(Task::Visit(clause, false)),
                _ => {}
            }
        }
        if !entered {
            order.insert(0, Task::SetScope(inner));
        }
        if let Some(body) = n.child_by_field_id(fields().body) {
            order.push(Task::Visit(body, false));
        }
        order.push(Task::SetScope(outer));
        self.tasks.extend(order.into_iter().rev());
    }

    /// `x = …`, `x: T = …`, `x: T`, and chains `a = b = value` as a whole.
    fn assignment(&mut self, n: Node<'t>) {
        // The chain's targets, outermost first, and its value.
        let mut targets = Vec::new();
        let mut link = n;
        let value = loop {
            targets.extend(link.child_by_field_id(fields().left));
            match link.child_by_field_id(fields().right) {
                Some(right) if right.kind() == "assignment" => link = right,
                other => break other,
            }
        };
        // Unpacking binds names ruff reports only when the value is a literal and every
        // target of the chain unpacks (pyflakes: `a, b = 1, 2`, not `m = (n, o) = 1, 2`).
        let literal =
            value.is_some_and(|v| matches!(v.kind(), "expression_list" | "tuple" | "list"));
        let unpacks = targets
            .iter()
            .all(|t| node::unparenthesized(*t).kind() != "identifier");
        for &left in targets.iter().rev() {
            let kind = match (value, node::unparenthesized(left).kind()) {
                (None, _) => Kind::Annotation,
                (Some(_), "identifier") => Kind::Assignment,
                _ if literal && unpacks => Kind::Assignment,
                _ => Kind::Other,
            };
            self.tasks.push(Task::Target(left, kind));
            self.collect_exports(left, value);
        }
        if let Some(annotation) = n.child_by_field_id(fields().type_) {
            self.tasks.push(Task::Visit(annotation, true));
        }
        if let Some(value) = value {
            self.tasks.push(Task::Visit(value, false));
        }
    }

    fn augmented_assignment(&mut self, n: Node<'t>) {
        let left = n.child_by_field_id(fields().left);
        let right = n.child_by_field_id(fields().right);
        if let Some(left) = left {
            if left.kind() == "identifier" {
                self.tasks.push(Task::Target(left, Kind::Assignment));
            }
            self.tasks.push(Task::Visit(left, false));
            self.collect_exports(left, right);
        }
        if let Some(right) = right {
            self.tasks.push(Task::Visit(right, false));
        }
    }

    /// `__all__ = [...]`, `+= [...]`, `= __all__ + [...]` at module level: exported names.
    fn collect_exports(&mut self, left: Node<'t>, right: Option<Node<'t>>) {
        if self.scope != 0 || self.text(left) != "__all__" {
            return;
        }
        let mut pending: Vec<Node<'t>> = right.into_iter().collect();
        while let Some(value) = pending.pop() {
            match value.kind() {
                "list" | "tuple" | "parenthesized_expression" | "binary_operator" => {
                    pending.extend(node::named_children(value))
                }
                "string" => {
                    for part in node::named_children(value) {
                        if part.kind() == "string_content" {
                            self.exports.insert(self.text(part));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn for_statement(&mut self, n: Node<'t>) {
        let left = n.child_by_field_id(fields().left);
        let right = n.child_by_field_id(fields().right);
        let start = self.tasks.len();
        if let Some(right) = right {
            self.tasks.push(Task::Visit(right, false));
        }
        if let Some(left) = left {
            self.tasks.push(Task::Target(left, Kind::Other));
        }
        for child in node::named_children(n) {
            if Some(child) != left && Some(child) != right {
                self.tasks.push(Task::Visit(child, false));
            }
        }
        self.tasks[start..].reverse();
    }

    /// `with value as target` (an `as_pattern` elsewhere is a match pattern's or an except's).
    fn with_item(&mut self, n: Node<'t>) {
        let target = n
            .child_by_field_id(fields().alias)
            .filter(|a| a.kind() == "as_pattern_target")
            .and_then(|a| a.named_child(0));
        if let Some(target) = target {
            // `as (a, b)` unpacks: ruff reports a single name (or a list of names).
            let kind = match node::unparenthesized(target).kind() {
                "tuple" | "tuple_pattern" | "pattern_list" => Kind::Other,
                _ => Kind::WithItem,
            };
            self.tasks.push(Task::Target(target, kind));
        }
        if let Some(value) = n.named_child(0).filter(|v| Some(*v) != target) {
            self.tasks.push(Task::Visit(value, false));
        }
    }

    fn except_clause(&mut self, n: Node<'t>) {
        let value = n.child_by_field_id(fields().value);
        let pattern = value.filter(|v| v.kind() == "as_pattern");
        let name = pattern
            .and_then(|p| p.child_by_field_id(fields().alias))
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind() == "identifier");
        if name.is_some() {
            self.tasks.push(Task::ExceptEnd);
        }
        let start = self.tasks.len();
        if let Some(value) = value {
            let expression = pattern.and_then(|p| p.named_child(0)).unwrap_or(value);
            self.tasks.push(Task::Visit(expression, false));
        }
        if let Some(name) = name {
            self.tasks.push(Task::ExceptBind(name));
        }
        for child in node::named_children(n) {
            if Some(child) != value {
                self.tasks.push(Task::Visit(child, false));
            }
        }
        self.tasks[start..].reverse();
    }

    /// `global`/`nonlocal`: the names are the module's or an enclosing function's, not local
    /// variables; a `nonlocal` name counts as a use of the enclosing binding.
    fn declare(&mut self, n: Node<'t>) {
        let nonlocal = n.kind() == "nonlocal_statement";
        for name in node::named_children(n) {
            if name.kind() != "identifier" {
                continue;
            }
            let text = self.text(name);
            if self.scopes[self.scope].kind == ScopeKind::Module {
                continue; // a no-op at module level
            }
            self.scopes[self.scope].declared.insert(text);
            if let Some(&b) = self.scopes[self.scope].names.get(text) {
                self.bindings[b].declared = true;
            }
            if let (true, Some(parent)) = (nonlocal, self.scopes[self.scope].parent) {
                self.resolve(text, parent);
            }
        }
    }

    fn target(&mut self, n: Node<'t>, kind: Kind) {
        match n.kind() {
            "identifier" => self.bind(n, kind),
            "parenthesized_expression"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "expression_list"
            | "list_splat_pattern"
            | "list_splat" => {
                let start = self.tasks.len();
                for child in node::named_children(n) {
                    self.tasks.push(Task::Target(child, kind));
                }
                self.tasks[start..].reverse();
            }
            "comment" => {}
            _ => self.tasks.push(Task::Visit(n, false)),
        }
    }

    /// Match patterns: a lone name captures, a dotted name and a class are values.
    fn pattern(&mut self, n: Node<'t>) {
        match n.kind() {
            // Captures are assignments to ruff.
            "dotted_name" if n.named_child_count() == 1 => {
                if let Some(name) = n.named_child(0) {
                    self.bind(name, Kind::Assignment);
                }
            }
            "identifier" => self.bind(n, Kind::Assignment),
            "as_pattern" => {
                let children = node::named_children(n);
                if let Some(alias) = children.last().filter(|a| a.kind() == "identifier") {
                    self.tasks.push(Task::Target(*alias, Kind::Assignment));
                }
                if let Some(first) = children.first().filter(|f| f.kind() != "identifier") {
                    self.tasks.push(Task::Pattern(*first));
                }
            }
            "dotted_name"
            | "string"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "concatenated_string" => self.visit(n, false),
            kind => {
                let start = self.tasks.len();
                for (i, child) in node::named_children(n).into_iter().enumerate() {
                    match (kind, i, child.kind()) {
                        ("class_pattern", 0, "dotted_name") => {
                            self.tasks.push(Task::Visit(child, false))
                        }
                        ("keyword_pattern", 0, "identifier") => {}
                        _ => self.tasks.push(Task::Pattern(child)),
                    }
                }
                self.tasks[start..].reverse();
            }
        }
    }

    /// Names in a string annotation (`"Optional[Foo]"`), resolved when the module is done.
    fn string_annotation(&mut self, n: Node<'t>) {
        for part in node::named_children(n) {
            if part.kind() != "string_content" {
                continue;
            }
            let text = self.text(part);
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                let c = bytes[i];
                if c.is_ascii_alphabetic() || c == b'_' {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    if start == 0 || bytes[start - 1] != b'.' {
                        self.strings.push((self.scope, &text[start..i]));
                    }
                } else {
                    i += 1;
                }
            }
        }
    }

    fn report(self) -> ScopeFindings {
        let imports = self.unused_imports();
        let mut variables: Vec<(usize, RawFinding)> = Vec::new();
        let mut unused_variable = |b: &Binding<'_>| {
            let message = format!("local variable `{}` is assigned but never used", b.name);
            variables.push((
                b.node.start_byte(),
                RawFinding::at(b.node).with_message(message),
            ));
        };
        for scope in &self.scopes {
            if scope.kind != ScopeKind::Function || scope.uses_locals {
                continue;
            }
            for &id in scope.names.values() {
                let b = &self.bindings[id];
                let reported =
                    matches!(b.kind, Kind::Assignment | Kind::NamedExpr | Kind::WithItem);
                if reported && !b.used && !b.declared && !ignored_variable(b.name) {
                    unused_variable(b);
                }
            }
        }
        for &id in &self.unused_handlers {
            let b = &self.bindings[id];
            if !ignored_variable(b.name) {
                unused_variable(b);
            }
        }
        variables.sort_by_key(|(offset, _)| *offset);
        ScopeFindings {
            imports,
            variables: variables.into_iter().map(|(_, f)| f).collect(),
        }
    }

    fn unused_imports(&self) -> Vec<RawFinding> {
        // The unused names of each import statement.
        let mut unused: Vec<Vec<&Binding<'t>>> = vec![Vec::new(); self.imports.len()];
        for scope in &self.scopes {
            if scope.kind == ScopeKind::Class {
                continue; // imports in a class body are its attributes
            }
            for &id in scope.names.values() {
                let b = &self.bindings[id];
                if let Kind::Import(statement, reexport) = b.kind {
                    if !b.used && !reexport && !b.declared {
                        unused[statement].push(b);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (import, mut names) in self.imports.iter().zip(unused) {
            if names.is_empty() {
                continue;
            }
            names.sort_by_key(|b| b.node.start_byte());
            let fix = (names.len() == import.count)
                .then(|| self.removal(import))
                .flatten();
            for b in names {
                let mut finding = RawFinding::at(b.node)
                    .with_message(format!("`{}` imported but unused", b.name));
                finding.fix = fix.clone();
                out.push(finding);
            }
        }
        out.sort_by_key(|f| (f.location.line, f.location.column));
        out
    }

    /// The edit removing an import statement: its lines, when it has them to itself and its
    /// block keeps another statement (and is not a `try` body, where an import tests that a
    /// module is there).
    fn removal(&self, import: &Import<'t>) -> Option<Vec<Edit>> {
        let source = self.source;
        let statement = import.statement;
        let (block, in_try) = import.block?;
        if block.kind() != "module" {
            let others = node::named_children(block)
                .into_iter()
                .filter(|c| *c != statement && c.kind() != "comment")
                .count();
            if others == 0 || in_try {
                return None;
            }
        }
        let start = node::line_start(source, statement.start_byte());
        let end = source[statement.end_byte()..]
            .find('\n')
            .map_or(source.len(), |i| statement.end_byte() + i + 1);
        let alone = source[start..statement.start_byte()].trim().is_empty()
            && source[statement.end_byte()..end].trim().is_empty();
        alone.then(|| {
            vec![Edit {
                start_byte: start,
                end_byte: end,
                replacement: String::new(),
            }]
        })
    }
}

/// `_x` and `__` are ruff's dummy names (its default `dummy-variable-rgx`); a few dunders are
/// read by debuggers and test runners.
fn ignored_variable(name: &str) -> bool {
    let dummy = name.starts_with('_')
        && (name.bytes().all(|b| b == b'_') || name.ends_with(|c: char| c.is_ascii_alphanumeric()));
    dummy
        || matches!(
            name,
            "__tracebackhide__"
                | "__traceback_info__"
                | "__traceback_supplement__"
                | "__debuggerskip__"
        )
}

/// Subscripted, these hold types (strings in them are annotations).
const TYPING_GENERICS: &[&str] = &[
    "Annotated",
    "AsyncGenerator",
    "AsyncIterable",
    "AsyncIterator",
    "Awaitable",
    "Callable",
    "ClassVar",
    "Collection",
    "Container",
    "Coroutine",
    "Counter",
    "DefaultDict",
    "Deque",
    "Dict",
    "Final",
    "FrozenSet",
    "Generator",
    "Iterable",
    "Iterator",
    "List",
    "Mapping",
    "MutableMapping",
    "MutableSequence",
    "MutableSet",
    "Optional",
    "OrderedDict",
    "Sequence",
    "Set",
    "Tuple",
    "Type",
    "TypeGuard",
    "Union",
    "dict",
    "frozenset",
    "list",
    "set",
    "tuple",
    "type",
];

/// The last name of a dotted expression (`typing.Union` → `Union`).
fn last_name(text: &str) -> &str {
    text.rsplit('.').next().unwrap_or(text).trim()
}
