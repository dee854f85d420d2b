//! `Body<T>`: a JSON request body, like Rocket's `Json<T>`, but a body that cannot be read
//! as `T` is refused (422) with a message naming the field and what was wrong
//! ("price: invalid type: string \"abc\", expected i64"), not a generic one.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::http::Status;
use rocket::Request;
use serde::de::DeserializeOwned;

use crate::web::errors::{FailField, FailMessage};

pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Body<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What a client reads when its JSON does not fit: the field's path and serde's words.
pub fn explain<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    explain_field(bytes).map_err(|(m, _)| m)
}

/// `explain`, with the field to blame (its path and serde's words) when there is one.
fn explain_field<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, (String, Option<(String, String)>)> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            (format!("The body is not valid JSON: {inner}."), None)
        } else if path == "." {
            (
                format!("The body does not fit this request: {inner}."),
                None,
            )
        } else {
            (
                format!("{path}: {inner}."),
                Some((path, format!("{inner}."))),
            )
        }
    })
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send + 'static> FromData<'r> for Body<T> {
    type Error = String;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let limit = req.limits().get("json").unwrap_or(1.mebibytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                let m = format!("The body is larger than the {limit} a request may send.");
                req.local_cache(|| FailMessage(m.clone()));
                return Outcome::Error((Status::PayloadTooLarge, m));
            }
            Err(e) => return Outcome::Error((Status::BadRequest, e.to_string())),
        };
        match explain_field(&bytes) {
            Ok(v) => Outcome::Success(Body(v)),
            Err((m, field)) => {
                req.local_cache(|| FailMessage(m.clone()));
                req.local_cache(|| FailField(field));
                Outcome::Error((Status::UnprocessableEntity, m))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        product_id: i64,
        quantity: i64,
        #[serde(default)]
        lines: Vec<Line>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
    }

    #[test]
    fn messages_name_the_field_that_does_not_fit() {
        let m = explain::<Item>(br#"{"product_id": 1, "quantity": "abc"}"#).unwrap_err();
        assert!(
            m.starts_with("quantity: invalid type: string \"abc\""),
            "{m}"
        );
        let m = explain::<Item>(br#"{"product_id": 1, "quantity": 2, "lines": [{"sku": 5}]}"#)
            .unwrap_err();
        assert!(m.starts_with("lines[0].sku: invalid type: integer"), "{m}");
        let m = explain::<Item>(br#"{"quantity": 2}"#).unwrap_err();
        assert!(m.contains("missing field `product_id`"), "{m}");
        let m = explain::<Item>(b"{not json").unwrap_err();
        assert!(m.starts_with("The body is not valid JSON"), "{m}");
        assert_eq!(
            explain::<Item>(br#"{"product_id": 1, "quantity": 2}"#)
                .unwrap()
                .quantity,
            2
        );
    }
}
