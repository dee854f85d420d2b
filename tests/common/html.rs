//! A small HTML tag reader for tests: the tags of a page with their attributes (entities
//! decoded), enough to find forms and links the way a browser sees them. Comments, scripts
//! and styles are skipped; a textarea's or option's text comes with its opening tag.

#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub closing: bool,
    pub attrs: Vec<(String, Option<String>)>,
    /// For `textarea` and `option`: the text up to its closing tag.
    pub text: Option<String>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    pub fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }
}

/// Every tag of `body`, in order.
pub fn tags(body: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|e| &after[e + 3..]).unwrap_or("");
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map(|e| &rest[e + 1..]).unwrap_or("");
            continue;
        }
        let Some((mut tag, len)) = parse_tag(rest) else {
            rest = &rest[1..];
            continue;
        };
        rest = &rest[len..];
        if !tag.closing
            && matches!(
                tag.name.as_str(),
                "script" | "style" | "textarea" | "option"
            )
        {
            let close = format!("</{}", tag.name);
            // An option ends at the next tag (its closing tag may be left out).
            let end = if tag.name == "option" {
                rest.find('<').unwrap_or(rest.len())
            } else {
                find_ci(rest, &close).unwrap_or(rest.len())
            };
            if matches!(tag.name.as_str(), "textarea" | "option") {
                // A newline right after <textarea> is not part of its value.
                let raw = &rest[..end];
                let raw = raw.strip_prefix('\n').unwrap_or(raw);
                tag.text = Some(unescape(raw));
            }
            if matches!(tag.name.as_str(), "script" | "style") {
                rest = &rest[end..];
                continue;
            }
        }
        out.push(tag);
    }
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

/// Parses the tag at the start of `s` ("<name ...>"); its length in bytes.
fn parse_tag(s: &str) -> Option<(Tag, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
        i += 1;
    }
    if i == start {
        return None;
    }
    let name = s[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            i += 1;
            break;
        }
        let k0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = s[k0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = s[i + 1..].find(q as char)? + i + 1;
                    value = Some(unescape(&s[i + 1..end]));
                    i = end + 1;
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = Some(unescape(&s[v0..i]));
                }
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
    Some((
        Tag {
            name,
            closing,
            attrs,
            text: None,
        },
        i,
    ))
}

/// Decodes the character references Tera's escaping and our templates produce.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A character reference is short: look for its `;` in the next few bytes only.
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..semi];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
