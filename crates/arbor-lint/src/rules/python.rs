//! Python rules that need more than a query: unused imports and variables, f-string and
//! None-comparison details.

use std::collections::HashMap;

use arbor_syntax::node;
use arbor_syntax::tree_sitter::Node;

use super::python_scope;
use crate::error::LintError;
use crate::rule::{Edit, FileContext, RawFinding, Rule, RuleInfo};

/// Whether a string node has a `{…}` placeholder of its own.
fn has_interpolation(string: Node<'_>) -> bool {
    let mut cursor = string.walk();
    let found = string
        .children(&mut cursor)
        .any(|child| child.kind() == "interpolation");
    found
}

/// Whether each implicit concatenation (`f"a" f"{b}"`) of a file asked about so far has a
/// placeholder, by node id: each is looked at once, however many of its pieces ask.
#[derive(Default)]
struct ConcatenationPlaceholders(std::cell::RefCell<HashMap<usize, bool>>);

/// `py/fstring-no-placeholder`: the f-string has no `{…}` inside, nor has any other piece of
/// the implicit concatenation it is part of (ruff's F541 judges the whole string).
pub fn has_no_placeholder(ctx: &FileContext<'_>, node: Node<'_>) -> bool {
    if has_interpolation(node) {
        return false;
    }
    let Some(whole) = node.parent().filter(|p| p.kind() == "concatenated_string") else {
        return true;
    };
    let memo = ctx.cached(ConcatenationPlaceholders::default);
    let mut known = memo.0.borrow_mut();
    let has_placeholder = *known.entry(whole.id()).or_insert_with(|| {
        node::named_children(whole)
            .into_iter()
            .any(has_interpolation)
    });
    !has_placeholder
}

/// The body of an `except` clause.
fn handler_body(handler: Node<'_>) -> Option<Node<'_>> {
    node::named_children(handler)
        .into_iter()
        .find(|child| child.kind() == "block")
}

/// The statements of a block, comments aside.
fn statements(block: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    node::named_children(block)
        .into_iter()
        .filter(|statement| !node::is_comment(*statement))
}

/// `py/bare-except`: the handler's body has no bare `raise` among its statements (ruff's E722
/// lets such a handler through; a `raise` nested in an `if` of the body does not count).
pub fn does_not_reraise(_ctx: &FileContext<'_>, handler: Node<'_>) -> bool {
    let Some(body) = handler_body(handler) else {
        return true;
    };
    !statements(body).any(|s| s.kind() == "raise_statement" && statements(s).next().is_none())
}

/// `py/except-pass`: the handler catches every exception (bare, `Exception`, `BaseException`,
/// or a tuple holding one) and its body is a lone `pass`, as ruff's S110 sees it.
pub fn swallows_every_error(ctx: &FileContext<'_>, handler: Node<'_>) -> bool {
    let Some(body) = handler_body(handler) else {
        return false;
    };
    let mut body = statements(body);
    let lone_pass = matches!(
        (body.next(), body.next()),
        (Some(statement), None) if statement.kind() == "pass_statement"
    );
    if !lone_pass {
        return false;
    }
    let mut caught = handler.child_by_field_name("value");
    while let Some(wrapper) =
        caught.filter(|c| matches!(c.kind(), "as_pattern" | "parenthesized_expression"))
    {
        caught = wrapper.named_child(0);
    }
    let everything = |t: Node<'_>| {
        matches!(
            ctx.text(t),
            "Exception" | "BaseException" | "builtins.Exception" | "builtins.BaseException"
        )
    };
    match caught {
        None => true,
        Some(tuple) if tuple.kind() == "tuple" => {
            node::named_children(tuple).into_iter().any(everything)
        }
        Some(caught) => everything(caught),
    }
}

/// `py/redefined-builtin`: whether the binding of a built-in's name at `name` (matched by the
/// query) shadows it, as ruff's A001 and A002 see it: not an assignment or a method in a class
/// body (an attribute), not a parameter of a lambda or of an `@overload`/`@override` function.
pub fn shadows_builtin(ctx: &FileContext<'_>, name: Node<'_>) -> bool {
    // The construct that binds the name, above the unpacking patterns around it.
    let mut binder = name.parent();
    while let Some(pattern) = binder.filter(|b| {
        matches!(
            b.kind(),
            "pattern_list"
                | "tuple_pattern"
                | "list_pattern"
                | "list_splat_pattern"
                | "dictionary_splat_pattern"
                | "tuple"
                | "list"
                | "as_pattern_target"
        )
    }) {
        binder = pattern.parent();
    }
    let Some(binder) = binder else {
        return false;
    };
    match binder.kind() {
        "parameters" | "lambda_parameters" => parameter_shadows(ctx, binder),
        "default_parameter" | "typed_parameter" | "typed_default_parameter" => binder
            .parent()
            .is_some_and(|parameters| parameter_shadows(ctx, parameters)),
        "assignment" | "augmented_assignment" | "function_definition" => !in_class_body(binder),
        _ => true,
    }
}

/// Whether the parameters of a list shadow built-ins: not those of a lambda (ruff's A006),
/// nor of a function decorated `@overload` or `@override` (its signature is given).
fn parameter_shadows(ctx: &FileContext<'_>, parameters: Node<'_>) -> bool {
    if parameters.kind() != "parameters" {
        return false;
    }
    let Some(decorated) = parameters
        .parent()
        .and_then(|function| function.parent())
        .filter(|p| p.kind() == "decorated_definition")
    else {
        return true;
    };
    !node::named_children(decorated)
        .into_iter()
        .any(|decorator| {
            let Some(mut expression) = decorator
                .named_child(0)
                .filter(|_| decorator.kind() == "decorator")
            else {
                return false;
            };
            if let Some(function) = expression.child_by_field_name("function") {
                expression = function; // `@decorator(…)`
            }
            // `overload`, `typing.overload`, `typing_extensions.override`…
            let last = ctx.text(expression).rsplit('.').next().unwrap_or_default();
            matches!(last.trim(), "overload" | "override")
        })
}

/// Whether a statement is in a class body (its nearest enclosing scope is a class).
fn in_class_body(statement: Node<'_>) -> bool {
    let mut ancestor = statement.parent();
    while let Some(a) = ancestor {
        match a.kind() {
            "class_definition" => return true,
            "function_definition" | "lambda" | "module" => return false,
            _ => ancestor = a.parent(),
        }
    }
    false
}

/// `py/none-comparison`: `x == None` → `x is None`, `x != None` → `x is not None`.
pub fn fix_none_comparison(_ctx: &FileContext<'_>, node: Node<'_>) -> Option<Vec<Edit>> {
    if node.named_child_count() != 2 {
        return None; // a chained comparison: leave it to a person
    }
    let mut cursor = node.walk();
    let operator = node
        .children(&mut cursor)
        .find(|c| !c.is_named() && matches!(c.kind(), "==" | "!="))?;
    let replacement = if operator.kind() == "==" {
        "is"
    } else {
        "is not"
    };
    Some(vec![Edit {
        start_byte: operator.start_byte(),
        end_byte: operator.end_byte(),
        replacement: replacement.to_string(),
    }])
}

/// `py/unused-import` (ruff F401): an import whose name is never used (the scope model of
/// [`python_scope`]). `__init__.py` files are skipped: their imports are the package's interface.
pub struct UnusedImport {
    info: RuleInfo,
}

/// Builds `py/unused-import` from its registry entry's description.
pub fn unused_import(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(UnusedImport { info }))
}

impl Rule for UnusedImport {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        if ctx.path.ends_with("/__init__.py") || ctx.path == "__init__.py" {
            return; // imports in a package's __init__ are its public interface
        }
        out.extend(python_scope::findings(ctx).imports.iter().cloned());
    }
}

/// `py/unused-variable` (ruff F841): a local variable assigned in a function and never read
/// there, or an `except … as` name unused in its handler (the scope model of [`python_scope`]).
pub struct UnusedVariable {
    info: RuleInfo,
}

/// Builds `py/unused-variable` from its registry entry's description.
pub fn unused_variable(info: RuleInfo) -> Result<Box<dyn Rule>, LintError> {
    Ok(Box::new(UnusedVariable { info }))
}

impl Rule for UnusedVariable {
    fn info(&self) -> &RuleInfo {
        &self.info
    }

    fn check(&self, ctx: &FileContext<'_>, out: &mut Vec<RawFinding>) {
        out.extend(python_scope::findings(ctx).variables.iter().cloned());
    }
}
