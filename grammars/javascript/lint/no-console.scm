; id: js/no-console
; severity: warning
; message: `console` call left in code
; rationale: Debug output left behind clutters users' consoles and can leak data.
; example: console.log(user);

(call_expression
  function: (member_expression
    object: (identifier) @_object
    property: (property_identifier) @_method)
  (#eq? @_object "console")
  (#any-of? @_method "log" "debug" "info" "trace" "dir" "table")) @finding
