// Arbor's JavaScript harness: the start of every JavaScript program the sandbox runs,
// before the sample's code (node reads the program from stdin, under its permission model:
// no file system, no child processes, no workers). What the checks use is taken here, before
// the sample can replace it: the comparison and printing functions are captured in a closure
// and `node:assert`'s exports are frozen, so a sample that rewrites `assert.deepEqual`,
// `Array.isArray` or `console.log` changes nothing the verdict rests on.
const __arbor = (() => {
  "use strict";
  const util = require("node:util");
  const assert = require("node:assert");
  Object.freeze(assert);
  Object.freeze(assert.strict);
  const deepEqual = util.isDeepStrictEqual;
  const inspect = util.inspect;
  const write = process.stdout.write.bind(process.stdout);
  const isArray = Array.isArray;
  const keys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf;
  const objectPrototype = Object.prototype;
  const abs = Math.abs;
  const max = Math.max;
  const isNaN = Number.isNaN;
  const ErrorClass = Error;
  const StringClass = String;
  const freeze = Object.freeze;

  // Values equal as the examples mean it: numbers within a relative 1e-6 (NaN equals NaN),
  // arrays and plain objects member by member, anything else by node's deep strict equality.
  function same(got, expected, depth) {
    if (typeof got === "number" && typeof expected === "number") {
      if (isNaN(got) || isNaN(expected)) return isNaN(got) && isNaN(expected);
      if (got === expected) return true;
      return abs(got - expected) <= 1e-6 * max(1, abs(expected));
    }
    if (depth > 64) return deepEqual(got, expected);
    if (isArray(got) && isArray(expected)) {
      if (got.length !== expected.length) return false;
      for (let i = 0; i < got.length; i++) {
        if (!same(got[i], expected[i], depth + 1)) return false;
      }
      return true;
    }
    const plain = (v) => v !== null && typeof v === "object" && getPrototypeOf(v) === objectPrototype;
    if (plain(got) && plain(expected)) {
      const a = keys(got);
      const b = keys(expected);
      if (a.length !== b.length) return false;
      // Indexed loops, not iterators: a sample may have replaced Array.prototype's.
      for (let i = 0; i < b.length; i++) {
        const k = b[i];
        if (!(k in got) || !same(got[k], expected[k], depth + 1)) return false;
      }
      return true;
    }
    return deepEqual(got, expected);
  }

  function show(value) {
    try {
      return inspect(value, { depth: 4, breakLength: Infinity });
    } catch (_) {
      return "<a value that cannot be shown>";
    }
  }

  // One example: [what, kind, call, expected] with `call` and `expected` as functions.
  // Returns null when it holds, else why not.
  function judge(what, kind, call, expected) {
    let got;
    try {
      got = call();
    } catch (error) {
      if (kind === "raises") {
        const name = error !== null && typeof error === "object" ? error.name : undefined;
        let proto = error;
        while (proto !== null && typeof proto === "object") {
          if (proto.constructor && proto.constructor.name === expected) return null;
          proto = getPrototypeOf(proto);
        }
        return name === expected ? null : `${what}: expected ${expected}, got ${show(error)}`;
      }
      return `${what}: threw ${show(error)}`;
    }
    switch (kind) {
      case "raises":
        return `${what}: expected ${expected}, nothing was thrown`;
      case "holds":
        return got === true ? null : `${what}: got ${show(got)}`;
      case "text":
        return StringClass(got) === expected || show(got) === expected
          ? null
          : `${what}: got ${show(got)}`;
      default:
        return same(got, expected(), 0) ? null : `${what}: got ${show(got)}`;
    }
  }

  // Runs every example. With a `marker`, prints "MARKER e INDEX 1|0 -" for each and throws
  // nothing; without one, throws at the end naming the first example that failed.
  function examples(list, marker) {
    let first = null;
    for (let i = 0; i < list.length; i++) {
      const example = list[i];
      const why = judge(example[0], example[1], example[2], example[3]);
      if (marker !== null) write(`${marker} e ${i} ${why === null ? 1 : 0} -\n`);
      if (why !== null && first === null) first = why;
    }
    if (marker === null && first !== null) throw new ErrorClass(first);
  }

  // The runner's last line: printed only when everything before it ran.
  function done(nonce) {
    write(`\n${nonce}\n`);
  }

  return freeze({ same, examples, done });
})();
