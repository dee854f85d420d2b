//! The staff API for target groups (`/api/v1/admin/target-groups`), with the back office's
//! permissions and checks: the filter is the kept form (`GroupFilter`: days, minor units),
//! checked by the same `GroupFilter::check`; issuing vouchers to a group takes the voucher
//! request's terms and is checked by the voucher form's checks.

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::filter::GroupFilter;
use super::store::{self, Group};
use crate::customers::query::CustomerSummary;
use crate::error::{AppError, AppResult};
use crate::marketing::shop;
use crate::marketing::vouchers::bulk::{self, VoucherRun};
use crate::marketing::vouchers::form::VoucherForm;
use crate::staff::perm::{
    CreateTargetGroups, CreateVouchers, DeleteTargetGroups, ReadTargetGroups, ReadVouchers,
    UpdateTargetGroups,
};
use crate::staff::ApiCan;
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{field_errors, FieldErrorBody, Invalid};

type Refusal = Result<Invalid, AppError>;

const PER_PAGE: i64 = 100;

#[derive(Serialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<Group>,
}

/// Customers, by name, 100 a page.
#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub customers: Vec<CustomerSummary>,
    /// How many in all.
    pub total: i64,
    pub page: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    /// Unique, 1–100 characters.
    pub name: String,
    #[serde(default)]
    pub filter: GroupFilter,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    pub filter: GroupFilter,
}

#[derive(Serialize, ToSchema)]
pub struct Refreshed {
    /// Members before and after.
    pub before: i64,
    pub after: i64,
    pub group: Group,
}

/// The terms of the vouchers issued to every member (each gets its own generated code).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent off (1–100), or minor units off.
    pub value: i64,
    /// Minor units; 0 or absent for no minimum.
    #[serde(default)]
    pub min_subtotal: i64,
    /// Shop days, "YYYY-MM-DD", both included.
    pub valid_from: String,
    pub valid_until: String,
    #[serde(default)]
    pub note: String,
}

fn page_of(page: Option<i64>) -> AppResult<i64> {
    let page = page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(AppError::BadRequest(
            "page is a whole number from 1 to 100000.".into(),
        ));
    }
    Ok(page)
}

/// The filter's refusals, named as the request names them (`filter.country`).
fn filter_errors(f: &GroupFilter) -> Option<Invalid> {
    let e = f.check();
    (!e.is_empty()).then(|| field_errors(e.into_iter().map(|(k, v)| (format!("filter.{k}"), v))))
}

/// Every target group, by name.
#[utoipa::path(
    get, path = "/api/v1/admin/target-groups", tag = "staff",
    responses(
        (status = 200, description = "The groups", body = GroupList),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read target groups", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/target-groups")]
pub async fn api_list_groups(
    _me: ApiCan<ReadTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Json<GroupList>> {
    let groups = cx.db.read(store::list).await?;
    Ok(Json(GroupList { groups }))
}

/// The customers a filter finds now, without saving anything.
#[utoipa::path(
    post, path = "/api/v1/admin/target-groups/preview", tag = "staff",
    params(("page" = Option<i64>, Query, description = "From 1")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "A page of the customers found", body = MemberPage),
        (status = 400, description = "A bad page or body", body = crate::web::json::ErrorBody),
        (status = 422, description = "Filter fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/target-groups/preview?<page>", data = "<req>")]
pub async fn api_preview_group(
    page: Option<i64>,
    req: Body<PreviewRequest>,
    _me: ApiCan<ReadTargetGroups>,
    cx: Ctx<'_>,
) -> Result<Json<MemberPage>, Refusal> {
    let page = page_of(page).map_err(Err)?;
    let f = req.into_inner().filter;
    if let Some(bad) = filter_errors(&f) {
        return Err(Ok(bad));
    }
    let (customers, total) = cx
        .db
        .read(move |c| store::matching(c, &f, shop(c)?.1, PER_PAGE, (page - 1) * PER_PAGE))
        .await
        .map_err(Err)?;
    Ok(Json(MemberPage {
        customers,
        total,
        page,
    }))
}

/// Saves a group with the customers its filter finds at this moment.
#[utoipa::path(
    post, path = "/api/v1/admin/target-groups", tag = "staff",
    request_body = GroupRequest,
    responses(
        (status = 201, description = "Created, with its members", body = Group),
        (status = 403, description = "The role may not create target groups", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/target-groups", data = "<req>")]
pub async fn api_create_group(
    req: Body<GroupRequest>,
    me: ApiCan<CreateTargetGroups>,
    cx: Ctx<'_>,
) -> Result<status::Created<Json<Group>>, Refusal> {
    let GroupRequest { name, filter } = req.into_inner();
    if let Some(bad) = filter_errors(&filter) {
        return Err(Ok(bad));
    }
    let by = me.by(cx.clock);
    let saved = cx
        .db
        .write(move |tx| {
            Ok(match store::create(tx, &name, &filter, shop(tx)?.1, &by)? {
                Ok(id) => Ok(store::must_get(tx, id)?),
                Err(e) => Err(e),
            })
        })
        .await
        .map_err(Err)?;
    match saved {
        Ok(g) => {
            Ok(status::Created::new(format!("/api/v1/admin/target-groups/{}", g.id)).body(Json(g)))
        }
        Err(errors) => Err(Ok(field_errors(errors.into_iter().map(|(k, v)| {
            (
                if k == "group_name" {
                    "name".to_string()
                } else {
                    format!("filter.{k}")
                },
                v,
            )
        })))),
    }
}

/// One group.
#[utoipa::path(
    get, path = "/api/v1/admin/target-groups/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Group id", example = 1)),
    responses(
        (status = 200, description = "The group", body = Group),
        (status = 404, description = "No such group", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/target-groups/<id>")]
pub async fn api_get_group(
    id: i64,
    _me: ApiCan<ReadTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Json<Group>> {
    Ok(Json(cx.db.read(move |c| store::must_get(c, id)).await?))
}

/// A group's members, by name, 100 a page.
#[utoipa::path(
    get, path = "/api/v1/admin/target-groups/{id}/members", tag = "staff",
    params(
        ("id" = i64, Path, description = "Group id", example = 1),
        ("page" = Option<i64>, Query, description = "From 1"),
    ),
    responses(
        (status = 200, description = "A page of members", body = MemberPage),
        (status = 400, description = "A bad page", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such group", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/target-groups/<id>/members?<page>")]
pub async fn api_group_members(
    id: i64,
    page: Option<i64>,
    _me: ApiCan<ReadTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Json<MemberPage>> {
    let page = page_of(page)?;
    let (customers, total) = cx
        .db
        .read(move |c| store::members(c, id, PER_PAGE, (page - 1) * PER_PAGE))
        .await?;
    Ok(Json(MemberPage {
        customers,
        total,
        page,
    }))
}

/// Runs the group's filter again and keeps who it finds now.
#[utoipa::path(
    post, path = "/api/v1/admin/target-groups/{id}/refresh", tag = "staff",
    params(("id" = i64, Path, description = "Group id", example = 1)),
    responses(
        (status = 200, description = "Refreshed: the counts before and after", body = Refreshed),
        (status = 404, description = "No such group", body = crate::web::json::ErrorBody),
        (status = 409, description = "Vouchers are being issued to it", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/target-groups/<id>/refresh")]
pub async fn api_refresh_group(
    id: i64,
    me: ApiCan<UpdateTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Json<Refreshed>> {
    let by = me.by(cx.clock);
    let r = cx
        .db
        .write(move |tx| {
            let (before, after) = store::refresh(tx, id, shop(tx)?.1, &by)?;
            Ok(Refreshed {
                before,
                after,
                group: store::must_get(tx, id)?,
            })
        })
        .await?;
    Ok(Json(r))
}

/// Deletes a group (its customers stay as they are).
#[utoipa::path(
    delete, path = "/api/v1/admin/target-groups/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Group id", example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such group", body = crate::web::json::ErrorBody),
        (status = 409, description = "Vouchers are being issued to it", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/admin/target-groups/<id>")]
pub async fn api_delete_group(
    id: i64,
    me: ApiCan<DeleteTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Status> {
    let by = me.by(cx.clock);
    cx.db.write(move |tx| store::remove(tx, id, &by)).await?;
    Ok(Status::NoContent)
}

/// Issues a voucher to every member of the group, each with its `voucher_issued` mail, in
/// the background; the run's progress is at `/api/v1/admin/voucher-runs/{id}`.
#[utoipa::path(
    post, path = "/api/v1/admin/target-groups/{id}/vouchers", tag = "staff",
    params(("id" = i64, Path, description = "Group id", example = 1)),
    request_body = IssueRequest,
    responses(
        (status = 202, description = "Started", body = VoucherRun),
        (status = 403, description = "The role may not create vouchers", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such group", body = crate::web::json::ErrorBody),
        (status = 409, description = "The group has no members, or vouchers are already being issued to it", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/target-groups/<id>/vouchers", data = "<req>")]
pub async fn api_issue_vouchers(
    id: i64,
    req: Body<IssueRequest>,
    me: ApiCan<CreateVouchers>,
    cx: Ctx<'_>,
) -> Result<status::Custom<Json<VoucherRun>>, Refusal> {
    let r = req.into_inner();
    let by = me.by(cx.clock);
    let started = cx
        .db
        .write(move |tx| {
            let (cur, _) = shop(tx)?;
            let money = |v: i64| {
                if v < 0 {
                    v.to_string()
                } else {
                    cur.to_major(v)
                }
            };
            let f = VoucherForm {
                kind: r.kind.clone(),
                value: if r.kind == "amount" {
                    money(r.value)
                } else {
                    r.value.to_string()
                },
                min_subtotal: if r.min_subtotal == 0 {
                    String::new()
                } else {
                    money(r.min_subtotal)
                },
                valid_from: r.valid_from,
                valid_until: r.valid_until,
                note: r.note,
                ..Default::default()
            };
            Ok(match bulk::start(tx, id, &f, &by)? {
                Ok(run) => Ok(bulk::get(tx, run)?),
                Err(e) => Err(e),
            })
        })
        .await
        .map_err(Err)?;
    match started {
        Ok(run) => Ok(status::Custom(Status::Accepted, Json(run))),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// A voucher run and how far it got.
#[utoipa::path(
    get, path = "/api/v1/admin/voucher-runs/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Voucher run id", example = 1)),
    responses(
        (status = 200, description = "The run", body = VoucherRun),
        (status = 404, description = "No such run", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/voucher-runs/<id>")]
pub async fn api_get_voucher_run(
    id: i64,
    _me: ApiCan<ReadVouchers>,
    cx: Ctx<'_>,
) -> AppResult<Json<VoucherRun>> {
    Ok(Json(cx.db.read(move |c| bulk::get(c, id)).await?))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_list_groups,
    api_preview_group,
    api_create_group,
    api_get_group,
    api_group_members,
    api_refresh_group,
    api_delete_group,
    api_issue_vouchers,
    api_get_voucher_run
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_list_groups,
        api_preview_group,
        api_create_group,
        api_get_group,
        api_group_members,
        api_refresh_group,
        api_delete_group,
        api_issue_vouchers,
        api_get_voucher_run
    ]
}
