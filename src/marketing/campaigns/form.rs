//! The campaign form as typed, and its checks: one sentence per field, nothing saved
//! unless all pass. The link may be a full address or a path in the shop ("/c/teas"),
//! which the mails make absolute with the shop's address.

use std::collections::BTreeMap;

use rocket::FromForm;
use serde::Serialize;

/// Field name → message.
pub type Errors = BTreeMap<&'static str, String>;

pub const MAX_TITLE: usize = 150;
pub const MAX_MESSAGE: usize = 20_000;
pub const MAX_LINK: usize = 500;

#[derive(FromForm, Default, Clone, Debug, Serialize)]
pub struct CampaignForm {
    /// The target group's id, as the select sends it.
    #[field(default = String::new())]
    pub group: String,
    #[field(default = String::new())]
    pub title: String,
    #[field(default = String::new())]
    pub message: String,
    #[field(default = String::new())]
    pub link: String,
}

/// A campaign's content, checked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Draft {
    pub group_id: i64,
    pub title: String,
    pub message: String,
    pub link: String,
}

/// The form checked: the draft, or a sentence for each field that is wrong.
pub fn check(f: &CampaignForm) -> Result<Draft, Errors> {
    let mut errors = Errors::new();
    let group_id = match f.group.trim().parse::<i64>() {
        Ok(id) if id > 0 => id,
        _ => {
            errors.insert("group", "Choose the target group to send to.".into());
            0
        }
    };
    let title = f.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        errors.insert(
            "title",
            "Give the campaign a title: it is the mail's subject.".into(),
        );
    } else if title.chars().count() > MAX_TITLE {
        errors.insert(
            "title",
            format!("The title can be at most {MAX_TITLE} characters long."),
        );
    }
    let message = f.message.replace("\r\n", "\n").trim().to_string();
    if message.is_empty() {
        errors.insert("message", "Write the message the members will read.".into());
    } else if message.chars().count() > MAX_MESSAGE {
        errors.insert(
            "message",
            format!("The message can be at most {MAX_MESSAGE} characters long."),
        );
    }
    let link = f.link.trim().to_string();
    if let Some(why) = link_problem(&link) {
        errors.insert("link", why);
    }
    if errors.is_empty() {
        Ok(Draft {
            group_id,
            title,
            message,
            link,
        })
    } else {
        Err(errors)
    }
}

fn link_problem(link: &str) -> Option<String> {
    if link.is_empty() {
        return None;
    }
    if link.chars().count() > MAX_LINK {
        return Some(format!(
            "The link can be at most {MAX_LINK} characters long."
        ));
    }
    if link.contains(char::is_whitespace) {
        return Some("A link cannot contain spaces.".into());
    }
    let ok = link.starts_with("https://") && link.len() > 8
        || link.starts_with("http://") && link.len() > 7
        || link.starts_with('/') && !link.starts_with("//");
    (!ok).then(|| {
        "Enter a full address (https://…) or a page of the shop starting with / (such as /c/teas)."
            .into()
    })
}

/// The link as the mails carry it: a shop path made absolute with `shop_url`.
pub fn absolute(link: &str, shop_url: &str) -> String {
    if link.starts_with('/') {
        format!("{}{link}", shop_url.trim_end_matches('/'))
    } else {
        link.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(group: &str, title: &str, message: &str, link: &str) -> CampaignForm {
        CampaignForm {
            group: group.into(),
            title: title.into(),
            message: message.into(),
            link: link.into(),
        }
    }

    #[test]
    fn a_good_form_is_tidied() {
        let d = check(&form(
            "3",
            "  Autumn\r\n teas  ",
            "Hello\r\n\r\nall ",
            " /c/teas ",
        ))
        .unwrap();
        assert_eq!(d.group_id, 3);
        assert_eq!(d.title, "Autumn teas");
        assert_eq!(d.message, "Hello\n\nall");
        assert_eq!(d.link, "/c/teas");
        assert_eq!(
            absolute(&d.link, "https://tea.test/"),
            "https://tea.test/c/teas"
        );
        assert_eq!(
            absolute("https://x.test/a", "https://tea.test"),
            "https://x.test/a"
        );
    }

    #[test]
    fn each_wrong_field_gets_its_sentence() {
        let e = check(&form("", "", " ", "javascript:alert(1)")).unwrap_err();
        assert!(e["group"].contains("Choose the target group"));
        assert!(e["title"].contains("title"));
        assert!(e["message"].contains("Write the message"));
        assert!(e["link"].contains("full address"));
        let long = "x".repeat(MAX_TITLE + 1);
        let e = check(&form("1", &long, "m", "//evil.test/x")).unwrap_err();
        assert!(e["title"].contains("at most 150"));
        assert!(
            e["link"].contains("full address"),
            "a protocol-relative link is refused"
        );
        assert!(
            check(&form("1", "t", "m", "https://a.test/b c")).unwrap_err()["link"]
                .contains("spaces")
        );
    }
}
