//! Chat templates: the Jinja template a GGUF file carries in `tokenizer.chat_template`,
//! rendered with minijinja the way Hugging Face's `apply_chat_template` renders it, so that
//! any instruction-tuned model is asked in its own format.
//!
//! Hugging Face's conventions are kept: blocks are trimmed (`trim_blocks`, `lstrip_blocks`),
//! loop controls (`break`, `continue`) work, the variables are `messages` (a list of
//! `{role, content}`), `add_generation_prompt`, `bos_token`, `eos_token` and `tools`/`documents`
//! (none), the functions `raise_exception(message)` (a render error) and
//! `strftime_now(format)` (the time now, in UTC), and `tojson` writes what Python's
//! `json.dumps` writes (no HTML escaping; `indent`, `ensure_ascii`, `sort_keys`). Python's
//! string, list and dict methods (`.strip()`, `.startswith()`, `.split()`, `.items()` …) come
//! from minijinja-contrib's `pycompat`.

use std::fmt::Write as _;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use crate::error::LmError;
use crate::tokenizer::LmTokenizer;

/// The template's name inside its environment (shown in render errors).
const NAME: &str = "chat_template";

/// ChatML without a system turn: what the `chatml` prompt format writes (and what
/// SmolLM2's recorded HumanEval results were generated with).
pub const CHATML_TEMPLATE: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant` (templates may know others, such as `tool`).
    pub role: String,
    /// The turn's text.
    pub content: String,
}

impl ChatMessage {
    /// A turn of `role` saying `content`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A user turn.
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage::new("user", content)
    }

    fn to_value(&self) -> Value {
        minijinja::context! { role => self.role.as_str(), content => self.content.as_str() }
    }
}

/// A compiled chat template with the model's BOS and EOS token texts.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
    /// Whether the tokenizer prepends BOS itself (`tokenizer.ggml.add_bos_token`): then a
    /// BOS the template writes is taken off the prompt, or the model would see two.
    tokenizer_adds_bos: bool,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("bos_token", &self.bos_token)
            .field("eos_token", &self.eos_token)
            .field("tokenizer_adds_bos", &self.tokenizer_adds_bos)
            .finish_non_exhaustive()
    }
}

fn template_error(e: &Error) -> LmError {
    // minijinja's message, with the line it happened on; one line.
    let message = e.to_string().replace('\n', " ");
    LmError::ChatTemplate(message)
}

impl ChatTemplate {
    /// Compiles `source` (Jinja, as in `tokenizer.chat_template`); `bos_token` and
    /// `eos_token` are the texts of the model's BOS and EOS tokens. A template that does not
    /// parse is an error.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<ChatTemplate, LmError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", tojson);
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| template_error(&e))?;
        Ok(ChatTemplate {
            env,
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
            tokenizer_adds_bos: false,
        })
    }

    /// The built-in ChatML template ([`CHATML_TEMPLATE`]).
    pub fn chatml() -> ChatTemplate {
        ChatTemplate::new(CHATML_TEMPLATE, "", "").expect("the ChatML template compiles")
    }

    /// Tells the template whether the tokenizer prepends BOS to what it encodes (see
    /// [`ChatTemplate::prompt`]).
    pub fn with_tokenizer_adding_bos(mut self, adds_bos: bool) -> ChatTemplate {
        self.tokenizer_adds_bos = adds_bos;
        self
    }

    /// The template rendered for `messages` exactly as Hugging Face renders it.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, LmError> {
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| template_error(&e))?;
        let messages: Vec<Value> = messages.iter().map(ChatMessage::to_value).collect();
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => self.bos_token.as_str(),
                eos_token => self.eos_token.as_str(),
                tools => Value::from(()),
                documents => Value::from(()),
            })
            .map_err(|e| template_error(&e))
    }

    /// The text to encode for `messages` with the assistant's turn opened: the rendering
    /// with `add_generation_prompt`, less a leading BOS text when the tokenizer adds BOS
    /// itself (llama.cpp warns about a doubled BOS; Gemma's and Llama 3's templates write
    /// `bos_token`).
    pub fn prompt(&self, messages: &[ChatMessage]) -> Result<String, LmError> {
        let rendered = self.render(messages, true)?;
        if self.tokenizer_adds_bos && !self.bos_token.is_empty() {
            if let Some(rest) = rendered.strip_prefix(self.bos_token.as_str()) {
                return Ok(rest.to_string());
            }
        }
        Ok(rendered)
    }

    /// The BOS token's text the template sees.
    pub fn bos_token(&self) -> &str {
        &self.bos_token
    }

    /// The EOS token's text the template sees.
    pub fn eos_token(&self) -> &str {
        &self.eos_token
    }
}

impl LmTokenizer {
    /// The model's chat template (`tokenizer.chat_template`), compiled, with the texts of
    /// its BOS and EOS tokens; `None` for a model without one (a base model).
    pub fn chat(&self) -> Result<Option<ChatTemplate>, LmError> {
        let Some(source) = self
            .chat_template
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        else {
            return Ok(None);
        };
        let text = |id: Option<u32>| id.and_then(|id| self.token_text(id)).unwrap_or_default();
        let template = ChatTemplate::new(source, &text(self.bos), &text(self.eos))?;
        Ok(Some(template.with_tokenizer_adding_bos(
            self.add_bos && self.bos.is_some(),
        )))
    }
}

/// `raise_exception(message)`: the template refuses the conversation.
fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// `strftime_now(format)`: the time now (UTC) as Python's `strftime` writes it.
fn strftime_now(format: String) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    strftime(&format, now)
}

/// Python's `strftime` for the time `unix_seconds` (UTC), for the directives templates use:
/// `%Y %y %m %d %e %j %H %I %M %S %p %A %a %B %b %h %%`; others are left as written.
pub fn strftime(format: &str, unix_seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let before: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = before[month as usize - 1] + day + i64::from(leap && month > 2);
    let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let month_name = MONTHS[month as usize - 1];
        let _ = match d {
            'Y' => write!(out, "{year}"),
            'y' => write!(out, "{:02}", year.rem_euclid(100)),
            'm' => write!(out, "{month:02}"),
            'd' => write!(out, "{day:02}"),
            'e' => write!(out, "{day:>2}"),
            'j' => write!(out, "{yday:03}"),
            'H' => write!(out, "{hour:02}"),
            'I' => write!(out, "{:02}", (hour + 11) % 12 + 1),
            'M' => write!(out, "{minute:02}"),
            'S' => write!(out, "{second:02}"),
            'p' => write!(out, "{}", if hour < 12 { "AM" } else { "PM" }),
            'A' => write!(out, "{}", DAYS[weekday]),
            'a' => write!(out, "{}", &DAYS[weekday][..3]),
            'B' => write!(out, "{month_name}"),
            'b' | 'h' => write!(out, "{}", &month_name[..3]),
            '%' => write!(out, "%"),
            other => write!(out, "%{other}"),
        };
    }
    out
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `tojson`, as Hugging Face defines it: Python's `json.dumps(value, ensure_ascii=False)`
/// (`, ` and `: ` between items; with `indent`, one item a line), no HTML escaping.
fn tojson(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<Value> = kwargs.get("indent")?;
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    let indent = match indent {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) => match (v.as_i64(), v.as_str()) {
            (Some(n), _) => Some(" ".repeat(n.max(0) as usize)),
            (None, Some(s)) => Some(s.to_string()),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "tojson: indent must be a number or a string",
                ))
            }
        },
    };
    let options = JsonOptions {
        indent,
        ensure_ascii: ensure_ascii.unwrap_or(false),
        sort_keys: sort_keys.unwrap_or(false),
    };
    let mut out = String::new();
    write_json(&mut out, value, &options, 0)?;
    Ok(Value::from_safe_string(out))
}

struct JsonOptions {
    indent: Option<String>,
    ensure_ascii: bool,
    sort_keys: bool,
}

fn write_json_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(
    out: &mut String,
    value: &Value,
    options: &JsonOptions,
    depth: usize,
) -> Result<(), Error> {
    // Between items and before the closing bracket: `, ` on one line, else a line break
    // and the indentation (Python's separators).
    let newline = |out: &mut String, depth: usize| {
        if let Some(indent) = &options.indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(indent);
            }
        }
    };
    let item_separator = if options.indent.is_some() { "," } else { ", " };
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if value.is_integer() {
                let _ = write!(out, "{value}");
            } else {
                let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
                if f.is_nan() {
                    out.push_str("NaN");
                } else if f.is_infinite() {
                    out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
                } else {
                    let _ = write!(out, "{f:?}");
                }
            }
        }
        ValueKind::String => write_json_string(
            out,
            value.as_str().unwrap_or_default(),
            options.ensure_ascii,
        ),
        ValueKind::Map => {
            let mut keys: Vec<Value> = value.try_iter()?.collect();
            if keys.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if options.sort_keys {
                keys.sort();
            }
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator);
                }
                newline(out, depth + 1);
                let name = match key.as_str() {
                    Some(s) => s.to_string(),
                    None => key.to_string(),
                };
                write_json_string(out, &name, options.ensure_ascii);
                out.push_str(": ");
                write_json(out, &value.get_item(key)?, options, depth + 1)?;
            }
            newline(out, depth);
            out.push('}');
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_separator);
                }
                newline(out, depth + 1);
                write_json(out, item, options, depth + 1)?;
            }
            newline(out, depth);
            out.push(']');
        }
        _ => write_json_string(out, &value.to_string(), options.ensure_ascii),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, messages: &[ChatMessage]) -> Result<String, LmError> {
        ChatTemplate::new(source, "<s>", "</s>")?.render(messages, true)
    }

    #[test]
    fn python_methods_loop_controls_and_blocks_work_as_in_hugging_face() {
        let source = "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}\n  {{ m.content.strip().upper() }}|{{ m.content.startswith(' a') }}|{{ m.content.split(',') | length }}\n{% endfor %}";
        let out = render(
            source,
            &[
                ChatMessage::new("system", "skip"),
                ChatMessage::user(" a,b "),
            ],
        )
        .unwrap();
        // lstrip_blocks takes the indentation before `{%`, trim_blocks the line break after.
        // Booleans print as Python prints them.
        assert_eq!(out, "  A,B|True|2\n");
        let items = "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}";
        assert_eq!(render(items, &[]).unwrap(), "a=1;b=2;");
    }

    #[test]
    fn raise_exception_is_a_one_line_render_error() {
        let err = render(
            "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Roles must alternate') }}{% endif %}",
            &[ChatMessage::new("assistant", "hi")],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Roles must alternate"), "{text}");
        assert!(!text.contains('\n'), "{text}");
        let syntax = ChatTemplate::new("{% for %}", "", "").unwrap_err();
        assert!(
            syntax.to_string().starts_with("chat template: "),
            "{syntax}"
        );
    }

    #[test]
    fn tojson_writes_what_python_json_dumps_writes() {
        let source = "{{ {'name': 'f<x>', 'n': 1, 'f': 0.5, 'ok': true, 'none': none, 'list': [1, 'é']} | tojson }}";
        assert_eq!(
            render(source, &[]).unwrap(),
            r#"{"name": "f<x>", "n": 1, "f": 0.5, "ok": true, "none": null, "list": [1, "é"]}"#
        );
        let indented = "{{ {'a': [1, 2], 'b': {}} | tojson(indent=2) }}";
        assert_eq!(
            render(indented, &[]).unwrap(),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}"
        );
        assert_eq!(
            render("{{ 'é\"\n' | tojson(ensure_ascii=true) }}", &[]).unwrap(),
            r#""\u00e9\"\n""#
        );
    }

    #[test]
    fn strftime_formats_dates_as_python_does() {
        // 2024-07-26 13:05:09 UTC, a Friday; 2000-03-01, after a leap day.
        assert_eq!(
            strftime("%d %b %Y, %A %H:%M:%S %j %I%p %%", 1_721_999_109),
            "26 Jul 2024, Friday 13:05:09 208 01PM %"
        );
        assert_eq!(
            strftime("%Y-%m-%d %a %j", 951_868_800),
            "2000-03-01 Wed 061"
        );
        assert_eq!(strftime("%Y-%m-%d", 0), "1970-01-01");
        let year = render("{{ strftime_now('%Y') }}", &[]).unwrap();
        assert!(year.len() == 4 && year.starts_with('2'), "{year}");
    }

    #[test]
    fn a_leading_bos_is_dropped_when_the_tokenizer_adds_one() {
        let template = ChatTemplate::new(
            "{{ bos_token }}{% for m in messages %}[{{ m.content }}]{% endfor %}",
            "<bos>",
            "<eos>",
        )
        .unwrap();
        let messages = [ChatMessage::user("hi")];
        assert_eq!(template.prompt(&messages).unwrap(), "<bos>[hi]");
        let template = template.with_tokenizer_adding_bos(true);
        assert_eq!(template.render(&messages, true).unwrap(), "<bos>[hi]");
        assert_eq!(template.prompt(&messages).unwrap(), "[hi]");
    }

    #[test]
    fn the_builtin_chatml_template_renders_a_user_turn() {
        let out = ChatTemplate::chatml()
            .prompt(&[ChatMessage::user("Do it.")])
            .unwrap();
        assert_eq!(
            out,
            "<|im_start|>user\nDo it.<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}
