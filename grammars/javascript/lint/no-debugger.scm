; id: js/no-debugger
; severity: error
; message: `debugger` statement left in code
; rationale: It stops every user's browser with the developer tools open.
; example: debugger;

(debugger_statement) @finding
