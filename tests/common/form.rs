//! Forms read from a page's HTML and sent the way a browser sends them, so a template
//! whose field names or values drift from the form type that reads them fails a test.
//!
//! A browser submits every named, enabled control of the form: text-like inputs, hidden
//! fields (the CSRF token among them) and textareas with their value, a checkbox or radio
//! only when checked and then with its own `value` (`on` without one), a select's selected
//! options (the first option when none is marked), a file input as an empty file part,
//! and only the button that was pressed. Filling a field the form does not have, choosing
//! an option a select does not offer, or ticking a checkbox value that is not there
//! panics: the page would not let a person do it.

use super::html::{self, Tag};
use super::{Res, TestApp};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// text, email, password, number, date, search, tel, url, … and hidden.
    Text,
    Checkbox {
        checked: bool,
    },
    Radio {
        checked: bool,
    },
    Select {
        options: Vec<(String, bool)>,
        multiple: bool,
    },
    Textarea,
    File,
    Submit,
}

#[derive(Debug, Clone)]
pub struct Control {
    pub name: String,
    pub kind: Kind,
    pub value: String,
    pub disabled: bool,
    /// A submit button's `formaction`: pressing it sends the form there instead.
    pub formaction: Option<String>,
}

/// One uploaded file: (file name, content type, bytes).
pub type Upload = (String, String, Vec<u8>);

#[derive(Debug, Clone)]
pub struct HtmlForm {
    pub action: String,
    pub method: String,
    pub multipart: bool,
    pub controls: Vec<Control>,
    /// Files chosen per file-control index.
    files: Vec<(usize, Upload)>,
    /// Index of the submit button pressed (None: the form's first submit button).
    submitter: Option<usize>,
}

/// One entry of the serialised form: a value or a file.
#[derive(Debug, Clone)]
pub enum Entry {
    Value(String, String),
    File(String, Upload),
}

impl HtmlForm {
    /// Every form on a page, in document order. `page` is the URL path the page was loaded
    /// from (a form without `action` posts back to it).
    pub fn all(body: &str, page: &str) -> Vec<HtmlForm> {
        let mut forms = Vec::new();
        let mut current: Option<HtmlForm> = None;
        let mut select: Option<Control> = None;
        // Controls inside a disabled fieldset are disabled: a browser sends none of them.
        let mut fieldsets: Vec<bool> = Vec::new();
        for tag in html::tags(body) {
            match (tag.name.as_str(), tag.closing) {
                ("fieldset", false) => fieldsets.push(tag.has("disabled")),
                ("fieldset", true) => {
                    fieldsets.pop();
                }
                ("form", false) => {
                    let action = tag.attr("action").unwrap_or(page).to_string();
                    current = Some(HtmlForm {
                        action: if action.is_empty() {
                            page.into()
                        } else {
                            action
                        },
                        method: tag.attr("method").unwrap_or("get").to_ascii_lowercase(),
                        multipart: tag.attr("enctype") == Some("multipart/form-data"),
                        controls: Vec::new(),
                        files: Vec::new(),
                        submitter: None,
                    });
                }
                ("form", true) => forms.extend(current.take()),
                _ => {
                    let Some(form) = current.as_mut() else {
                        continue;
                    };
                    let before = form.controls.len();
                    read_control(form, &tag, &mut select);
                    if fieldsets.contains(&true) {
                        form.controls[before..]
                            .iter_mut()
                            .for_each(|c| c.disabled = true);
                        if let Some(c) = select.as_mut() {
                            c.disabled = true;
                        }
                    }
                }
            }
        }
        forms
    }

    /// This form as sent to `action`: by its own action, or by pressing a button whose
    /// `formaction` is `action`.
    fn posting_to(&self, action: &str) -> Option<HtmlForm> {
        if self.action == action {
            return Some(self.clone());
        }
        let at = self
            .controls
            .iter()
            .position(|c| c.kind == Kind::Submit && c.formaction.as_deref() == Some(action))?;
        let mut f = self.clone();
        f.action = action.to_string();
        f.submitter = Some(at);
        Some(f)
    }

    /// The form on `body` that posts to `action`.
    pub fn find(body: &str, page: &str, action: &str) -> HtmlForm {
        let all = HtmlForm::all(body, page);
        let mut matching: Vec<HtmlForm> = all.iter().filter_map(|f| f.posting_to(action)).collect();
        match matching.len() {
            1 => matching.remove(0),
            0 => panic!(
                "{page} has no form posting to {action}; its forms post to {:?}",
                all.iter().map(|f| f.action.as_str()).collect::<Vec<_>>()
            ),
            // Several forms post to one place (one per row): the first, as the tests that
            // need another say so by filling the field that tells them apart.
            _ => matching.remove(0),
        }
    }

    /// The form on `body` posting to `action` that has every field of `fields`, filled
    /// with them: where a page has several (a header's "Log out" and the account page's
    /// "Log out everywhere"), the fields say which one a person would use.
    pub fn find_filled(body: &str, page: &str, action: &str, fields: &[(&str, &str)]) -> HtmlForm {
        let mut form = HtmlForm::find_all(body, page, action)
            .into_iter()
            .find(|f| fields.iter().all(|(n, _)| f.has(n)))
            .unwrap_or_else(|| HtmlForm::find(body, page, action));
        form.fill(fields);
        form
    }

    /// Every form on `body` that posts to `action`.
    pub fn find_all(body: &str, page: &str, action: &str) -> Vec<HtmlForm> {
        HtmlForm::all(body, page)
            .iter()
            .filter_map(|f| f.posting_to(action))
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.controls.iter().any(|c| c.name == name)
    }

    fn indexes(&self, name: &str) -> Vec<usize> {
        (0..self.controls.len())
            .filter(|&i| self.controls[i].name == name)
            .collect()
    }

    fn names(&self) -> Vec<&str> {
        self.controls.iter().map(|c| c.name.as_str()).collect()
    }

    /// Fills the named fields as a person would: each `(name, value)` types into a text
    /// field or textarea, picks a select's option or a radio, or — for checkboxes — the
    /// values given for a name are exactly the boxes ticked (`(name, "")` unticks all).
    /// A repeated text name fills that name's fields in order. A name that is a submit
    /// button presses that button.
    pub fn fill(&mut self, fields: &[(&str, &str)]) -> &mut Self {
        let mut done: Vec<&str> = Vec::new();
        for (name, _) in fields {
            if done.contains(name) {
                continue;
            }
            done.push(name);
            let values: Vec<&str> = fields
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .collect();
            self.fill_one(name, &values);
        }
        self
    }

    fn fill_one(&mut self, name: &str, values: &[&str]) {
        let idx = self.indexes(name);
        assert!(
            !idx.is_empty(),
            "the form posting to {} has no field {name:?} (it has {:?})",
            self.action,
            self.names()
        );
        assert!(
            idx.iter().any(|&i| !self.controls[i].disabled),
            "{name:?} of the form posting to {} is disabled on the page: nobody can fill it \
             (a request the page cannot send is a hand-made one: post_csrf)",
            self.action
        );
        match self.controls[idx[0]].kind.clone() {
            Kind::Checkbox { .. } => {
                let wanted: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
                for w in &wanted {
                    assert!(
                        idx.iter().any(|&i| self.controls[i].value == *w),
                        "checkbox {name:?} of {} has no value {w:?} (its values are {:?})",
                        self.action,
                        idx.iter()
                            .map(|&i| self.controls[i].value.as_str())
                            .collect::<Vec<_>>()
                    );
                }
                for &i in &idx {
                    let on = wanted.contains(&self.controls[i].value.as_str());
                    self.controls[i].kind = Kind::Checkbox { checked: on };
                }
            }
            Kind::Radio { .. } => {
                let [v] = values else {
                    panic!("radio {name:?} takes one value, got {values:?}")
                };
                assert!(
                    idx.iter().any(|&i| self.controls[i].value == *v),
                    "radio {name:?} of {} has no choice {v:?}",
                    self.action
                );
                for &i in &idx {
                    let on = self.controls[i].value == *v;
                    self.controls[i].kind = Kind::Radio { checked: on };
                }
            }
            Kind::Select { options, multiple } => {
                assert!(
                    multiple || values.len() == 1,
                    "select {name:?} takes one value, got {values:?}"
                );
                for v in values {
                    assert!(
                        options.iter().any(|(o, _)| o == v),
                        "select {name:?} of {} offers no option {v:?} (it offers {:?}); a \
                         value the page cannot send belongs in a hand-made request",
                        self.action,
                        options.iter().map(|(o, _)| o.as_str()).collect::<Vec<_>>()
                    );
                }
                let options = options
                    .into_iter()
                    .map(|(o, _)| {
                        let on = values.contains(&o.as_str());
                        (o, on)
                    })
                    .collect();
                self.controls[idx[0]].kind = Kind::Select { options, multiple };
            }
            Kind::Submit => {
                let [v] = values else {
                    panic!("button {name:?} is pressed once, got {values:?}")
                };
                let at = idx
                    .iter()
                    .copied()
                    .find(|&i| self.controls[i].value == *v)
                    .unwrap_or_else(|| {
                        panic!("no button {name:?} with value {v:?} on {}", self.action)
                    });
                self.submitter = Some(at);
            }
            Kind::File => panic!("file field {name:?}: choose a file with attach()"),
            Kind::Text | Kind::Textarea => {
                assert!(
                    values.len() <= idx.len(),
                    "{name:?} of {} has {} field(s), {} values given",
                    self.action,
                    idx.len(),
                    values.len()
                );
                for (i, v) in idx.iter().zip(values) {
                    self.controls[*i].value = v.to_string();
                }
            }
        }
    }

    /// Chooses a file for the file field `name` (each call adds one, as a multiple field).
    pub fn attach(
        &mut self,
        name: &str,
        file: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> &mut Self {
        let idx = self.indexes(name);
        let Some(&i) = idx.iter().find(|&&i| self.controls[i].kind == Kind::File) else {
            panic!(
                "the form posting to {} has no file field {name:?}",
                self.action
            )
        };
        self.files
            .push((i, (file.into(), content_type.into(), bytes)));
        self
    }

    /// The entries a browser sends, in document order.
    pub fn entries(&self) -> Vec<Entry> {
        let submitter = self
            .submitter
            .or_else(|| self.controls.iter().position(|c| c.kind == Kind::Submit));
        let mut out = Vec::new();
        for (i, c) in self.controls.iter().enumerate() {
            if c.disabled || c.name.is_empty() {
                continue;
            }
            let value = |v: &str| Entry::Value(c.name.clone(), v.to_string());
            match &c.kind {
                Kind::Text => out.push(value(&c.value)),
                // Browsers send a textarea's line breaks as CRLF.
                Kind::Textarea => {
                    out.push(value(&c.value.replace("\r\n", "\n").replace('\n', "\r\n")))
                }
                Kind::Checkbox { checked: true } | Kind::Radio { checked: true } => {
                    out.push(value(&c.value))
                }
                Kind::Checkbox { .. } | Kind::Radio { .. } => {}
                Kind::Select { options, multiple } => {
                    let chosen: Vec<&(String, bool)> = options.iter().filter(|(_, s)| *s).collect();
                    match (chosen.is_empty(), multiple) {
                        (false, true) => chosen.iter().for_each(|(o, _)| out.push(value(o))),
                        (false, false) => out.push(value(&chosen[chosen.len() - 1].0)),
                        (true, false) => out.extend(options.first().map(|(o, _)| value(o))),
                        (true, true) => {}
                    }
                }
                Kind::File => {
                    let chosen: Vec<&Upload> = self
                        .files
                        .iter()
                        .filter(|(at, _)| *at == i)
                        .map(|(_, f)| f)
                        .collect();
                    if chosen.is_empty() {
                        out.push(Entry::File(
                            c.name.clone(),
                            (String::new(), "application/octet-stream".into(), Vec::new()),
                        ));
                    }
                    for f in chosen {
                        out.push(Entry::File(c.name.clone(), f.clone()));
                    }
                }
                Kind::Submit if Some(i) == submitter => out.push(value(&c.value)),
                Kind::Submit => {}
            }
        }
        out
    }

    /// The body and its content type, as a browser encodes this form.
    pub fn encode(&self) -> (String, Vec<u8>) {
        let entries = self.entries();
        if !self.multipart {
            let pairs: Vec<String> = entries
                .iter()
                .map(|e| match e {
                    Entry::Value(k, v) => format!("{}={}", urlencode(k), urlencode(v)),
                    // An urlencoded form sends a file field's file name only.
                    Entry::File(k, (name, _, _)) => format!("{}={}", urlencode(k), urlencode(name)),
                })
                .collect();
            return (
                "application/x-www-form-urlencoded".into(),
                pairs.join("&").into_bytes(),
            );
        }
        let boundary = "----CornershopFormBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for e in &entries {
            match e {
                Entry::Value(k, v) => body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
                ),
                Entry::File(k, (name, ct, bytes)) => {
                    body.extend_from_slice(
                        format!(
                            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(bytes);
                    body.extend_from_slice(b"\r\n");
                }
            }
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    /// The query string a GET form makes.
    pub fn query(&self) -> String {
        let (_, body) = HtmlForm {
            multipart: false,
            ..self.clone()
        }
        .encode();
        String::from_utf8(body).expect("urlencoded is ASCII")
    }
}

fn read_control(form: &mut HtmlForm, tag: &Tag, select: &mut Option<Control>) {
    let name = tag.attr("name").unwrap_or("").to_string();
    let disabled = tag.has("disabled");
    match (tag.name.as_str(), tag.closing) {
        ("input", false) => {
            let ty = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
            let value = tag.attr("value").unwrap_or("").to_string();
            let kind = match ty.as_str() {
                "checkbox" => Kind::Checkbox {
                    checked: tag.has("checked"),
                },
                "radio" => Kind::Radio {
                    checked: tag.has("checked"),
                },
                "file" => Kind::File,
                "submit" => Kind::Submit,
                "image" | "reset" | "button" => return,
                _ => Kind::Text,
            };
            let value = match kind {
                Kind::Checkbox { .. } | Kind::Radio { .. } if tag.attr("value").is_none() => {
                    "on".into()
                }
                _ => value,
            };
            let formaction = tag.attr("formaction").map(str::to_string);
            form.controls.push(Control {
                name,
                kind,
                value,
                disabled,
                formaction,
            });
        }
        ("button", false) => {
            if matches!(
                tag.attr("type").map(str::to_ascii_lowercase).as_deref(),
                None | Some("submit")
            ) {
                let value = tag.attr("value").unwrap_or("").to_string();
                let formaction = tag.attr("formaction").map(str::to_string);
                form.controls.push(Control {
                    name,
                    kind: Kind::Submit,
                    value,
                    disabled,
                    formaction,
                });
            }
        }
        ("textarea", false) => form.controls.push(Control {
            name,
            kind: Kind::Textarea,
            value: tag.text.clone().unwrap_or_default(),
            disabled,
            formaction: None,
        }),
        ("select", false) => {
            *select = Some(Control {
                name,
                kind: Kind::Select {
                    options: Vec::new(),
                    multiple: tag.has("multiple"),
                },
                value: String::new(),
                disabled,
                formaction: None,
            })
        }
        ("option", false) => {
            if let Some(Control {
                kind: Kind::Select { options, .. },
                ..
            }) = select.as_mut()
            {
                if !tag.has("disabled") {
                    let v = tag
                        .attr("value")
                        .map(str::to_string)
                        .unwrap_or_else(|| tag.text.clone().unwrap_or_default().trim().to_string());
                    options.push((v, tag.has("selected")));
                }
            }
        }
        ("select", true) => form.controls.extend(select.take()),
        _ => {}
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Loads `page` with `agent` and returns its form posting to `action`.
pub fn load(agent: &ureq::Agent, base: &str, page: &str, action: &str) -> HtmlForm {
    load_filled(agent, base, page, action, &[])
}

/// Loads `page` and returns its form posting to `action` filled with `fields` (see
/// `HtmlForm::find_filled`).
pub fn load_filled(
    agent: &ureq::Agent,
    base: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> HtmlForm {
    let res = TestApp::collect(agent.get(&format!("{base}{page}")).call());
    assert!(
        res.status < 400,
        "{page} answered {}: {}",
        res.status,
        &res.body[..res.body.len().min(300)]
    );
    HtmlForm::find_filled(
        &res.body,
        page.split('?').next().unwrap_or(page),
        action,
        fields,
    )
}

/// Sends `form` with `agent` as a browser does (urlencoded or multipart as its enctype
/// says; a GET form as a query string). Fails when the shop cannot read what its own page
/// sent.
pub fn send(agent: &ureq::Agent, base: &str, form: &HtmlForm) -> Res {
    let res = if form.method == "get" {
        let sep = if form.action.contains('?') { '&' } else { '?' };
        TestApp::collect(
            agent
                .get(&format!("{base}{}{sep}{}", form.action, form.query()))
                .call(),
        )
    } else {
        let (ct, body) = form.encode();
        TestApp::collect(
            agent
                .post(&format!("{base}{}", form.action))
                .set("Content-Type", &ct)
                .send_bytes(&body),
        )
    };
    const UNREAD: &str = "The form could not be read";
    assert!(
        !res.body.contains(UNREAD),
        "the shop cannot read its own form posting to {}: {}",
        form.action,
        res.body
            .split(UNREAD)
            .nth(1)
            .map(|t| &t[..t.len().min(300)])
            .unwrap_or("")
    );
    res
}
