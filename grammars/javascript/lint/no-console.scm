; id: js/no-console
; severity: warning
; message: `console` output left in code
; rationale: Debug output left behind clutters users' consoles and can leak data. Any use of a `console` member counts, called or not (`console.log.apply(…)`, `console[level](…)`), except the ones that report problems or measure (`error`, `warn`, `assert`, `count`, `group`, `time`, `profile` and their companions, `clear`).
; example: console.log(user);

(member_expression
  object: (identifier) @_object
  property: (property_identifier) @_method
  (#eq? @_object "console")
  (#not-any-of? @_method "error" "warn" "assert" "clear" "count" "countReset" "group"
    "groupCollapsed" "groupEnd" "profile" "profileEnd" "time" "timeEnd" "timeLog" "timeStamp")) @finding

(subscript_expression
  object: (identifier) @_object
  index: (_) @_index
  (#eq? @_object "console")
  (#not-match? @_index "^[\"'](error|warn|assert|clear|count|countReset|group|groupCollapsed|groupEnd|profile|profileEnd|time|timeEnd|timeLog|timeStamp)[\"']$")) @finding
