//! A scope model of JavaScript, for `js/unused-variable`: the program, function and block
//! scopes of a file, the names each declares (`var` hoisted to its function, `let`/`const`/
//! `class`/function declarations to their block, imports to the module, parameters and caught
//! errors), and every reference to a name resolved to its declaration, as a read, a write, or a
//! read that only feeds a write to the same name (`x++`, `x += 1` whose value is unused).
//!
//! Linear in the size of the tree, plus the depth of the scope chain per reference; the walk
//! uses an explicit stack, so deeply nested (minified) code cannot overflow the thread's stack.

use std::collections::{HashMap, HashSet};

use arbor_syntax::node::unparenthesized;
use arbor_syntax::tree_sitter::Node;

/// What declared a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `var`.
    Var,
    /// `let`, `const`, `using`.
    Lexical,
    /// A function declaration.
    Function,
    /// A class declaration.
    Class,
    /// An import.
    Import,
    /// A parameter (not checked).
    Param,
    /// The error of a `catch` (not checked).
    CaughtError,
    /// The name of a function or class expression, or of a class inside its body (not checked).
    OwnName,
    /// A name destructured beside a `...rest`, which it exists to leave out (not checked).
    RestSibling,
}

impl Binding {
    /// Whether a declaration of this kind that is never read is a finding.
    pub(crate) fn checked(self) -> bool {
        matches!(
            self,
            Binding::Var | Binding::Lexical | Binding::Function | Binding::Class | Binding::Import
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Program,
    Function,
    Block,
}

struct Scope<'s> {
    parent: Option<usize>,
    /// The function (or program) scope that `var` declarations in this scope belong to.
    function: usize,
    /// Where a function's body starts: its parameters' defaults do not see the body's names.
    body_start: Option<usize>,
    /// Inside a loop of its function.
    in_loop: bool,
    names: HashMap<&'s str, usize>,
}

/// A declared name.
pub(crate) struct Variable<'t> {
    pub(crate) name: &'t str,
    /// Its first declaration.
    pub(crate) node: Node<'t>,
    pub(crate) binding: Binding,
    scope: usize,
    /// Read somewhere other than its own body.
    pub(crate) used: bool,
    /// Exported from the module.
    pub(crate) exported: bool,
    /// The function it names (by declaration or initializer): reads inside are not uses.
    own_body: Option<(usize, usize)>,
    /// The last write to it from its own function (where ESLint reports an unused variable).
    pub(crate) last_write: Option<Node<'t>>,
    /// The right side of the last assignment to it whose value only the variable receives
    /// (`x = f(x);` as a statement): reads inside are not uses (start, end, function scope).
    rhs: Option<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
    ReadWrite,
    /// `x++`, `x += 1` as a statement: the read only feeds the write.
    SelfUpdate,
}

struct Reference<'t> {
    node: Node<'t>,
    scope: usize,
    access: Access,
    /// For `x = …;` as a statement outside loops: the right side.
    rhs: Option<(usize, usize)>,
}

/// What an identifier met in the walk is.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A reference read.
    Expr,
    /// A declaration of this kind in this scope; exported or not.
    Bind(Binding, usize, bool),
    /// The target of an assignment.
    Write,
    /// A declaration under `export`.
    Export,
    /// An expression whose value is dropped (a statement, a non-last part of a sequence).
    Dropped,
}

/// The scopes, variables and references of a file.
pub(crate) struct ScopeModel<'t> {
    source: &'t str,
    scopes: Vec<Scope<'t>>,
    pub(crate) variables: Vec<Variable<'t>>,
    references: Vec<Reference<'t>>,
    stack: Vec<(Node<'t>, usize, Role)>,
    /// Whether the program is an ES module (has `import` or `export`).
    pub(crate) module: bool,
    /// Names read or written that no declaration in the file binds (globals).
    pub(crate) unresolved: HashSet<&'t str>,
}

const FUNCTIONS: &[&str] = &[
    "function_expression",
    "generator_function",
    "arrow_function",
    "method_definition",
];

impl<'t> ScopeModel<'t> {
    /// The model of the tree under `root`, whose text is `source`.
    pub(crate) fn build(root: Node<'t>, source: &'t str) -> ScopeModel<'t> {
        let mut model = ScopeModel {
            source,
            scopes: Vec::new(),
            variables: Vec::new(),
            references: Vec::new(),
            stack: Vec::new(),
            module: false,
            unresolved: HashSet::new(),
        };
        let program = model.new_scope(None, ScopeKind::Program);
        model.push_children(root, program, Role::Expr);
        while let Some((node, scope, role)) = model.stack.pop() {
            model.visit(node, scope, role);
        }
        model.resolve();
        model
    }

    /// Whether the scope is the program's.
    pub(crate) fn top_level(&self, variable: &Variable<'_>) -> bool {
        variable.scope == 0
    }

    fn text(&self, node: Node<'_>) -> &'t str {
        &self.source[node.start_byte()..node.end_byte()]
    }

    fn new_scope(&mut self, parent: Option<usize>, kind: ScopeKind) -> usize {
        let id = self.scopes.len();
        let function = match (kind, parent) {
            (ScopeKind::Block, Some(p)) => self.scopes[p].function,
            _ => id,
        };
        let in_loop = kind == ScopeKind::Block && parent.is_some_and(|p| self.scopes[p].in_loop);
        self.scopes.push(Scope {
            parent,
            function,
            body_start: None,
            in_loop,
            names: HashMap::new(),
        });
        id
    }

    fn push(&mut self, node: Option<Node<'t>>, scope: usize, role: Role) {
        if let Some(node) = node {
            self.stack.push((node, scope, role));
        }
    }

    /// Pushes the named children of `node`, to be visited in document order.
    fn push_children(&mut self, node: Node<'t>, scope: usize, role: Role) {
        let start = self.stack.len();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.stack.push((child, scope, role));
        }
        self.stack[start..].reverse();
    }

    fn visit(&mut self, node: Node<'t>, scope: usize, role: Role) {
        match node.kind() {
            "identifier" | "undefined" | "shorthand_property_identifier_pattern" => {
                self.name(node, scope, role)
            }
            "shorthand_property_identifier" => self.reference(node, scope, Access::Read),
            "variable_declaration" | "lexical_declaration" | "using_declaration" => {
                self.declaration(node, scope, matches!(role, Role::Export))
            }
            "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "generator_function"
            | "arrow_function"
            | "method_definition"
            | "class_declaration"
            | "class"
            | "class_static_block" => self.definition(node, scope, role),
            "catch_clause" => {
                let inner = self.new_scope(Some(scope), ScopeKind::Block);
                let param = node.child_by_field_name("parameter");
                self.push(node.child_by_field_name("body"), inner, Role::Expr);
                self.push(param, inner, Role::Bind(Binding::CaughtError, inner, false));
            }
            "statement_block" | "switch_body" => {
                let inner = self.new_scope(Some(scope), ScopeKind::Block);
                self.push_children(node, inner, Role::Expr);
            }
            "for_statement" | "while_statement" | "do_statement" => {
                let inner = self.new_scope(Some(scope), ScopeKind::Block);
                self.scopes[inner].in_loop = true;
                self.push_children(node, inner, Role::Expr);
            }
            "expression_statement" | "parenthesized_expression"
                if node.named_child_count() == 1 =>
            {
                let role = match (node.kind(), role) {
                    ("expression_statement", _) => Role::Dropped,
                    (_, Role::Export) => Role::Expr,
                    (_, role) => role,
                };
                self.push(node.named_child(0), scope, role);
            }
            "sequence_expression" => self.sequence(node, scope, role),
            "for_in_statement" => self.for_in(node, scope),
            "import_statement" => {
                self.module = true;
                self.import(node, scope);
            }
            "export_statement" => {
                self.module = true;
                self.export(node, scope);
            }
            "assignment_expression" => self.assignment(node, scope, role),
            "augmented_assignment_expression" | "update_expression" => {
                self.update(node, scope, role)
            }
            "object_pattern"
            | "array_pattern"
            | "rest_pattern"
            | "pair_pattern"
            | "assignment_pattern"
            | "object_assignment_pattern" => self.pattern(node, scope, role),
            "jsx_opening_element" | "jsx_self_closing_element" | "jsx_closing_element" => {
                self.jsx(node, scope)
            }
            _ => self.push_children(node, scope, Role::Expr),
        }
    }

    /// A function or class: the scopes it opens, and its name where it declares one.
    fn definition(&mut self, node: Node<'t>, scope: usize, role: Role) {
        match node.kind() {
            "function_declaration" | "generator_function_declaration" => {
                let exported = matches!(role, Role::Export);
                let range = Some((node.start_byte(), node.end_byte()));
                if let Some(name) = node.child_by_field_name("name") {
                    self.declare(name, Binding::Function, scope, exported, range);
                }
                self.function(node, scope);
            }
            "function_expression" | "generator_function" => {
                let scope = self.own_name(node, scope);
                self.function(node, scope);
            }
            "arrow_function" => self.function(node, scope),
            "method_definition" => {
                self.push(node.child_by_field_name("name"), scope, Role::Expr);
                self.function(node, scope);
            }
            "class_declaration" => {
                let exported = matches!(role, Role::Export);
                if let Some(name) = node.child_by_field_name("name") {
                    self.declare(name, Binding::Class, scope, exported, None);
                }
                self.class(node, scope);
            }
            "class" => self.class(node, scope),
            "class_static_block" => {
                let inner = self.new_scope(Some(scope), ScopeKind::Function);
                self.push(node.child_by_field_name("body"), inner, Role::Expr);
            }
            _ => {}
        }
    }

    /// An identifier: a declaration, a write or a read, by where it stands.
    fn name(&mut self, node: Node<'t>, scope: usize, role: Role) {
        match role {
            Role::Bind(binding, target, exported) => {
                self.declare(node, binding, target, exported, None)
            }
            Role::Write => self.reference(node, scope, Access::Write),
            Role::Expr | Role::Export | Role::Dropped => self.reference(node, scope, Access::Read),
        }
    }

    fn reference(&mut self, node: Node<'t>, scope: usize, access: Access) {
        self.references.push(Reference {
            node,
            scope,
            access,
            rhs: None,
        });
    }

    fn declare(
        &mut self,
        node: Node<'t>,
        binding: Binding,
        scope: usize,
        exported: bool,
        own_body: Option<(usize, usize)>,
    ) {
        let name = self.text(node);
        if let Some(&existing) = self.scopes[scope].names.get(name) {
            self.variables[existing].exported |= exported;
            return;
        }
        let id = self.variables.len();
        self.variables.push(Variable {
            name,
            node,
            binding,
            scope,
            used: false,
            exported,
            own_body,
            last_write: None,
            rhs: None,
        });
        self.scopes[scope].names.insert(name, id);
    }

    /// `var`, `let`, `const` and `using` declarations (also in `for` headers).
    fn declaration(&mut self, node: Node<'t>, scope: usize, exported: bool) {
        let (binding, target) = if node.kind() == "variable_declaration" {
            (Binding::Var, self.scopes[scope].function)
        } else {
            (Binding::Lexical, scope)
        };
        let declarators: Vec<Node<'t>> = {
            let mut cursor = node.walk();
            node.named_children(&mut cursor)
                .filter(|c| c.kind() == "variable_declarator")
                .collect()
        };
        for declarator in declarators.into_iter().rev() {
            let value = declarator.child_by_field_name("value");
            self.push(value, scope, Role::Expr);
            let Some(name) = declarator.child_by_field_name("name") else {
                continue;
            };
            if name.kind() == "identifier" {
                let own_body = value
                    .filter(|v| FUNCTIONS.contains(&v.kind()))
                    .map(|v| (v.start_byte(), v.end_byte()));
                self.declare(name, binding, target, exported, own_body);
                if value.is_some() {
                    self.reference(name, scope, Access::Write);
                }
            } else {
                self.push(Some(name), scope, Role::Bind(binding, target, exported));
            }
        }
        // Anything else (a `using` declaration's right side).
        if let Some(right) = node.child_by_field_name("right") {
            self.push(Some(right), scope, Role::Expr);
        }
    }

    /// The scope holding the name of a named function or class expression, seen only inside.
    fn own_name(&mut self, node: Node<'t>, scope: usize) -> usize {
        let Some(name) = node.child_by_field_name("name") else {
            return scope;
        };
        let inner = self.new_scope(Some(scope), ScopeKind::Block);
        self.declare(name, Binding::OwnName, inner, false, None);
        inner
    }

    /// A function's parameters and body, in a new function scope.
    fn function(&mut self, node: Node<'t>, scope: usize) {
        let inner = self.new_scope(Some(scope), ScopeKind::Function);
        let param = Role::Bind(Binding::Param, inner, false);
        self.scopes[inner].body_start = node.child_by_field_name("body").map(|b| b.start_byte());
        match node.child_by_field_name("body") {
            Some(body) if body.kind() == "statement_block" => {
                self.push_children(body, inner, Role::Expr)
            }
            body => self.push(body, inner, Role::Expr),
        }
        if let Some(parameters) = node.child_by_field_name("parameters") {
            self.push_children(parameters, inner, param);
        }
        self.push(node.child_by_field_name("parameter"), inner, param);
    }

    /// A class: its name is bound again inside, where its own references resolve.
    fn class(&mut self, node: Node<'t>, scope: usize) {
        let inner = self.new_scope(Some(scope), ScopeKind::Block);
        let start = self.stack.len();
        let mut cursor = node.walk();
        for (i, child) in node.named_children(&mut cursor).enumerate() {
            if node.field_name_for_named_child(i as u32) == Some("name") {
                continue;
            }
            let in_scope = if child.kind() == "decorator" {
                scope
            } else {
                inner
            };
            self.stack.push((child, in_scope, Role::Expr));
        }
        self.stack[start..].reverse();
        if let Some(name) = node.child_by_field_name("name") {
            self.declare(name, Binding::OwnName, inner, false, None);
        }
    }

    /// `for (… in/of …)`; a loop whose body only returns counts its variable as used
    /// (`for (var key in object) return false;`), as ESLint does.
    fn for_in(&mut self, node: Node<'t>, scope: usize) {
        let inner = self.new_scope(Some(scope), ScopeKind::Block);
        self.scopes[inner].in_loop = true;
        let body = node.child_by_field_name("body");
        self.push(body, inner, Role::Expr);
        self.push(node.child_by_field_name("right"), inner, Role::Expr);
        self.push(node.child_by_field_name("value"), inner, Role::Expr);
        let Some(left) = node.child_by_field_name("left").map(unparenthesized) else {
            return;
        };
        let kind = node.child_by_field_name("kind").map(|k| k.kind());
        let role = match kind {
            Some("var") => Role::Bind(Binding::Var, self.scopes[scope].function, false),
            Some(_) => Role::Bind(Binding::Lexical, inner, false),
            None => Role::Write,
        };
        if left.kind() == "identifier" {
            if body.is_some_and(only_returns) {
                self.reference(left, inner, Access::Read);
            }
            if kind.is_some() {
                self.reference(left, inner, Access::Write);
            }
        }
        self.push(Some(left), inner, role);
    }

    fn import(&mut self, node: Node<'t>, scope: usize) {
        let Some(clause) = named_child_of_kind(node, "import_clause") else {
            return;
        };
        let mut names = Vec::new();
        let mut cursor = clause.walk();
        for child in clause.named_children(&mut cursor) {
            match child.kind() {
                "identifier" => names.push(child),
                "namespace_import" => names.extend(named_child_of_kind(child, "identifier")),
                "named_imports" => {
                    let mut inner = child.walk();
                    for specifier in child.named_children(&mut inner) {
                        let local = specifier
                            .child_by_field_name("alias")
                            .or_else(|| specifier.child_by_field_name("name"));
                        names.extend(local.filter(|n| n.kind() == "identifier"));
                    }
                }
                _ => {}
            }
        }
        for name in names {
            self.declare(name, Binding::Import, scope, false, None);
        }
    }

    fn export(&mut self, node: Node<'t>, scope: usize) {
        if node.child_by_field_name("source").is_some() {
            return; // `export … from "…"` names another module's bindings.
        }
        if let Some(declaration) = node.child_by_field_name("declaration") {
            self.push(Some(declaration), scope, Role::Export);
            return;
        }
        if let Some(clause) = named_child_of_kind(node, "export_clause") {
            let mut cursor = clause.walk();
            for specifier in clause.named_children(&mut cursor) {
                let name = specifier.child_by_field_name("name");
                self.push(name.filter(|n| n.kind() == "identifier"), scope, Role::Expr);
            }
        }
        self.push(node.child_by_field_name("value"), scope, Role::Expr);
        let mut cursor = node.walk();
        for decorator in node.children_by_field_name("decorator", &mut cursor) {
            self.stack.push((decorator, scope, Role::Expr));
        }
    }

    /// `a, b, c`: the value of all but the last is dropped, and of the last if the whole's is.
    fn sequence(&mut self, node: Node<'t>, scope: usize, role: Role) {
        let start = self.stack.len();
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment")
            .collect();
        let last = children.len().saturating_sub(1);
        for (i, child) in children.into_iter().enumerate() {
            let dropped = i < last || matches!(role, Role::Dropped);
            let role = if dropped { Role::Dropped } else { Role::Expr };
            self.stack.push((child, scope, role));
        }
        self.stack[start..].reverse();
    }

    /// `x = …`: the target is written; `x = f(x);` on its own reads `x` only for itself.
    fn assignment(&mut self, node: Node<'t>, scope: usize, role: Role) {
        let right = node.child_by_field_name("right");
        self.push(right, scope, Role::Expr);
        let left = node.child_by_field_name("left").map(unparenthesized);
        match (left, right) {
            (Some(left), Some(right))
                if left.kind() == "identifier"
                    && matches!(role, Role::Dropped)
                    && !self.scopes[scope].in_loop =>
            {
                self.reference(left, scope, Access::Write);
                if let Some(last) = self.references.last_mut() {
                    last.rhs = Some((right.start_byte(), right.end_byte()));
                }
            }
            _ => self.push(left, scope, Role::Write),
        }
    }

    /// `x += …`, `x++`: a read that only feeds the write when the result is unused.
    fn update(&mut self, node: Node<'t>, scope: usize, role: Role) {
        let target = node
            .child_by_field_name("left")
            .or_else(|| node.child_by_field_name("argument"))
            .map(unparenthesized);
        self.push(node.child_by_field_name("right"), scope, Role::Expr);
        match target {
            Some(target) if target.kind() == "identifier" || target.kind() == "undefined" => {
                let logical = node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&=" | "||=" | "??="));
                let access = if !logical && matches!(role, Role::Dropped) {
                    Access::SelfUpdate
                } else {
                    Access::ReadWrite
                };
                self.reference(target, scope, access);
            }
            other => self.push(other, scope, Role::Expr),
        }
    }

    /// A destructuring pattern: its names take the role; defaults and computed keys are read.
    fn pattern(&mut self, node: Node<'t>, scope: usize, role: Role) {
        let role = match role {
            Role::Export => Role::Expr,
            role => role,
        };
        let rest_siblings = node.kind() == "object_pattern"
            && matches!(role, Role::Bind(b, ..) if b.checked())
            && named_child_of_kind(node, "rest_pattern").is_some();
        let start = self.stack.len();
        let mut cursor = node.walk();
        for (i, child) in node.named_children(&mut cursor).enumerate() {
            let field = node.field_name_for_named_child(i as u32);
            let child_role = match (field, child.kind()) {
                (Some("right") | Some("key"), _) => Role::Expr,
                (_, "rest_pattern") => role,
                _ if rest_siblings => match role {
                    Role::Bind(_, target, exported) => {
                        Role::Bind(Binding::RestSibling, target, exported)
                    }
                    role => role,
                },
                _ => role,
            };
            self.stack.push((child, scope, child_role));
        }
        self.stack[start..].reverse();
    }

    /// A JSX element's name is a reference when it is a component (capitalized or dotted).
    fn jsx(&mut self, node: Node<'t>, scope: usize) {
        let name = node.child_by_field_name("name");
        let start = self.stack.len();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            let intrinsic = Some(child) == name
                && child.kind() == "identifier"
                && !self
                    .text(child)
                    .starts_with(|c: char| c.is_ascii_uppercase());
            if !intrinsic {
                self.stack.push((child, scope, Role::Expr));
            }
        }
        self.stack[start..].reverse();
    }

    /// Resolves every reference (a walk of the scope tree keeping, per name, the stack of
    /// variables in sight: linear), then applies them in document order.
    fn resolve(&mut self) {
        let references = std::mem::take(&mut self.references);
        let targets = self.bind(&references);
        let mut order: Vec<usize> = (0..references.len()).collect();
        order.sort_by_key(|&i| references[i].node.start_byte());
        for i in order {
            match targets[i] {
                Some(v) => self.apply(&references[i], v),
                None => {
                    let name = self.text(references[i].node);
                    self.unresolved.insert(name);
                }
            }
        }
    }

    /// The variable each reference refers to, if the file declares it.
    fn bind(&self, references: &[Reference<'t>]) -> Vec<Option<usize>> {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.scopes.len()];
        for (id, scope) in self.scopes.iter().enumerate() {
            if let Some(parent) = scope.parent {
                children[parent].push(id);
            }
        }
        let mut by_scope: Vec<Vec<usize>> = vec![Vec::new(); self.scopes.len()];
        for (i, reference) in references.iter().enumerate() {
            by_scope[reference.scope].push(i);
        }
        let mut visible: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut targets = vec![None; references.len()];
        let mut walk = vec![(0, true)];
        while let Some((s, enter)) = walk.pop() {
            let scope = &self.scopes[s];
            if !enter {
                for name in scope.names.keys() {
                    if let Some(stack) = visible.get_mut(name) {
                        stack.pop();
                    }
                }
                continue;
            }
            for (&name, &v) in &scope.names {
                visible.entry(name).or_default().push(v);
            }
            for &i in &by_scope[s] {
                let start = references[i].node.start_byte();
                let stack = visible.get(self.text(references[i].node));
                targets[i] =
                    stack.and_then(|st| st.iter().rev().copied().find(|&v| !self.hidden(v, start)));
            }
            walk.push((s, false));
            walk.extend(children[s].iter().map(|&c| (c, true)));
        }
        targets
    }

    /// Whether a variable declared in a function's body is out of sight of a reference at
    /// `start` in the function's parameters (their defaults do not see the body).
    fn hidden(&self, v: usize, start: usize) -> bool {
        let variable = &self.variables[v];
        self.scopes[variable.scope]
            .body_start
            .is_some_and(|b| start < b && variable.node.start_byte() >= b)
    }

    /// Marks what a reference does to its variable: a use, the last write, the right side of
    /// an assignment to itself.
    fn apply(&mut self, reference: &Reference<'t>, v: usize) {
        let start = reference.node.start_byte();
        let from_function = self.scopes[reference.scope].function;
        let same_function = from_function == self.scopes[self.variables[v].scope].function;
        let variable = &mut self.variables[v];
        let own = variable
            .own_body
            .is_some_and(|(s, e)| s <= start && start < e);
        let inside_rhs = variable.rhs.filter(|&(s, e, _)| s <= start && start < e);
        let for_itself = inside_rhs.is_some_and(|(.., f)| f == from_function);
        if matches!(reference.access, Access::Read | Access::ReadWrite) && !own && !for_itself {
            variable.used = true;
        }
        if inside_rhs.is_none() {
            variable.rhs = reference
                .rhs
                .filter(|_| same_function)
                .map(|(s, e)| (s, e, from_function));
        }
        if !matches!(reference.access, Access::Read) && same_function {
            variable.last_write = Some(reference.node);
        }
    }
}

fn named_child_of_kind<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let found = node.named_children(&mut cursor).find(|c| c.kind() == kind);
    found
}

/// Whether a loop body is `return …;` or a block whose first statement is one.
fn only_returns(body: Node<'_>) -> bool {
    let first = if body.kind() == "statement_block" {
        let mut cursor = body.walk();
        let first = body
            .named_children(&mut cursor)
            .find(|c| c.kind() != "comment");
        first
    } else {
        Some(body)
    };
    first.is_some_and(|s| s.kind() == "return_statement")
}
