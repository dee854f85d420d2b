//! A CSV download: the bytes and the file name the browser saves them as.

use rocket::http::Header;
use rocket::Responder;

#[derive(Responder)]
#[response(content_type = "text/csv")]
pub struct CsvFile(pub Vec<u8>, pub Header<'static>);

impl CsvFile {
    /// `bytes` saved as `name` (a plain file name: letters, digits, dashes and dots).
    pub fn named(bytes: Vec<u8>, name: &str) -> CsvFile {
        let safe: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        CsvFile(
            bytes,
            Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{safe}\""),
            ),
        )
    }
}
