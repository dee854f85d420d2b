//! Back office: customers (area `customers`). List with search and filters; a customer's
//! page with their figures, orders and addresses; edit, deactivate / reactivate (which
//! ends every session and API token), resend the verification mail, and create a customer
//! who then sets their own password from the password-reset mail. Each change is
//! validated with per-field messages and audited in its transaction.

use std::collections::BTreeMap;

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::{json, Value};

use super::query::{self, CustomerFilter, CustomerSummary};
use crate::accounts::countries::{country_name, phone_countries};
use crate::accounts::validate::{self, ProfileInput};
use crate::accounts::{mails, store, tokens};
use crate::audit::{self};
use crate::auth::password;
use crate::clock::shown_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::orders::query as orders_query;
use crate::staff::perm::{CreateCustomers, ReadCustomers, UpdateCustomers};
use crate::staff::{nav, Can, StaffUser};
use crate::web::base_url::BaseUrl;
use crate::web::client::ClientIp;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::templates::Templates;

/// POLICY: 5 verification resends per hour — per customer when staff ask.
const RESENDS_PER_HOUR: u32 = 5;

type Errors = BTreeMap<String, String>;

fn money(conn: &rusqlite::Connection) -> AppResult<&'static Currency> {
    crate::settings::currency(conn)
}

/// A customer as list rows show them (the customer list, a target group's members).
pub fn summary_json(c: &CustomerSummary, cur: &Currency) -> Value {
    json!({
        "id": c.id, "url": format!("/admin/customers/{}", c.id), "email": c.email,
        "name": format!("{} {}", c.first_name, c.last_name), "first_name": c.first_name, "last_name": c.last_name,
        "phone": c.phone, "verified": c.verified, "active": c.active, "created_at": shown_time(&c.created_at),
        "orders_count": c.stats.orders_count, "total_spent": cur.format(c.stats.total_spent),
        "last_order_at": c.stats.last_order_at.as_deref().map(shown_time),
    })
}

fn choices(values: &[(&str, &str)], selected: &str) -> Vec<Value> {
    values
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l, "selected": *v == selected }))
        .collect()
}

#[get("/admin/customers")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadCustomers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let f = CustomerFilter::parse(&crate::web::query::pairs(uri))?;
    let f2 = f.clone();
    let (rows, total, cur) = cx
        .db
        .read(move |c| {
            let (rows, total) = query::list(c, &f2)?;
            Ok((rows, total, money(c)?))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "customers");
    ctx.insert(
        "customers",
        &rows
            .iter()
            .map(|c| summary_json(c, cur))
            .collect::<Vec<_>>(),
    );
    ctx.insert("total_count", &total);
    ctx.insert("q", &f.q);
    ctx.insert("filtered", &f.pairs().iter().any(|(_, v)| !v.is_empty()));
    ctx.insert(
        "verified",
        &choices(&[("yes", "Verified"), ("no", "Not verified")], &f.verified),
    );
    ctx.insert(
        "states",
        &choices(
            &[("active", "Active"), ("deactivated", "Deactivated")],
            &f.state,
        ),
    );
    ctx.insert(
        "has_orders",
        &choices(
            &[("yes", "With orders"), ("no", "Without orders")],
            &f.has_orders,
        ),
    );
    ctx.insert(
        "sorts",
        &query::SORTS
            .iter()
            .map(|s| json!({ "value": s.0, "label": s.1, "selected": s.0 == f.sort }))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/customers",
            &f.pairs(),
            f.page,
            query::PER_PAGE,
            total,
        ),
    );
    cx.tpl.page("backoffice/customers.html.tera", &ctx)
}

/// The edit form's typed values.
#[derive(FromForm, Debug, Clone, Default)]
pub struct CustomerForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    first_name: String,
    #[field(default = String::new())]
    last_name: String,
    #[field(default = String::new())]
    phone_country: String,
    #[field(default = String::new())]
    phone: String,
}

fn form_json(f: &CustomerForm) -> Value {
    json!({ "email": f.email, "first_name": f.first_name, "last_name": f.last_name, "phone": f.phone })
}

/// The national part of a stored "+359 888123456" for the form.
fn national(phone: &str) -> String {
    phone.split_once(' ').map_or(phone, |(_, n)| n).to_string()
}

async fn render_detail(
    id: i64,
    me: &StaffUser,
    page: &Page,
    db: &Db,
    tpl: &Templates,
    form: Option<(CustomerForm, Errors)>,
) -> AppResult<RawHtml<String>> {
    let (c, full, orders, addresses, cur) = db
        .read(move |conn| {
            let c = query::get(conn, id)?;
            let full = store::get(conn, id)?
                .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))?;
            let f = orders_query::OrderFilter {
                customer_id: Some(id),
                sort: "newest".into(),
                page: 1,
                ..Default::default()
            };
            let (orders, _) = orders_query::list(conn, &f)?;
            let addresses = store::addresses(conn, id)?;
            Ok((c, full, orders, addresses, money(conn)?))
        })
        .await?;
    let (phone_country, marketing_mail) = (full.phone_country, !full.marketing_opt_out);
    let (form, errors) = form.unwrap_or_else(|| {
        (
            CustomerForm {
                email: c.email.clone(),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                phone_country: phone_country.clone(),
                phone: national(&c.phone),
            },
            Errors::new(),
        )
    });
    let mut ctx = nav::context(page, me, "customers");
    ctx.insert("customer", &summary_json(&c, cur));
    ctx.insert("marketing_mail", &marketing_mail);
    ctx.insert("form", &form_json(&form));
    ctx.insert("errors", &errors);
    ctx.insert("phone_countries", &phone_countries(&form.phone_country));
    ctx.insert(
        "orders",
        &orders
            .iter()
            .map(|o| {
                let oc = Currency::find(&o.currency).unwrap_or_else(Currency::fallback);
                json!({ "url": format!("/admin/orders/{}", o.id), "number": o.number, "status": o.status,
                        "status_label": crate::orders::status::label(&o.status),
                        "placed_at": shown_time(&o.placed_at), "total": oc.format(o.total) })
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("orders_url", &format!("/admin/orders?customer_id={id}"));
    ctx.insert(
        "addresses",
        &addresses
            .iter()
            .map(|a| {
                let v = serde_json::to_value(a).unwrap_or_default();
                json!({ "name": v["name"], "line1": v["line1"], "line2": v["line2"], "city": v["city"],
                        "postcode": v["postcode"], "country": country_name(v["country"].as_str().unwrap_or("")),
                        "is_default": v["is_default"] })
            })
            .collect::<Vec<_>>(),
    );
    tpl.page("backoffice/customer.html.tera", &ctx)
}

#[get("/admin/customers/<id>")]
async fn show(
    id: i64,
    me: Can<ReadCustomers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    render_detail(id, &me.staff, &page, cx.db, cx.tpl, None).await
}

/// Checks the form; the profile and the email as stored, or the messages per field.
fn check(
    f: &CustomerForm,
    birth_date: &str,
    today: time::Date,
) -> Result<(String, validate::Profile), Errors> {
    let mut e = validate::Errors::new();
    let email = validate::email(&f.email, &mut e);
    let profile = validate::profile(
        &ProfileInput {
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            phone_country: f.phone_country.clone(),
            phone: f.phone.clone(),
            birth_date: birth_date.to_string(),
        },
        today,
        &mut e,
    );
    match profile {
        Some(p) if e.is_empty() => Ok((email, p)),
        _ => Err(e.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
    }
}

const EMAIL_TAKEN: &str = "Another customer already uses this email address.";

#[post("/admin/customers/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<CustomerForm>,
    me: Can<UpdateCustomers>,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, RawHtml<String>>> {
    let f = form.0;
    let now = cx.clock.now();
    let staff = me.staff.clone();
    let f2 = f.clone();
    let outcome = cx.db
        .write(move |tx| {
            let Some(old) = store::get(tx, id)? else {
                return Err(AppError::NotFound("There is no such customer.".into()));
            };
            let (email, p) = match check(&f2, old.birth_date.as_deref().unwrap_or(""), now.date()) {
                Ok(v) => v,
                Err(errors) => return Ok(Err(errors)),
            };
            let email_changed = !email.eq_ignore_ascii_case(&old.email);
            if email_changed && store::email_taken(tx, &email)? {
                let mut errors = Errors::new();
                errors.insert("email".into(), EMAIL_TAKEN.into());
                return Ok(Err(errors));
            }
            store::update_profile(tx, id, &p)?;
            if email_changed {
                store::set_email_unverified(tx, id, &email)?;
                let fresh = store::get(tx, id)?.expect("just updated");
                mails::verification(tx, &fresh, &base.0, now)?;
            }
            audit::record(
                tx,
                &audit::Entry::event("customers", "customer.updated")
                    .actor(staff.actor())
                    .ip(Some(cx.ip))
                    .entity("customer", id)
                    .details(json!({
                        "old": { "email": old.email, "first_name": old.first_name, "last_name": old.last_name, "phone": old.phone },
                        "new": { "email": email, "first_name": p.first_name, "last_name": p.last_name, "phone": p.phone },
                    })),
            )?;
            Ok(Ok(email_changed))
        })
        .await?;
    match outcome {
        Ok(changed) => Ok(Ok(flash_redirect(
            format!("/admin/customers/{id}"),
            "success",
            if changed {
                "Saved. The new email address is unverified until its owner opens the link we sent to it."
            } else {
                "Saved."
            },
        ))),
        Err(errors) => Ok(Err(render_detail(
            id,
            &me.staff,
            &page,
            cx.db,
            cx.tpl,
            Some((f, errors)),
        )
        .await?)),
    }
}

/// Deactivates or reactivates; deactivating ends every session and API token.
async fn set_active(
    id: i64,
    active: bool,
    staff: StaffUser,
    ip: ClientIp,
    db: &Db,
) -> AppResult<Flash<Redirect>> {
    db.write(move |tx| {
        let old = store::get(tx, id)?
            .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))?;
        store::set_active(tx, id, active)?;
        if !active {
            tokens::revoke_all(tx, id, None)?;
        }
        audit::record(
            tx,
            &audit::Entry::event(
                "customers",
                if active {
                    "customer.reactivated"
                } else {
                    "customer.deactivated"
                },
            )
            .actor(staff.actor())
            .ip(Some(ip))
            .entity("customer", id)
            .details(json!({ "old": { "active": old.active }, "new": { "active": active } })),
        )
    })
    .await?;
    Ok(flash_redirect(
        format!("/admin/customers/{id}"),
        "success",
        if active {
            "The account is active again; the customer can log in."
        } else {
            "The account is deactivated: the customer is logged out everywhere and cannot log in."
        },
    ))
}

#[post("/admin/customers/<id>/deactivate", data = "<_form>")]
async fn deactivate(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateCustomers>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    set_active(id, false, me.staff, cx.ip, cx.db).await
}

#[post("/admin/customers/<id>/reactivate", data = "<_form>")]
async fn reactivate(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateCustomers>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    set_active(id, true, me.staff, cx.ip, cx.db).await
}

#[post("/admin/customers/<id>/resend-verification", data = "<_form>")]
async fn resend_verification(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateCustomers>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now();
    let back = format!("/admin/customers/{id}");
    if let Err(retry_after) = cx.limiter.check(
        "verify_resend_staff",
        &id.to_string(),
        RESENDS_PER_HOUR,
        3600,
        now.unix_timestamp(),
    ) {
        cx.sink.send(
            audit::Entry::error("customers", "verify_resend.rate_limited")
                .actor(me.staff.actor())
                .ip(Some(cx.ip))
                .entity("customer", id),
        );
        return Ok(flash_redirect(
            back,
            "error",
            format!(
                "Five verification mails went to this customer in the last hour. Try again in {} minutes.",
                retry_after.div_ceil(60)
            ),
        ));
    }
    let staff = me.staff.clone();
    let sent = cx
        .db
        .write(move |tx| {
            let c = store::get(tx, id)?
                .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))?;
            if c.verified {
                return Ok(Err("This customer's address is already verified."));
            }
            if !c.active {
                return Ok(Err("The account is deactivated; reactivate it first."));
            }
            mails::verification(tx, &c, &base.0, now)?;
            audit::record(
                tx,
                &audit::Entry::event("customers", "customer.verification_resent")
                    .actor(staff.actor())
                    .ip(Some(cx.ip))
                    .entity("customer", id),
            )?;
            Ok(Ok(c.email))
        })
        .await?;
    Ok(match sent {
        Ok(email) => flash_redirect(
            back,
            "success",
            format!("A new verification link went to {email}. It works for 24 hours."),
        ),
        Err(why) => flash_redirect(back, "error", why),
    })
}

fn render_new(
    page: &Page,
    me: &StaffUser,
    tpl: &Templates,
    f: &CustomerForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, me, "customers");
    ctx.insert("form", &form_json(f));
    ctx.insert("errors", errors);
    ctx.insert("phone_countries", &phone_countries(&f.phone_country));
    tpl.page("backoffice/customer_new.html.tera", &ctx)
}

#[get("/admin/customers/new")]
async fn new_form(me: Can<CreateCustomers>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    render_new(
        &page,
        &me.staff,
        cx.tpl,
        &CustomerForm::default(),
        &Errors::new(),
    )
}

#[post("/admin/customers/new", data = "<form>")]
async fn create(
    form: CsrfForm<CustomerForm>,
    me: Can<CreateCustomers>,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, RawHtml<String>>> {
    let f = form.0;
    let now = cx.clock.now();
    let (email, profile) = match check(&f, "", now.date()) {
        Ok(v) => v,
        Err(errors) => return Ok(Err(render_new(&page, &me.staff, cx.tpl, &f, &errors)?)),
    };
    // A random password nobody knows: the customer chooses theirs from the mail.
    let hash = password::hash_off_thread(&crate::secret::random_token()).await?;
    let staff = me.staff.clone();
    let outcome = cx.db
        .write(move |tx| {
            if store::email_taken(tx, &email)? {
                return Ok(Err(()));
            }
            let id = store::insert_by_staff(tx, &email, &profile, &hash)?;
            let c = store::get(tx, id)?.expect("just inserted");
            // The password-reset mail is the set-password mail: one hour, single use;
            // opening it also verifies the address (accounts::reset::complete).
            mails::password_reset(tx, &c, &base.0, now)?;
            audit::record(
                tx,
                &audit::Entry::event("customers", "customer.created")
                    .actor(staff.actor())
                    .ip(Some(cx.ip))
                    .entity("customer", id)
                    .details(json!({ "new": { "email": email, "first_name": profile.first_name,
                                             "last_name": profile.last_name, "phone": profile.phone } })),
            )?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("/admin/customers/{id}"),
            "success",
            "Customer created. They received a mail with a link to choose their password (valid one hour; resend it with “Send set-password mail”).",
        ))),
        Err(()) => {
            let mut errors = Errors::new();
            errors.insert("email".into(), EMAIL_TAKEN.into());
            Ok(Err(render_new(&page, &me.staff, cx.tpl, &f, &errors)?))
        }
    }
}

/// Sends the set-password (reset) mail again, e.g. after the first link expired.
#[post("/admin/customers/<id>/set-password-mail", data = "<_form>")]
async fn set_password_mail(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateCustomers>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now();
    let back = format!("/admin/customers/{id}");
    let staff = me.staff.clone();
    let email = cx
        .db
        .read(move |c| {
            store::get(c, id)?
                .map(|c| c.email)
                .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))
        })
        .await?;
    // POLICY: 3 password-reset mails per account per hour, the same bucket as the shop's.
    if let Err(retry_after) = cx.limiter.check(
        "password_reset",
        &email.to_lowercase(),
        3,
        3600,
        now.unix_timestamp(),
    ) {
        return Ok(flash_redirect(
            back,
            "error",
            format!("Several set-password mails went to this address in the last hour. Try again in {} minutes.", retry_after.div_ceil(60)),
        ));
    }
    cx.db
        .write(move |tx| {
            let c = store::get(tx, id)?
                .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))?;
            mails::password_reset(tx, &c, &base.0, now)?;
            audit::record(
                tx,
                &audit::Entry::event("customers", "customer.set_password_mail")
                    .actor(staff.actor())
                    .ip(Some(cx.ip))
                    .entity("customer", id),
            )
        })
        .await?;
    Ok(flash_redirect(
        back,
        "success",
        format!("A link to choose a password went to {email}."),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list,
        show,
        update,
        deactivate,
        reactivate,
        resend_verification,
        new_form,
        create,
        set_password_mail
    ]
}
