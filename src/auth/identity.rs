//! What a person types as their email address and name, checked the same way for staff,
//! customers and the set-up page.

/// Checks what a person typed as an email address (the shape only; mail proves the rest).
pub fn validate_email(email: &str) -> Result<String, String> {
    let e = email.trim();
    let ok = e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && matches!(e.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
    if ok {
        Ok(e.to_string())
    } else {
        Err("Enter an email address like name@example.com.".into())
    }
}

pub fn validate_name(name: &str) -> Result<String, String> {
    let n = name.trim();
    match n.chars().count() {
        0 => Err("Enter a name.".into()),
        c if c > 100 => Err("Use at most 100 characters.".into()),
        _ if n.chars().any(|c| c.is_control()) => {
            Err("A name cannot contain control characters.".into())
        }
        _ => Ok(n.to_string()),
    }
}
