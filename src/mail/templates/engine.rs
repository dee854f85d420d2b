//! The Tera engine mail templates render with: one small engine per part, so a broken part
//! is reported on its own. The HTML part is autoescaped with the shop's escape function;
//! subject and text are not HTML. Templates come from staff, so the engine leaves out what a
//! template should not reach: environment variables (`get_env`) and huge ranges.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tera::{Context, Tera, Value};

use crate::web::templates::escape_html;

/// The largest `range(...)` a mail template may ask for.
const MAX_RANGE: i64 = 10_000;

fn engine() -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(escape_html);
    tera.register_filter("paragraphs", Paragraphs);
    tera.register_function("get_env", |_: &HashMap<String, Value>| {
        Err(tera::Error::msg(
            "get_env is not available in mail templates",
        ))
    });
    tera.register_function("range", bounded_range);
    tera
}

/// Parses and renders one part. `file` names it in Tera's messages ("verification/body.html");
/// a name ending in `.html` is autoescaped. Errors are Tera's message with its causes.
pub fn render(file: &str, source: &str, ctx: &Context) -> Result<String, String> {
    parsed(file, source)?
        .render(file, ctx)
        .map_err(|e| message(&e))
}

/// How many parts `PARSED` keeps before it starts over (the shop's templates have a few
/// dozen).
const PARSED_MAX: usize = 128;

/// For each part (by file name), its source and an engine with it parsed. Parsing a part
/// costs far more than rendering it, and mails are queued inside their write transaction
/// (an order's mail while the order holds the database's one writer), so a part is parsed
/// again only when its source changed (an edited template, or a draft previewed in the back
/// office). Comparing the source is a `memcmp`; hashing it on every lookup would not be.
static PARSED: LazyLock<Mutex<HashMap<String, Parsed>>> = LazyLock::new(Mutex::default);

/// A part's source, and an engine with it parsed.
type Parsed = (String, Arc<Tera>);

fn parsed(file: &str, source: &str) -> Result<Arc<Tera>, String> {
    // A panic elsewhere while holding the lock leaves a map that is still whole.
    let cache = || PARSED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((cached, tera)) = cache().get(file) {
        if cached == source {
            return Ok(tera.clone());
        }
    }
    let mut tera = engine();
    tera.add_raw_template(file, source)
        .map_err(|e| message(&e))?;
    let tera = Arc::new(tera);
    let mut c = cache();
    if c.len() >= PARSED_MAX && !c.contains_key(file) {
        c.clear();
    }
    c.insert(file.to_string(), (source.to_string(), tera.clone()));
    Ok(tera)
}

/// Tera's error with every cause, one per line: the useful part (line, column, what was
/// expected, which variable is missing) is in the causes.
pub fn message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let part = s.to_string();
        if !part.is_empty() && !msg.contains(&part) {
            msg.push('\n');
            msg.push_str(part.trim_end());
        }
        src = s.source();
    }
    msg
}

/// `{{ text | paragraphs }}`: escapes plain text and turns blank lines into paragraphs and
/// single line breaks into `<br>`. `style="..."` goes on every `<p>`. Marked safe, so it
/// is the last filter of an expression.
struct Paragraphs;

impl tera::Filter for Paragraphs {
    fn filter(&self, value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let style = match args.get("style") {
            None => String::new(),
            Some(Value::String(s)) => format!(" style=\"{}\"", escape_html(s)),
            Some(_) => return Err(tera::Error::msg("paragraphs: style must be a string")),
        };
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut out = String::new();
        let mut para: Vec<&str> = Vec::new();
        let flush = |para: &mut Vec<&str>, out: &mut String| {
            if para.is_empty() {
                return;
            }
            let lines: Vec<String> = para.iter().map(|l| escape_html(l.trim())).collect();
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("<p{style}>{}</p>", lines.join("<br>\n")));
            para.clear();
        };
        for line in text.lines() {
            if line.trim().is_empty() {
                flush(&mut para, &mut out);
            } else {
                para.push(line);
            }
        }
        flush(&mut para, &mut out);
        Ok(Value::String(out))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Tera's `range(start=0, end, step_by=1)`, refusing more than `MAX_RANGE` items (a huge
/// range would take the server's memory).
fn bounded_range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let int = |k: &str, default: Option<i64>| -> tera::Result<i64> {
        match args.get(k) {
            Some(v) => v
                .as_i64()
                .ok_or_else(|| tera::Error::msg(format!("range: {k} must be a whole number"))),
            None => default.ok_or_else(|| tera::Error::msg(format!("range needs {k}=..."))),
        }
    };
    let (start, end, step) = (
        int("start", Some(0))?,
        int("end", None)?,
        int("step_by", Some(1))?,
    );
    if step <= 0 {
        return Err(tera::Error::msg("range: step_by must be at least 1"));
    }
    if end > start && (end - start) / step > MAX_RANGE {
        return Err(tera::Error::msg(format!(
            "range: at most {MAX_RANGE} items in a mail template"
        )));
    }
    let items: Vec<Value> = (start..end)
        .step_by(step as usize)
        .map(Value::from)
        .collect();
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(v: serde_json::Value) -> Context {
        Context::from_value(v).unwrap()
    }

    #[test]
    fn paragraphs_escape_and_split_on_blank_lines() {
        let out = render(
            "t.html",
            "{{ m | paragraphs(style=\"margin:0\") }}",
            &ctx(serde_json::json!({ "m": "Hi <b>you</b>\r\nline two\n\n\n& more" })),
        )
        .unwrap();
        assert_eq!(
            out,
            "<p style=\"margin:0\">Hi &lt;b&gt;you&lt;/b&gt;<br>\nline two</p>\n<p style=\"margin:0\">&amp; more</p>"
        );
    }

    #[test]
    fn environment_and_huge_ranges_are_out_of_reach() {
        let c = ctx(serde_json::json!({}));
        let err = render("t.txt", "{{ get_env(name=\"HOME\") }}", &c).unwrap_err();
        assert!(err.contains("get_env is not available"), "{err}");
        let err = render(
            "t.txt",
            "{% for i in range(end=1000000000) %}x{% endfor %}",
            &c,
        )
        .unwrap_err();
        assert!(err.contains("at most 10000"), "{err}");
        assert_eq!(
            render(
                "t.txt",
                "{% for i in range(start=1, end=7, step_by=2) %}{{ i }}{% endfor %}",
                &c
            )
            .unwrap(),
            "135"
        );
    }

    #[test]
    fn a_changed_source_is_parsed_again() {
        let c = ctx(serde_json::json!({ "n": "Ann" }));
        let file = "cache-test.txt";
        assert_eq!(render(file, "Hi {{ n }}", &c).unwrap(), "Hi Ann");
        assert_eq!(render(file, "Hi {{ n }}", &c).unwrap(), "Hi Ann");
        assert_eq!(render(file, "Bye {{ n }}", &c).unwrap(), "Bye Ann");
        assert!(render(file, "Bye {{ n ", &c).is_err());
        assert_eq!(render(file, "Bye {{ n }}", &c).unwrap(), "Bye Ann");
    }

    #[test]
    fn only_the_html_part_is_escaped_and_errors_carry_their_cause() {
        let c = ctx(serde_json::json!({ "n": "<script>" }));
        assert_eq!(render("a.html", "{{ n }}", &c).unwrap(), "&lt;script&gt;");
        assert_eq!(render("a.txt", "{{ n }}", &c).unwrap(), "<script>");
        let err = render("a.txt", "{{ n ", &c).unwrap_err();
        assert!(
            err.contains("Failed to parse 'a.txt'") && err.contains("1:"),
            "{err}"
        );
        let err = render("a.txt", "{{ nosuch.var }}", &c).unwrap_err();
        assert!(err.contains("nosuch.var"), "{err}");
    }
}
