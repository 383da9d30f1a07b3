# Arbor's probe: what a sample does on chosen inputs (see probe.rs). Runs as the test unit
# after the sample's code, in the sandbox. It prints one line per input,
# "NONCE KIND INDEX OK HASH", with os.write on fd 1 (the sample may have replaced
# sys.stdout): KIND `e` for the examples of the prompt (OK: 1 when the example holds), `b` for
# the inputs that tell behaviours apart (OK: 1 when the call returned). HASH is a short hash of
# the repr of the result, or of "!" and the exception's class name. The inputs are made before
# any call, from the prompt alone, so that every sample of a task gets the same ones.
import ast as _arbor_ast
import copy as _arbor_copy
import hashlib as _arbor_hashlib
import io as _arbor_io
import os as _arbor_os
import random as _arbor_random
import sys as _arbor_sys

_ARBOR_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _arbor_mutate(value, rnd, depth=0):
    """A nearby value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        if rnd.random() < 0.7:
            return value + rnd.choice((-3, -2, -1, 1, 2, 3, 10))
        return rnd.choice((0, -value, value * 2, 1))
    if isinstance(value, float):
        return round(value + rnd.uniform(-3.0, 3.0), 3)
    if isinstance(value, str):
        if not value:
            return rnd.choice(_ARBOR_LETTERS)
        i = rnd.randrange(len(value))
        op = rnd.random()
        if op < 0.3:
            return value[:i] + value[i + 1:]
        if op < 0.6:
            return value[:i] + rnd.choice(value) + value[i:]
        if op < 0.8:
            return value[:i] + rnd.choice(_ARBOR_LETTERS) + value[i + 1:]
        return value[::-1]
    if isinstance(value, (list, tuple)) and depth < 3:
        items = list(value)
        op = rnd.random()
        if items and (op < 0.4 or isinstance(value, tuple)):
            i = rnd.randrange(len(items))
            items[i] = _arbor_mutate(items[i], rnd, depth + 1)
        elif items and op < 0.6:
            del items[rnd.randrange(len(items))]
        elif items and op < 0.8:
            rnd.shuffle(items)
        else:
            items.append(_arbor_mutate(rnd.choice(items), rnd, depth + 1) if items else 0)
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict) and value and depth < 3:
        items = dict(value)
        key = rnd.choice(sorted(items, key=repr))
        items[key] = _arbor_mutate(items[key], rnd, depth + 1)
        return items
    return value


class _ArborUnknown(Exception):
    pass


def _arbor_scalar(name, rnd):
    """A random value of the scalar type `name`; _ArborUnknown for any other."""
    if name == "int":
        return rnd.choice((rnd.randint(-5, 20), rnd.randint(0, 100), 0, 1))
    if name == "float":
        return round(rnd.uniform(-10.0, 10.0), 2)
    if name == "bool":
        return rnd.random() < 0.5
    if name == "str":
        size = rnd.randint(0, 8)
        return "".join(rnd.choice(_ARBOR_LETTERS + " ") for _ in range(size))
    raise _ArborUnknown()


def _arbor_name(node):
    """The name of `node` (`List` for `typing.List`), or None."""
    if isinstance(node, _arbor_ast.Name):
        return node.id
    if isinstance(node, _arbor_ast.Attribute):
        return node.attr
    return None


def _arbor_container(outer, args, rnd, depth):
    """A random value of `outer[args]` (List, Tuple, Dict, Optional and their builtins)."""
    def one(node):
        return _arbor_generate(node, rnd, depth + 1)

    if outer in ("List", "list", "Sequence", "Iterable") and len(args) == 1:
        return [one(args[0]) for _ in range(rnd.randint(0, 6))]
    if outer in ("Tuple", "tuple"):
        ellipsis = len(args) == 2 and isinstance(args[1], _arbor_ast.Constant) and args[1].value is Ellipsis
        if ellipsis:
            return tuple(one(args[0]) for _ in range(rnd.randint(0, 4)))
        return tuple(one(a) for a in args)
    if outer in ("Dict", "dict") and len(args) == 2:
        return {one(args[0]): one(args[1]) for _ in range(rnd.randint(0, 4))}
    if outer == "Optional" and len(args) == 1:
        return None if rnd.random() < 0.2 else one(args[0])
    raise _ArborUnknown()


def _arbor_generate(node, rnd, depth=0):
    """A random value of the annotation `node` (an ast expression)."""
    if depth > 3:
        raise _ArborUnknown()
    if isinstance(node, _arbor_ast.Constant) and isinstance(node.value, str):
        node = _arbor_ast.parse(node.value, mode="eval").body
    if isinstance(node, _arbor_ast.Subscript):
        inner = node.slice
        args = list(inner.elts) if isinstance(inner, _arbor_ast.Tuple) else [inner]
        return _arbor_container(_arbor_name(node.value), args, rnd, depth)
    return _arbor_scalar(_arbor_name(node), rnd)


def _arbor_calls(config):
    """The (args, kwargs) of the example calls whose arguments are literals."""
    calls = []
    for example in config["examples"]:
        try:
            node = _arbor_ast.parse(example["call"], mode="eval").body
            if (isinstance(node, _arbor_ast.Call) and isinstance(node.func, _arbor_ast.Name)
                    and node.func.id == config["entry"]):
                args = [_arbor_ast.literal_eval(a) for a in node.args]
                kwargs = {k.arg: _arbor_ast.literal_eval(k.value) for k in node.keywords if k.arg}
                calls.append((args, kwargs))
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            continue  # not a call with literal arguments: no input to mutate
    return calls


def _arbor_annotations(config):
    """The annotations of the entry point's parameters in the prompt, or None."""
    try:
        tree = _arbor_ast.parse(config["prompt"])
    except Exception:
        return None
    for node in _arbor_ast.walk(tree):
        if isinstance(node, _arbor_ast.FunctionDef) and node.name == config["entry"]:
            params = node.args.posonlyargs + node.args.args
            if not params or any(p.annotation is None for p in params):
                return None
            return [p.annotation for p in params]
    return None


def _arbor_inputs(config):
    """The behaviour inputs: the examples' own calls, their arguments mutated, and values
    drawn from the parameters' annotations."""
    rnd = _arbor_random.Random(config["seed"])
    calls = _arbor_calls(config)
    annotations = _arbor_annotations(config)
    inputs = list(calls)
    for j in range(config["count"]):
        made = None
        if calls and (j % 2 == 0 or annotations is None):
            args, kwargs = _arbor_copy.deepcopy(rnd.choice(calls))
            if args:
                i = rnd.randrange(len(args))
                args[i] = _arbor_mutate(args[i], rnd)
            made = (args, kwargs)
        elif annotations is not None:
            try:
                made = ([_arbor_generate(a, rnd) for a in annotations], {})
            except Exception:
                annotations = None
        if made is not None and made not in inputs:
            inputs.append(made)
    return inputs


def _arbor_canon(value, depth=0):
    """`value` with its floats rounded to 10 significant digits (recursively in lists,
    tuples, sets and dict values), so that answers differing only in the last bits of a
    float computation behave alike."""
    if isinstance(value, float):
        return float("%.10g" % value)
    if depth > 20:
        return value
    if isinstance(value, list):
        return [_arbor_canon(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_arbor_canon(v, depth + 1) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(_arbor_canon(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: _arbor_canon(v, depth + 1) for k, v in value.items()}
    return value


def _arbor_digest(text):
    return _arbor_hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


def _arbor_call(thunk):
    """(returned, digest) of calling `thunk` with its prints kept out of the report."""
    real = _arbor_sys.stdout
    _arbor_sys.stdout = _arbor_io.StringIO()
    try:
        got = thunk()
    finally:
        _arbor_sys.stdout = real
    return got


def _arbor_report(nonce, kind, index, ok, text):
    line = "%s %s %d %d %s\n" % (nonce, kind, index, 1 if ok else 0, _arbor_digest(text))
    _arbor_os.write(1, line.encode())


def _arbor_probe(config):
    space = globals()
    nonce = config["nonce"]
    inputs = _arbor_inputs(config) if config["mode"] == "behaviour" else []
    for i, example in enumerate(config["examples"]):
        try:
            # The example's own call, run on the sample in the sandbox.
            got = _arbor_call(lambda: eval(example["call"], space))  # arbor: ignore[py/eval-exec]
            check = example["check"]
            ok = check is not None and bool(eval(check, space, {"got": got}))  # arbor: ignore[py/eval-exec]
            text = repr(_arbor_canon(got))
        except BaseException as e:
            ok = example["raises"] is not None and type(e).__name__ == example["raises"]
            text = "!" + type(e).__name__
        _arbor_report(nonce, "e", i, ok, text)
    function = space.get(config["entry"])
    for j, (args, kwargs) in enumerate(inputs):
        try:
            args, kwargs = _arbor_copy.deepcopy((args, kwargs))
            got = _arbor_call(lambda: function(*args, **kwargs))
            ok, text = True, repr(_arbor_canon(got))
        except BaseException as e:
            ok, text = False, "!" + type(e).__name__
        _arbor_report(nonce, "b", j, ok, text)
